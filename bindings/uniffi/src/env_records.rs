//! Typed environment results for Kotlin and Swift, converted field by field from
//! `relay::core::infra`. Enums cross as their wire names (`running`, `local`, ...), the same
//! strings Python and Node see.

use relay::core::infra::{
    Environment as CoreEnvironment, ExecOutput as CoreExecOutput, SnapshotInfo as CoreSnapshot,
};

/// A development environment and its state.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Environment {
    /// Its name (a DNS label).
    pub name: String,
    /// The provider managing it: `local` or `proxmox`.
    pub provider: String,
    /// `local`, `lxc` or `qemu`.
    pub kind: String,
    /// The provider's id for it (a directory for `local`, a VMID for Proxmox).
    pub id: String,
    /// The Proxmox node it lives on.
    pub node: Option<String>,
    /// `provisioning`, `running`, `stopped`, `paused` or `unknown`.
    pub status: String,
    /// A lock the provider holds on it (`backup`, `snapshot`, ...), if any.
    pub lock: Option<String>,
    /// The resource profile it was made with.
    pub profile: Option<String>,
    /// CPU cores.
    pub cores: Option<u32>,
    /// Memory, MiB.
    pub memory_mb: Option<u64>,
    /// Seconds since it started, when running.
    pub uptime_secs: Option<u64>,
}

impl From<CoreEnvironment> for Environment {
    fn from(e: CoreEnvironment) -> Self {
        Environment {
            name: e.name,
            provider: e.provider,
            kind: e.kind.as_str().to_owned(),
            id: e.id,
            node: e.node,
            status: e.status.as_str().to_owned(),
            lock: e.lock,
            profile: e.profile,
            cores: e.cores,
            memory_mb: e.memory_mb,
            uptime_secs: e.uptime_secs,
        }
    }
}

/// What a command run in an environment did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ExecOutput {
    /// Exit code, when it exited normally.
    pub exit_code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
}

impl From<CoreExecOutput> for ExecOutput {
    fn from(o: CoreExecOutput) -> Self {
        ExecOutput {
            exit_code: o.exit_code,
            signal: o.signal,
            stdout: o.stdout,
            stderr: o.stderr,
        }
    }
}

/// A snapshot of an environment.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SnapshotInfo {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// When it was taken, seconds since the Unix epoch.
    pub created_at: Option<u64>,
    /// The snapshot it was taken on top of.
    pub parent: Option<String>,
}

impl From<CoreSnapshot> for SnapshotInfo {
    fn from(s: CoreSnapshot) -> Self {
        SnapshotInfo {
            name: s.name,
            description: s.description,
            created_at: s.created_at,
            parent: s.parent,
        }
    }
}
