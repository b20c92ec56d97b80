//! Did it happen? After a create, clone or snapshot request got no answer (it timed out, the
//! connection dropped), PVE may or may not have carried it out. The request is never sent again
//! blindly; these checks look at the node's task list, the guest and its snapshots instead.

use relay_core::infra::InfraError;
use serde_json::Value;

use super::guest::GuestKind;
use super::http::ProxmoxClient;
use super::upid::Upid;

/// A request whose answer was lost, and what to look for.
#[derive(Debug, Clone)]
pub(crate) enum Sent {
    /// `POST /nodes/{node}/{kind}` creating `vmid`.
    Create { kind: GuestKind, vmid: u32 },
    /// `POST .../{source}/clone` into `vmid`.
    Clone {
        kind: GuestKind,
        source: u32,
        vmid: u32,
    },
    /// `POST .../{vmid}/snapshot` named `name`.
    Snapshot {
        kind: GuestKind,
        vmid: u32,
        name: String,
    },
}

/// What the checks found.
#[derive(Debug)]
pub(crate) enum Found {
    /// PVE carried it out: this task does the work (wait for it).
    Task(Upid),
    /// It is done and no task is left to wait for (the snapshot is listed).
    Done,
    /// No trace of it on the node.
    Nothing,
}

impl ProxmoxClient {
    /// Tasks of `task_type` for object `id` on `node` (running and finished), newest first.
    pub(crate) async fn tasks_of(
        &self,
        node: &str,
        id: u32,
        task_type: &str,
    ) -> Result<Vec<Upid>, InfraError> {
        let data = self
            .get(
                &format!("/nodes/{node}/tasks"),
                &[
                    ("vmid", id.to_string()),
                    ("typefilter", task_type.to_string()),
                    ("source", "all".to_string()),
                ],
            )
            .await?;
        let mut found: Vec<Upid> = data
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.get("upid").and_then(Value::as_str)?.parse().ok())
            .filter(|u: &Upid| u.task_type == task_type && u.id == id.to_string())
            .collect();
        found.sort_by_key(|u| std::cmp::Reverse(u.starttime));
        Ok(found)
    }

    /// Whether the request `sent` at `since` (Unix seconds, the client's clock) was carried
    /// out, judging by the node's tasks and the guest.
    pub(crate) async fn find_outcome(
        &self,
        node: &str,
        sent: &Sent,
        since: u64,
    ) -> Result<Found, InfraError> {
        // PVE's clock and ours may differ a little.
        let since = since.saturating_sub(120);
        let prefix = |kind: GuestKind| match kind {
            GuestKind::Lxc => "vz",
            GuestKind::Qemu => "qm",
        };
        match sent {
            Sent::Create { kind, vmid } => {
                let tasks = self
                    .tasks_of(node, *vmid, &format!("{}create", prefix(*kind)))
                    .await?;
                Ok(first_since(tasks, since).map_or(Found::Nothing, Found::Task))
            }
            Sent::Clone { kind, source, vmid } => {
                // A clone task names its source; the new guest tells ours from other clones.
                let exists = self.cluster_guests().await?.iter().any(|g| g.vmid == *vmid);
                let tasks = self
                    .tasks_of(node, *source, &format!("{}clone", prefix(*kind)))
                    .await?;
                match first_since(tasks, since) {
                    Some(upid) if exists => Ok(Found::Task(upid)),
                    _ => Ok(Found::Nothing),
                }
            }
            Sent::Snapshot { kind, vmid, name } => {
                let tasks = self
                    .tasks_of(node, *vmid, &format!("{}snapshot", prefix(*kind)))
                    .await?;
                if let Some(upid) = first_since(tasks, since) {
                    return Ok(Found::Task(upid));
                }
                let listed = self
                    .snapshot_list(node, *kind, *vmid)
                    .await?
                    .iter()
                    .any(|s| &s.name == name);
                Ok(if listed { Found::Done } else { Found::Nothing })
            }
        }
    }
}

fn first_since(tasks: Vec<Upid>, since: u64) -> Option<Upid> {
    tasks.into_iter().find(|u| u.starttime >= since)
}

/// Seconds since the Unix epoch, for [`ProxmoxClient::find_outcome`].
pub(crate) fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether an error means the request went out and its answer was lost.
pub(crate) fn answer_lost(error: &InfraError) -> bool {
    matches!(error, InfraError::Connect { .. })
}
