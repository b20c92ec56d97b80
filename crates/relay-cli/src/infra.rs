//! The environment provider of `relay env`, `relay voice` and `relay chat`: `--provider` and the
//! workspace's `infra:` settings, built by `relay_infra::build_provider`.

use std::sync::Arc;

use relay_core::RepoGraph;
use relay_core::infra::{InfraError, InfraProvider};
use relay_infra::{ProviderKind, ProviderRequest, build_provider};

use crate::context::Global;
use crate::error::{CliError, EXIT_FAILED, EXIT_USAGE};

/// An infrastructure error with its exit code (2 for what the user must fix in the request).
pub fn infra_error(e: InfraError) -> CliError {
    let code = match e {
        InfraError::Config(_) | InfraError::InvalidRequest(_) | InfraError::Unsupported(_) => {
            EXIT_USAGE
        }
        _ => EXIT_FAILED,
    };
    CliError {
        code,
        message: e.to_string(),
    }
}

/// The provider named by `--provider` (`proxmox` or `local`), or the configured default:
/// `infra.provider`, else proxmox when PROXMOX_URL or infra.proxmox is set, else local.
/// Works without a workspace (local environments then start empty).
pub fn provider(g: &Global, name: Option<&str>) -> Result<Arc<dyn InfraProvider>, CliError> {
    let workspace = match g.workspace() {
        Ok(ws) => Some(ws),
        Err(e) if e.message.contains("no relay.yaml found") => None,
        Err(e) => return Err(e),
    };
    let kind = name
        .map(str::parse::<ProviderKind>)
        .transpose()
        .map_err(infra_error)?;
    let config = workspace.as_ref().and_then(|w| w.infra().cloned());
    let root = workspace.as_ref().map(|w| w.root().to_path_buf());
    let repos: Option<Arc<dyn RepoGraph>> = workspace
        .map(|w| Arc::new(relay_repos::GitRepoGraph::with_jobs(w, g.jobs)) as Arc<dyn RepoGraph>);
    build_provider(
        ProviderRequest {
            kind,
            config: config.as_ref(),
            workspace_root: root.as_deref(),
            repos,
        },
        &|k| std::env::var(k).ok(),
    )
    .map_err(infra_error)
}
