//! Typed calls for LXC containers and QEMU VMs; both share PVE's path layout
//! `/nodes/{node}/{lxc|qemu}/{vmid}/...`.

use std::time::{Duration, Instant};

use relay_core::infra::{EnvKind, ExecOutput, InfraError, SnapshotInfo};
use serde_json::Value;

use super::http::ProxmoxClient;
use super::upid::Upid;

/// LXC container or QEMU VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuestKind {
    /// LXC container.
    Lxc,
    /// QEMU virtual machine.
    Qemu,
}

impl GuestKind {
    /// The path segment (`lxc`, `qemu`).
    pub fn as_str(self) -> &'static str {
        match self {
            GuestKind::Lxc => "lxc",
            GuestKind::Qemu => "qemu",
        }
    }

    /// As an environment kind.
    pub fn env_kind(self) -> EnvKind {
        match self {
            GuestKind::Lxc => EnvKind::Lxc,
            GuestKind::Qemu => EnvKind::Qemu,
        }
    }

    /// The key holding the guest's name (`hostname` for LXC, `name` for QEMU).
    pub fn name_key(self) -> &'static str {
        match self {
            GuestKind::Lxc => "hostname",
            GuestKind::Qemu => "name",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "lxc" => Some(GuestKind::Lxc),
            "qemu" => Some(GuestKind::Qemu),
            _ => None,
        }
    }
}

/// A guest as `/cluster/resources?type=vm` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterGuest {
    /// VMID.
    pub vmid: u32,
    /// LXC or QEMU.
    pub kind: GuestKind,
    /// Node it lives on.
    pub node: String,
    /// Name / hostname.
    pub name: String,
    /// `running`, `stopped`, ...
    pub status: String,
    /// Whether it is a template.
    pub template: bool,
    /// Tags (`;`-separated in PVE).
    pub tags: Vec<String>,
    /// Lock held, if any.
    pub lock: Option<String>,
    /// CPU cores.
    pub maxcpu: Option<u32>,
    /// Memory limit in bytes.
    pub maxmem: Option<u64>,
    /// Seconds since start.
    pub uptime: Option<u64>,
}

/// `/status/current` of one guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestStatus {
    /// `running`, `stopped`, ...
    pub status: String,
    /// Name / hostname.
    pub name: Option<String>,
    /// Lock held, if any.
    pub lock: Option<String>,
    /// CPU cores.
    pub cpus: Option<u32>,
    /// Memory limit in bytes.
    pub maxmem: Option<u64>,
    /// Seconds since start.
    pub uptime: Option<u64>,
}

fn guest_path(node: &str, kind: GuestKind, vmid: u32) -> String {
    format!("/nodes/{node}/{}/{vmid}", kind.as_str())
}

/// Size in GiB from a PVE volume string (`local-lvm:vm-100-disk-0,size=8G`).
pub(crate) fn volume_size_gib(volume: &str) -> Option<f64> {
    let size = volume.split(',').find_map(|o| o.strip_prefix("size="))?;
    let (number, unit) = size.split_at(size.len().saturating_sub(1));
    let n: f64 = number.parse().ok()?;
    match unit {
        "T" => Some(n * 1024.0),
        "G" => Some(n),
        "M" => Some(n / 1024.0),
        "K" => Some(n / (1024.0 * 1024.0)),
        _ => None,
    }
}

fn as_u64(v: Option<&Value>) -> Option<u64> {
    v.and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
}

fn upid_from(data: Value, what: &str) -> Result<Upid, InfraError> {
    let text = data.as_str().ok_or_else(|| {
        InfraError::InvalidRequest(format!(
            "Proxmox answered {what} without a task id (got {data})"
        ))
    })?;
    text.parse()
        .map_err(|e: super::upid::UpidError| InfraError::InvalidRequest(e.to_string()))
}

impl ProxmoxClient {
    /// A free VMID from `/cluster/nextid` (PVE returns it as a string).
    pub async fn next_id(&self) -> Result<u32, InfraError> {
        let data = self.get("/cluster/nextid", &[]).await?;
        as_u64(Some(&data)).map(|v| v as u32).ok_or_else(|| {
            InfraError::InvalidRequest(format!(
                "Proxmox answered /cluster/nextid with {data}, not an id"
            ))
        })
    }

    /// Creates a guest (`POST /nodes/{node}/{kind}`); `params` must include `vmid`.
    pub async fn create_guest(
        &self,
        node: &str,
        kind: GuestKind,
        params: &[(&str, String)],
    ) -> Result<Upid, InfraError> {
        let data = self
            .post(&format!("/nodes/{node}/{}", kind.as_str()), params)
            .await?;
        upid_from(data, "the create request")
    }

