//! The environment provider of `relay env`: `--provider` and the workspace's `infra:` settings,
//! opened by the facade (`relay::EnvironmentsConfig`).

use std::sync::Arc;

use relay::core::infra::InfraProvider;
use relay::{EnvironmentsConfig, ProviderKind};

use crate::context::Global;
use crate::error::CliError;

/// Which provider `--provider` names (`proxmox` or `local`); without it the configured
/// default: `infra.provider`, else proxmox when PROXMOX_URL or infra.proxmox is set, else local.
pub fn environments(name: Option<&str>) -> Result<EnvironmentsConfig, CliError> {
    environments_with(name, false)
}

/// [`environments`], skipping TLS verification of the Proxmox API when `insecure` (the
/// explicit `--insecure` flag).
pub fn environments_with(
    name: Option<&str>,
    insecure: bool,
) -> Result<EnvironmentsConfig, CliError> {
    let config = EnvironmentsConfig::new().insecure_tls(insecure);
    Ok(match name {
        Some(name) => config.provider(name.parse::<ProviderKind>()?),
        None => config,
    })
}

/// The provider `--provider` names, or the configured default. Works without a workspace
/// (local environments then start empty); an invalid workspace is still an error.
pub async fn provider(
    g: &Global,
    name: Option<&str>,
    insecure: bool,
) -> Result<Arc<dyn InfraProvider>, CliError> {
    let relay = g
        .relay()
        .workspace_if_found()
        .environments(environments_with(name, insecure)?)
        .build()
        .await?;
    relay
        .environments()
        .ok_or_else(|| CliError::usage("no environment provider"))
}
