//! The [`InfraProvider`] trait: development environments that Relay provisions, runs commands in,
//! snapshots, rolls back and destroys.
//!
//! Two implementations live in `relay-infra`: the Proxmox VE provider (LXC containers and QEMU
//! VMs, the default) and the local provider (an environment is a directory with the workspace's
//! repositories cloned into it; the embedded default that works offline).
//!
//! Long operations (provision, start, stop, snapshot, rollback, destroy) are [`Job`]s so every
//! adapter can show progress; quick reads (status, list, snapshots) and `exec` are plain async
//! calls.

mod config;
mod error;
mod types;
mod up;

pub use config::{InfraConfig, LocalConfig, ProxmoxConfig};
pub use error::InfraError;
pub use types::{
    EnvKind, EnvSpec, EnvStatus, Environment, ExecOutput, ExecRequest, ResourceProfile,
    SnapshotInfo, StopOptions,
};

pub use up::up;

use async_trait::async_trait;

use crate::job::Job;

/// A source of development environments.
///
/// Implementations are cheap to clone handles (state behind an `Arc`), so a `Job` can own one.
#[async_trait]
pub trait InfraProvider: Send + Sync {
    /// Short provider name, as on the command line (`proxmox`, `local`).
    fn provider_name(&self) -> &'static str;

    /// Creates an environment from `spec` and starts it.
    fn provision(&self, spec: EnvSpec) -> Job<Environment, InfraError>;

    /// Starts a stopped environment.
    fn start(&self, name: &str) -> Job<Environment, InfraError>;

    /// Stops an environment: a clean shutdown within `options.timeout`, then a hard stop.
    fn stop(&self, name: &str, options: StopOptions) -> Job<Environment, InfraError>;

    /// The current state of one environment.
    async fn status(&self, name: &str) -> Result<Environment, InfraError>;

    /// Every environment this provider manages.
    async fn list(&self) -> Result<Vec<Environment>, InfraError>;

    /// Runs a command inside the environment and returns its exit code and output.
    async fn exec(&self, name: &str, request: ExecRequest) -> Result<ExecOutput, InfraError>;

    /// Takes a snapshot named `snapshot`.
    fn snapshot(&self, name: &str, snapshot: &str) -> Job<SnapshotInfo, InfraError>;

    /// The snapshots of an environment, oldest first.
    async fn snapshots(&self, name: &str) -> Result<Vec<SnapshotInfo>, InfraError>;

    /// Returns the environment to a snapshot.
    fn rollback(&self, name: &str, snapshot: &str) -> Job<Environment, InfraError>;

    /// Deletes a snapshot.
    fn delete_snapshot(&self, name: &str, snapshot: &str) -> Job<(), InfraError>;

    /// Stops (if needed) and removes the environment with everything it owns.
    fn destroy(&self, name: &str) -> Job<(), InfraError>;
}

/// Checks an environment name: it becomes a hostname and a directory name, so it must be a DNS
/// label (letters, digits, `-`; not starting or ending with `-`; at most 63 characters).
pub fn validate_env_name(name: &str) -> Result<(), InfraError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(InfraError::InvalidRequest(format!(
            "`{name}` is not a valid environment name; use 1-63 letters, digits and `-` \
             (not at the start or end), e.g. `feature-login`"
        )))
    }
}

/// Checks a snapshot name the way PVE does: a letter first, then letters, digits, `_` or `-`.
pub fn validate_snapshot_name(name: &str) -> Result<(), InfraError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(InfraError::InvalidRequest(format!(
            "`{name}` is not a valid snapshot name; start with a letter and use up to 40 \
             letters, digits, `_` or `-`, e.g. `before-migration`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_must_be_dns_labels() {
        assert!(validate_env_name("feature-login").is_ok());
        for bad in ["", "-x", "x-", "has space", "dots.not.ok", &"a".repeat(64)] {
            let err = validate_env_name(bad).unwrap_err().to_string();
            assert!(err.contains("not a valid environment name"), "{err}");
        }
    }

    #[test]
    fn snapshot_names_follow_pve_rules() {
        assert!(validate_snapshot_name("before-migration_2").is_ok());
        for bad in ["1st", "", "with space", "semi;colon"] {
            assert!(validate_snapshot_name(bad).is_err(), "{bad}");
        }
    }
}
