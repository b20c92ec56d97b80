//! Choosing and building the provider an adapter (CLI, bindings) should use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use relay_core::RepoGraph;
use relay_core::infra::{InfraConfig, InfraError, InfraProvider};

use crate::local::LocalProvider;
use crate::proxmox::{ProxmoxProvider, ProxmoxSettings};

/// Which provider to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Proxmox VE.
    Proxmox,
    /// Local directories.
    Local,
}

impl std::str::FromStr for ProviderKind {
    type Err = InfraError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "proxmox" => Ok(ProviderKind::Proxmox),
            "local" => Ok(ProviderKind::Local),
            other => Err(InfraError::InvalidRequest(format!(
                "unknown provider `{other}`; use proxmox or local"
            ))),
        }
    }
}

/// Everything needed to pick and build a provider.
pub struct ProviderRequest<'a> {
    /// An explicit choice (`--provider`); `None` decides from the configuration.
    pub kind: Option<ProviderKind>,
    /// The workspace's `infra:` section.
    pub config: Option<&'a InfraConfig>,
    /// The workspace root (for the local provider's default root and relative paths).
    pub workspace_root: Option<&'a Path>,
    /// The workspace's repositories, cloned into local environments.
    pub repos: Option<Arc<dyn RepoGraph>>,
}

/// The provider to use when none is named: `infra.provider`, else Proxmox when it is configured
/// (`PROXMOX_URL` or `infra.proxmox`), else local.
pub fn default_kind(
    config: Option<&InfraConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderKind, InfraError> {
    if let Some(name) = config.and_then(|c| c.provider.as_deref()) {
        return name.parse();
    }
    let proxmox_configured = env("PROXMOX_URL").is_some_and(|v| !v.is_empty())
        || config.is_some_and(|c| c.proxmox.is_some());
    Ok(if proxmox_configured {
        ProviderKind::Proxmox
    } else {
        ProviderKind::Local
    })
}

/// Where local environments live: `infra.local.root` (relative to the workspace), else
/// `<workspace>/.relay/envs`, else `$HOME/.relay/envs`.
pub fn local_root(
    config: Option<&InfraConfig>,
    workspace_root: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, InfraError> {
    let base = workspace_root
        .map(Path::to_path_buf)
        .or_else(|| env("HOME").map(PathBuf::from))
        .ok_or_else(|| {
            InfraError::Config(
                "no workspace and no HOME: cannot tell where local environments live; run inside a workspace or set infra.local.root"
                    .to_string(),
            )
        })?;
    Ok(
        match config
            .and_then(|c| c.local.as_ref())
            .and_then(|l| l.root.clone())
        {
            Some(root) if root.is_absolute() => root,
            Some(root) => base.join(root),
            None => base.join(".relay").join("envs"),
        },
    )
}

/// Builds the provider; `env` looks environment variables up (`|k| std::env::var(k).ok()`).
pub fn build_provider(
    request: ProviderRequest<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn InfraProvider>, InfraError> {
    let kind = match request.kind {
        Some(k) => k,
        None => default_kind(request.config, env)?,
    };
    match kind {
        ProviderKind::Proxmox => {
            let settings = ProxmoxSettings::from_config_and_env(request.config, env)?;
            Ok(Arc::new(ProxmoxProvider::new(settings)?))
        }
        ProviderKind::Local => {
            let root = local_root(request.config, request.workspace_root, env)?;
            let mut builder = LocalProvider::builder(root);
            if let Some(config) = request.config {
                let problems: Vec<String> = config
                    .problems()
                    .into_iter()
                    .filter(|p| p.starts_with("infra.profiles") || p.starts_with("infra.provider"))
                    .collect();
                if !problems.is_empty() {
                    return Err(InfraError::Config(format!(
                        "invalid infra settings:\n  - {}",
                        problems.join("\n  - ")
                    )));
                }
                builder = builder.profiles(config.resolved_profiles());
            }
            if let Some(repos) = request.repos {
                builder = builder.repos(repos);
            }
            Ok(Arc::new(builder.build()?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxmox_is_chosen_when_configured() {
        let none = |_: &str| None;
        assert_eq!(default_kind(None, &none).unwrap(), ProviderKind::Local);
        let url = |k: &str| (k == "PROXMOX_URL").then(|| "https://pve:8006".to_string());
        assert_eq!(default_kind(None, &url).unwrap(), ProviderKind::Proxmox);
        let config = InfraConfig {
            provider: Some("local".into()),
            ..Default::default()
        };
        assert_eq!(
            default_kind(Some(&config), &url).unwrap(),
            ProviderKind::Local
        );
    }

    #[test]
    fn local_root_defaults_below_the_workspace() {
        let none = |_: &str| None;
        let root = local_root(None, Some(Path::new("/ws")), &none).unwrap();
        assert_eq!(root, PathBuf::from("/ws/.relay/envs"));
        let config: InfraConfig =
            serde_json::from_value(serde_json::json!({"local": {"root": "envs"}})).unwrap();
        assert_eq!(
            local_root(Some(&config), Some(Path::new("/ws")), &none).unwrap(),
            PathBuf::from("/ws/envs")
        );
    }
}
