//! Domain types of environments.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What an environment runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    /// A Proxmox LXC container.
    Lxc,
    /// A Proxmox QEMU virtual machine.
    Qemu,
    /// A directory on this machine (the local provider).
    Local,
}

impl EnvKind {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvKind::Lxc => "lxc",
            EnvKind::Qemu => "qemu",
            EnvKind::Local => "local",
        }
    }
}

impl std::str::FromStr for EnvKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lxc" => Ok(EnvKind::Lxc),
            "qemu" => Ok(EnvKind::Qemu),
            "local" => Ok(EnvKind::Local),
            other => Err(format!(
                "unknown environment kind `{other}`; use lxc, qemu or local"
            )),
        }
    }
}

/// Resources of an environment; the plan's two profiles ship as defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceProfile {
    /// CPU cores the environment is entitled to.
    pub cores: u32,
    /// CPU cores it may burst to.
    pub cores_max: u32,
    /// Memory it is guaranteed, in MiB.
    pub memory_mb: u64,
    /// Memory it may grow to, in MiB.
    pub memory_max_mb: u64,
    /// Root disk, in GiB.
    pub root_disk_gb: u32,
    /// Separate workspace volume (mounted at `/workspace`), in GiB; 0 for none.
    pub workspace_disk_gb: u32,
}

impl ResourceProfile {
    /// `developer`: 2 cores burstable to 4, 2–6 GB memory, 20 GB root plus a 50 GB workspace.
    pub fn developer() -> Self {
        Self {
            cores: 2,
            cores_max: 4,
            memory_mb: 2048,
            memory_max_mb: 6144,
            root_disk_gb: 20,
            workspace_disk_gb: 50,
        }
    }

    /// `team_lead`: 4 cores burstable to 8, 8–16 GB memory, 40 GB root plus a 200 GB workspace.
    pub fn team_lead() -> Self {
        Self {
            cores: 4,
            cores_max: 8,
            memory_mb: 8192,
            memory_max_mb: 16384,
            root_disk_gb: 40,
            workspace_disk_gb: 200,
        }
    }

    /// The built-in profiles by name.
    pub fn defaults() -> BTreeMap<String, ResourceProfile> {
        BTreeMap::from([
            ("developer".to_string(), Self::developer()),
            ("team_lead".to_string(), Self::team_lead()),
        ])
    }

    /// Checks that minimums do not exceed maximums and nothing is zero that must not be.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.cores == 0 {
            problems.push("cores must be at least 1".to_string());
        }
        if self.cores_max < self.cores {
            problems.push(format!(
                "cores_max ({}) is below cores ({})",
                self.cores_max, self.cores
            ));
        }
        if self.memory_mb < 16 {
            problems.push("memory_mb must be at least 16".to_string());
        }
        if self.memory_max_mb < self.memory_mb {
            problems.push(format!(
                "memory_max_mb ({}) is below memory_mb ({})",
                self.memory_max_mb, self.memory_mb
            ));
        }
        if self.root_disk_gb == 0 {
            problems.push("root_disk_gb must be at least 1".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("profile `{name}`: {}", problems.join("; ")))
        }
    }
}

/// What to provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvSpec {
    /// Environment name (a DNS label; becomes the guest's hostname).
    pub name: String,
    /// Resource profile name (`developer`, `team_lead` or one from `relay.yaml`).
    pub profile: String,
    /// LXC or QEMU for Proxmox; ignored by the local provider. `None` uses the configured default.
    pub kind: Option<EnvKind>,
    /// An LXC OS template volume (`local:vztmpl/debian-12-...tar.zst`) or the id of a template
    /// guest to clone (`9000`). `None` uses the configured default for the kind.
    pub template: Option<String>,
}

impl EnvSpec {
    /// An environment `name` with the `developer` profile and configured defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            profile: "developer".to_string(),
            kind: None,
            template: None,
        }
    }

    /// Sets the resource profile.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }

    /// Sets the kind.
    pub fn kind(mut self, kind: EnvKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Sets the template.
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }
}

/// Whether an environment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvStatus {
    /// Being created.
    Provisioning,
    /// Running.
    Running,
    /// Stopped.
    Stopped,
    /// Paused or suspended.
    Paused,
    /// The provider reported something Relay does not know.
    Unknown,
}

impl EnvStatus {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvStatus::Provisioning => "provisioning",
            EnvStatus::Running => "running",
            EnvStatus::Stopped => "stopped",
            EnvStatus::Paused => "paused",
            EnvStatus::Unknown => "unknown",
        }
    }
}

/// One environment as the provider sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// Environment name.
    pub name: String,
    /// Provider name (`proxmox`, `local`).
    pub provider: String,
    /// What it runs on.
    pub kind: EnvKind,
    /// The provider's id (the Proxmox VMID, or the directory for local environments).
    pub id: String,
    /// The Proxmox node, for Proxmox environments.
    pub node: Option<String>,
    /// Running, stopped, ...
    pub status: EnvStatus,
    /// A lock the provider holds on it (`backup`, `snapshot`, ...), if any.
    pub lock: Option<String>,
    /// Resource profile it was made with, when known.
    pub profile: Option<String>,
    /// CPU cores it may use, when known.
    pub cores: Option<u32>,
    /// Memory limit in MiB, when known.
    pub memory_mb: Option<u64>,
    /// Seconds since it started, when running.
    pub uptime_secs: Option<u64>,
}

/// One snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    /// Snapshot name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// When it was taken, seconds since the Unix epoch.
    pub created_at: Option<u64>,
    /// The snapshot this one derives from.
    pub parent: Option<String>,
}

/// How to stop an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopOptions {
    /// How long a clean shutdown may take before a hard stop.
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Skip the clean shutdown.
    pub force: bool,
}

impl Default for StopOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            force: false,
        }
    }
}

/// A command to run inside an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRequest {
    /// Program and arguments (not a shell line; use `["sh", "-c", "..."]` for one).
    pub command: Vec<String>,
    /// Data for the command's standard input.
    pub stdin: Option<String>,
    /// Working directory inside the environment; `None` for the provider's default.
    pub cwd: Option<String>,
    /// How long the command may run.
    #[serde(with = "secs")]
    pub timeout: Duration,
}

impl ExecRequest {
    /// Runs `command` with a 10-minute timeout.
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            stdin: None,
            cwd: None,
            timeout: Duration::from_secs(600),
        }
    }

    /// Sets standard input.
    pub fn stdin(mut self, data: impl Into<String>) -> Self {
        self.stdin = Some(data.into());
        self
    }

    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<String>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl ExecOutput {
    /// Whether it exited with code 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