    /// Clones `source` into `newid` named `name` (a full clone unless `source` is a template and
    /// `full` is false).
    pub async fn clone_guest(
        &self,
        node: &str,
        kind: GuestKind,
        source: u32,
        newid: u32,
        name: &str,
        full: bool,
    ) -> Result<Upid, InfraError> {
        let params = [
            ("newid", newid.to_string()),
            (kind.name_key(), name.to_string()),
            ("full", (full as u8).to_string()),
        ];
        let data = self
            .post(
                &format!("{}/clone", guest_path(node, kind, source)),
                &params,
            )
            .await?;
        upid_from(data, "the clone request")
    }

    /// Changes configuration values (`PUT .../config`, synchronous).
    pub async fn set_config(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        params: &[(&str, String)],
    ) -> Result<(), InfraError> {
        self.put(&format!("{}/config", guest_path(node, kind, vmid)), params)
            .await?;
        Ok(())
    }

    /// Grows a disk (`rootfs`, `scsi0`, ...) to `size_gib`; returns the task when PVE runs the
    /// resize as one (LXC, newer QEMU) and `None` when it answered synchronously.
    pub async fn resize_disk(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        disk: &str,
        size_gib: u32,
    ) -> Result<Option<Upid>, InfraError> {
        let params = [("disk", disk.to_string()), ("size", format!("{size_gib}G"))];
        let data = self
            .put(&format!("{}/resize", guest_path(node, kind, vmid)), &params)
            .await?;
        match data {
            Value::Null => Ok(None),
            other => upid_from(other, "the resize request").map(Some),
        }
    }

    /// The guest's configuration.
    pub async fn guest_config(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
    ) -> Result<serde_json::Map<String, Value>, InfraError> {
        let data = self
            .get(&format!("{}/config", guest_path(node, kind, vmid)), &[])
            .await?;
        Ok(data.as_object().cloned().unwrap_or_default())
    }

    /// Starts the guest.
    pub async fn start_guest(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
    ) -> Result<Upid, InfraError> {
        let data = self
            .post(
                &format!("{}/status/start", guest_path(node, kind, vmid)),
                &[],
            )
            .await?;
        upid_from(data, "the start request")
    }

    /// Asks the guest to shut down cleanly within `timeout` (without forcing a stop).
    pub async fn shutdown_guest(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        timeout: Duration,
    ) -> Result<Upid, InfraError> {
        let params = [
            ("timeout", timeout.as_secs().max(1).to_string()),
            ("forceStop", "0".to_string()),
        ];
        let data = self
            .post(
                &format!("{}/status/shutdown", guest_path(node, kind, vmid)),
                &params,
            )
            .await?;
        upid_from(data, "the shutdown request")
    }

    /// Stops the guest at once (like pulling the plug).
    pub async fn stop_guest(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
    ) -> Result<Upid, InfraError> {
        let data = self
            .post(
                &format!("{}/status/stop", guest_path(node, kind, vmid)),
                &[],
            )
            .await?;
        upid_from(data, "the stop request")
    }

    /// The guest's current status.
    pub async fn guest_status(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
    ) -> Result<GuestStatus, InfraError> {
        let data = self
            .get(
                &format!("{}/status/current", guest_path(node, kind, vmid)),
                &[],
            )
            .await?;
        let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
        Ok(GuestStatus {
            status: text("status").unwrap_or_else(|| "unknown".to_string()),
            name: text("name"),
            lock: text("lock"),
            cpus: as_u64(data.get("cpus")).map(|v| v as u32),
            maxmem: as_u64(data.get("maxmem")),
            uptime: as_u64(data.get("uptime")),
        })
    }

    /// Takes a snapshot.
    pub async fn snapshot_create(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        name: &str,
        description: &str,
    ) -> Result<Upid, InfraError> {
        let params = [
            ("snapname", name.to_string()),
            ("description", description.to_string()),
        ];
        let data = self
            .post(
                &format!("{}/snapshot", guest_path(node, kind, vmid)),
                &params,
            )
            .await?;
        upid_from(data, "the snapshot request")
    }

    /// Snapshots, oldest first, without PVE's `current` pseudo entry.
    pub async fn snapshot_list(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
    ) -> Result<Vec<SnapshotInfo>, InfraError> {
        let data = self
            .get(&format!("{}/snapshot", guest_path(node, kind, vmid)), &[])
            .await?;
        let mut list: Vec<SnapshotInfo> = data
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter(|s| s.get("name").and_then(Value::as_str) != Some("current"))
                    .map(|s| SnapshotInfo {
                        name: s
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        description: s
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                        created_at: as_u64(s.get("snaptime")),
                        parent: s.get("parent").and_then(Value::as_str).map(str::to_string),
                    })
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by_key(|s| s.created_at.unwrap_or(0));
        Ok(list)
    }

