//! Snapshots: list, create, roll back to and delete (`/nodes/{node}/{kind}/{vmid}/snapshot`).

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use super::super::request::{ApiRequest, Reply};
use super::super::state::{Guest, GuestKind, Snapshot, State, now_epoch};
use super::common::{guest_mut, start_guest_task, task_lock, task_type, unlocked_guest_mut};

/// PVE's configuration id rule: a letter, then letters, digits, `_` or `-`, at most 40 chars.
fn valid_snapshot_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Refuses a snapshot name the guest does not have.
fn check_snapshot_exists(guest: &Guest, name: &str) -> Result<(), Reply> {
    if guest.snapshots.iter().any(|s| s.name == name) {
        Ok(())
    } else {
        Err(Reply::error(
            500,
            format!("snapshot '{name}' does not exist"),
        ))
    }
}

/// `GET /nodes/{node}/{kind}/{vmid}/snapshot`.
pub(crate) fn list_snapshots(state: &mut State, node: &str, kind: GuestKind, vmid: u32) -> Reply {
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let mut list: Vec<Value> = guest
        .snapshots
        .iter()
        .map(|s| {
            let mut v =
                json!({ "name": s.name, "description": s.description, "snaptime": s.snaptime });
            if let Some(p) = &s.parent {
                v["parent"] = json!(p);
            }
            v
        })
        .collect();
    let mut current = json!({ "name": "current", "description": "You are here!", "running": guest.running as u8 });
    if let Some(p) = &guest.parent {
        current["parent"] = json!(p);
    }
    list.push(current);
    Reply::data(Value::Array(list))
}

/// `POST /nodes/{node}/{kind}/{vmid}/snapshot`.
pub(crate) fn create_snapshot(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    let allowed: &[&str] = match kind {
        GuestKind::Lxc => &["description"],
        GuestKind::Qemu => &["description", "vmstate"],
    };
    if let Err(r) = req.validate(allowed, &["snapname"]) {
        return r;
    }
    let name = req.param("snapname").unwrap_or_default().to_string();
    if !valid_snapshot_name(&name) {
        return Reply::param_errors(
            json!({ "snapname": format!("invalid format - invalid configuration ID '{name}'") }),
        );
    }
    let guest = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if guest.snapshots.iter().any(|s| s.name == name) {
        return Reply::error(500, format!("snapshot name '{name}' already used"));
    }
    guest.lock = task_lock("snapshot");
    let description = req.param("description").unwrap_or_default().to_string();
    let log = vec![format!("create snapshot '{name}'")];
    let effect = Box::new(move |guests: &mut BTreeMap<u32, Guest>| {
        if let Some(g) = guests.get_mut(&vmid) {
            g.snapshots.push(Snapshot {
                name: name.clone(),
                description,
                snaptime: now_epoch(),
                parent: g.parent.clone(),
            });
            g.parent = Some(name);
        }
    });
    let task_type = task_type(kind, "snapshot");
    start_guest_task(state, node, &task_type, vmid, user, log, effect)
}

/// `POST /nodes/{node}/{kind}/{vmid}/snapshot/{name}/rollback`.
pub(crate) fn rollback_snapshot(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    name: &str,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    if let Err(r) = req.validate(&["start"], &[]) {
        return r;
    }
    let guest = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_snapshot_exists(guest, name) {
        return r;
    }
    guest.lock = task_lock("rollback");
    let start = req.flag("start");
    let name = name.to_string();
    let log = vec![format!("rollback to snapshot '{name}'")];
    let effect = Box::new(move |guests: &mut BTreeMap<u32, Guest>| {
        if let Some(g) = guests.get_mut(&vmid) {
            g.parent = Some(name);
            g.running = start;
            g.started_at = start.then(Instant::now);
        }
    });
    let task_type = task_type(kind, "rollback");
    start_guest_task(state, node, &task_type, vmid, user, log, effect)
}

/// `DELETE /nodes/{node}/{kind}/{vmid}/snapshot/{name}`: children move up to its parent.
pub(crate) fn delete_snapshot(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    name: &str,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    if let Err(r) = req.validate(&["force"], &[]) {
        return r;
    }
    let guest = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_snapshot_exists(guest, name) {
        return r;
    }
    guest.lock = task_lock("snapshot-delete");
    let name = name.to_string();
    let log = vec![format!("delete snapshot '{name}'")];
    let effect = Box::new(move |guests: &mut BTreeMap<u32, Guest>| {
        if let Some(g) = guests.get_mut(&vmid) {
            let parent = g
                .snapshots
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| s.parent.clone());
            g.snapshots.retain(|s| s.name != name);
            for s in &mut g.snapshots {
                if s.parent.as_deref() == Some(name.as_str()) {
                    s.parent = parent.clone();
                }
            }
            if g.parent.as_deref() == Some(name.as_str()) {
                g.parent = parent;
            }
        }
    });
    let task_type = task_type(kind, "delsnapshot");
    start_guest_task(state, node, &task_type, vmid, user, log, effect)
}
