//! Development environments: which provider serves them ([`EnvironmentsConfig`]), chosen like
//! `relay env` chooses it.

use std::path::PathBuf;
use std::sync::Arc;

use relay_core::RepoGraph;
use relay_core::infra::{InfraConfig, InfraProvider, LocalConfig};
pub use relay_infra::ProviderKind;
use relay_infra::{ProviderRequest, build_provider};

use crate::Error;

/// Which environment provider to open. With nothing set, the provider is `infra.provider` in
/// the workspace, else Proxmox VE when `PROXMOX_URL` or `infra.proxmox` is set, else local
/// directories. Proxmox credentials come from the environment (`PROXMOX_TOKEN_SECRET`, ...),
/// never from here.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentsConfig {
    provider: Option<ProviderKind>,
    local_root: Option<PathBuf>,
    insecure_tls: bool,
}

impl EnvironmentsConfig {
    /// The configured default provider.
    pub fn new() -> Self {
        Self::default()
    }

    /// Always this provider.
    pub fn provider(mut self, kind: ProviderKind) -> Self {
        self.provider = Some(kind);
        self
    }

    /// Where local environments live (overrides `infra.local.root`).
    pub fn local_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.local_root = Some(root.into());
        self
    }

    /// Skips TLS certificate verification of the Proxmox API, as `PROXMOX_INSECURE=1` does: an
    /// explicit choice of the embedding app or a command-line flag (`relay env --insecure`),
    /// never something `relay.yaml` can turn on. Together with a CA file or fingerprint it is a
    /// configuration error.
    pub fn insecure_tls(mut self, insecure: bool) -> Self {
        self.insecure_tls = insecure;
        self
    }

    /// Opens the provider. `repos`, when given, supplies the workspace's `infra:` settings and
    /// root, and the repositories cloned into local environments; without it local environments
    /// start empty.
    pub fn open(&self, repos: Option<Arc<dyn RepoGraph>>) -> Result<Arc<dyn InfraProvider>, Error> {
        let workspace = repos.as_ref().map(|graph| graph.workspace());
        let mut infra: Option<InfraConfig> = workspace.and_then(|w| w.infra().cloned());
        if let Some(root) = &self.local_root {
            infra.get_or_insert_with(InfraConfig::default).local = Some(LocalConfig {
                root: Some(root.clone()),
            });
        }
        let root = workspace.map(|w| w.root().to_path_buf());
        Ok(build_provider(
            ProviderRequest {
                kind: self.provider,
                config: infra.as_ref(),
                workspace_root: root.as_deref(),
                repos,
            },
            &|key| {
                if key == "PROXMOX_INSECURE" && self.insecure_tls {
                    return Some("1".to_string());
                }
                std::env::var(key).ok()
            },
        )?)
    }
}
