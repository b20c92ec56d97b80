//! On-disk layout of local environments and their metadata.
//!
//! ```text
//! <root>/<name>/env.json            metadata (written atomically)
//! <root>/<name>/work/               the environment's files; repositories are cloned here
//! <root>/<name>/snapshots/<s>.tar.gz and <s>.json
//! ```

use std::path::{Path, PathBuf};

use relay_core::infra::{
    EnvKind, EnvStatus, Environment, InfraError, ResourceProfile, SnapshotInfo,
};
use serde::{Deserialize, Serialize};

/// What `env.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EnvRecord {
    pub name: String,
    pub profile: String,
    pub resources: ResourceProfile,
    pub running: bool,
    pub created_at: u64,
    pub started_at: Option<u64>,
    /// The snapshot the current state derives from.
    pub parent: Option<String>,
}

/// What `snapshots/<s>.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SnapshotRecord {
    pub name: String,
    pub description: String,
    pub created_at_ms: u64,
    pub parent: Option<String>,
}

impl SnapshotRecord {
    pub fn info(&self) -> SnapshotInfo {
        SnapshotInfo {
            name: self.name.clone(),
            description: self.description.clone(),
            created_at: Some(self.created_at_ms / 1000),
            parent: self.parent.clone(),
        }
    }
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Paths of one environment.
#[derive(Debug, Clone)]
pub(crate) struct EnvPaths {
    pub dir: PathBuf,
}

impl EnvPaths {
    pub fn new(root: &Path, name: &str) -> Self {
        Self {
            dir: root.join(name),
        }
    }
    pub fn record(&self) -> PathBuf {
        self.dir.join("env.json")
    }
    pub fn work(&self) -> PathBuf {
        self.dir.join("work")
    }
    pub fn snapshots(&self) -> PathBuf {
        self.dir.join("snapshots")
    }
    pub fn snapshot_archive(&self, snap: &str) -> PathBuf {
        self.snapshots().join(format!("{snap}.tar.gz"))
    }
    pub fn snapshot_record(&self, snap: &str) -> PathBuf {
        self.snapshots().join(format!("{snap}.json"))
    }
}

/// Writes JSON through a temporary file and a rename, so readers never see half a file.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), InfraError> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(value).expect("records serialize");
    std::fs::write(&tmp, text).map_err(|e| InfraError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| InfraError::io(path, e))
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, InfraError> {
    let text = std::fs::read(path).map_err(|e| InfraError::io(path, e))?;
    serde_json::from_slice(&text).map_err(|e| {
        InfraError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a Relay environment record: {e}"),
            ),
        )
    })
}

pub(crate) fn environment(record: &EnvRecord, paths: &EnvPaths) -> Environment {
    let now = now_ms() / 1000;
    Environment {
        name: record.name.clone(),
        provider: "local".to_string(),
        kind: EnvKind::Local,
        id: paths.work().display().to_string(),
        node: None,
        status: if record.running {
            EnvStatus::Running
        } else {
            EnvStatus::Stopped
        },
        lock: None,
        profile: Some(record.profile.clone()),
        cores: Some(record.resources.cores_max),
        memory_mb: Some(record.resources.memory_max_mb),
        uptime_secs: record
            .started_at
            .filter(|_| record.running)
            .map(|s| now.saturating_sub(s)),
    }
}