    /// Rolls back to a snapshot.
    pub async fn snapshot_rollback(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        name: &str,
    ) -> Result<Upid, InfraError> {
        let data = self
            .post(
                &format!("{}/snapshot/{name}/rollback", guest_path(node, kind, vmid)),
                &[],
            )
            .await?;
        upid_from(data, "the rollback request")
    }

    /// Deletes a snapshot.
    pub async fn snapshot_delete(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        name: &str,
    ) -> Result<Upid, InfraError> {
        let data = self
            .delete(
                &format!("{}/snapshot/{name}", guest_path(node, kind, vmid)),
                &[],
            )
            .await?;
        upid_from(data, "the snapshot delete request")
    }

    /// Destroys a stopped guest; `purge` also removes it from backup jobs, replication and HA,
    /// and unreferenced disks are destroyed too.
    pub async fn destroy_guest(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        purge: bool,
    ) -> Result<Upid, InfraError> {
        let mut params = vec![("destroy-unreferenced-disks", "1".to_string())];
        if purge {
            params.push(("purge", "1".to_string()));
        }
        let data = self.delete(&guest_path(node, kind, vmid), &params).await?;
        upid_from(data, "the destroy request")
    }

    /// Every guest in the cluster.
    pub async fn cluster_guests(&self) -> Result<Vec<ClusterGuest>, InfraError> {
        let data = self
            .get("/cluster/resources", &[("type", "vm".to_string())])
            .await?;
        Ok(data
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|r| {
                        let kind = GuestKind::parse(r.get("type")?.as_str()?)?;
                        let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
                        Some(ClusterGuest {
                            vmid: as_u64(r.get("vmid"))? as u32,
                            kind,
                            node: text("node").unwrap_or_default(),
                            name: text("name").unwrap_or_default(),
                            status: text("status").unwrap_or_else(|| "unknown".to_string()),
                            template: as_u64(r.get("template")) == Some(1),
                            tags: text("tags")
                                .map(|t| {
                                    t.split([';', ',', ' '])
                                        .filter(|s| !s.is_empty())
                                        .map(str::to_string)
                                        .collect()
                                })
                                .unwrap_or_default(),
                            lock: text("lock"),
                            maxcpu: as_u64(r.get("maxcpu")).map(|v| v as u32),
                            maxmem: as_u64(r.get("maxmem")),
                            uptime: as_u64(r.get("uptime")),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Runs a command through the QEMU guest agent and waits for it to exit.
    pub async fn agent_exec(
        &self,
        node: &str,
        vmid: u32,
        command: &[String],
        stdin: Option<&str>,
        timeout: Duration,
    ) -> Result<ExecOutput, InfraError> {
        let base = guest_path(node, GuestKind::Qemu, vmid);
        let mut params: Vec<(&str, String)> =
            command.iter().map(|c| ("command", c.clone())).collect();
        if let Some(data) = stdin {
            params.push(("input-data", data.to_string()));
        }
        let data = self.post(&format!("{base}/agent/exec"), &params).await?;
        let pid = as_u64(data.get("pid")).ok_or_else(|| {
            InfraError::InvalidRequest(format!(
                "the guest agent answered exec without a pid (got {data})"
            ))
        })?;
        let started = Instant::now();
        let schedule = self.inner.settings.poll;
        loop {
            tokio::time::sleep(schedule.next_interval(started.elapsed(), None)).await;
            let status = self
                .get(
                    &format!("{base}/agent/exec-status"),
                    &[("pid", pid.to_string())],
                )
                .await?;
            if as_u64(status.get("exited")) == Some(1)
                || status.get("exited") == Some(&Value::Bool(true))
            {
                let text = |k: &str| {
                    status
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                return Ok(ExecOutput {
                    exit_code: status
                        .get("exitcode")
                        .and_then(Value::as_i64)
                        .map(|c| c as i32),
                    signal: status
                        .get("signal")
                        .and_then(Value::as_i64)
                        .map(|c| c as i32),
                    stdout: text("out-data"),
                    stderr: text("err-data"),
                });
            }
            if started.elapsed() >= timeout {
                return Err(InfraError::Timeout {
                    operation: format!("`{}` in VM {vmid}", command.join(" ")),
                    secs: timeout.as_secs_f64(),
                    advice: "the guest agent cannot kill it; it keeps running in the VM"
                        .to_string(),
                });
            }
        }
    }
}
