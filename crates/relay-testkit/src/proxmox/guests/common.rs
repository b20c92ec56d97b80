//! Helpers every guest endpoint shares: looking a guest up, refusing locked guests, task locks
//! and task types, the PVE parameter checks that several endpoints repeat, and config numbers.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::super::request::{ApiRequest, Reply};
use super::super::state::{Effect, Guest, GuestKind, Lock, State};

/// One GiB in bytes.
pub(super) const GIB: u64 = 1024 * 1024 * 1024;

/// Sizing parameters that must be integers when given (create and config updates).
const SIZE_PARAMS: [&str; 5] = ["cores", "memory", "swap", "balloon", "cpulimit"];

/// The task type of `action` on a guest of `kind` (`vzstart`, `qmsnapshot`, ...).
pub(super) fn task_type(kind: GuestKind, action: &str) -> String {
    let prefix = match kind {
        GuestKind::Lxc => "vz",
        GuestKind::Qemu => "qm",
    };
    format!("{prefix}{action}")
}

/// The guest addressed by a path, or PVE's "does not exist" error.
pub(super) fn guest_mut<'a>(
    state: &'a mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
) -> Result<&'a mut Guest, Reply> {
    match state.guests.get_mut(&vmid) {
        Some(g) if g.kind == kind && g.node == node => Ok(g),
        _ => Err(Reply::error(
            500,
            format!(
                "Configuration file 'nodes/{node}/{}/{vmid}.conf' does not exist",
                kind.as_str()
            ),
        )),
    }
}

/// Refuses work on a locked guest; a scripted lock goes away after its refusals.
fn check_unlocked(guest: &mut Guest) -> Result<(), Reply> {
    let label = guest.label();
    let Some(lock) = guest.lock.as_mut() else {
        return Ok(());
    };
    let message = format!("{label} is locked ({})", lock.name);
    if let Some(left) = lock.refusals_left.as_mut() {
        *left = left.saturating_sub(1);
        if *left == 0 {
            guest.lock = None;
        }
    }
    Err(Reply::error(500, message))
}

/// The guest addressed by a path if it is not locked ([`guest_mut`] then [`check_unlocked`]).
pub(super) fn unlocked_guest_mut<'a>(
    state: &'a mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
) -> Result<&'a mut Guest, Reply> {
    let guest = guest_mut(state, node, kind, vmid)?;
    check_unlocked(guest)?;
    Ok(guest)
}

/// The lock a task holds on its guest until it ends.
pub(super) fn task_lock(name: &str) -> Option<Lock> {
    Some(Lock {
        name: name.to_string(),
        refusals_left: None,
    })
}

/// Starts a task on guest `vmid` that keeps the guest if it fails, and answers with its UPID.
pub(super) fn start_guest_task(
    state: &mut State,
    node: &str,
    task_type: &str,
    vmid: u32,
    user: &str,
    log: Vec<String>,
    effect: Effect,
) -> Reply {
    let upid = state.start_task(node, task_type, Some(vmid), user, log, Some(effect), false);
    Reply::data(json!(upid))
}

/// A required id parameter (`vmid`, `newid`) in PVE's range.
pub(super) fn required_vmid(req: &ApiRequest, name: &str) -> Result<u32, Reply> {
    match req.int(name, 100, 999_999_999)? {
        Some(v) => Ok(v as u32),
        None => unreachable!("required"),
    }
}

/// Checks that the sizing parameters given are integers.
pub(super) fn check_size_params(req: &ApiRequest) -> Result<(), Reply> {
    for name in SIZE_PARAMS {
        req.int(name, 0, 1 << 40)?;
    }
    Ok(())
}

/// Checks that the guest name parameter, if given, is a valid DNS name.
pub(super) fn check_name_param(req: &ApiRequest, kind: GuestKind) -> Result<(), Reply> {
    let name_key = kind.name_key();
    match req.param(name_key) {
        Some(name) if !valid_dns_name(name) => Err(Reply::param_errors(
            json!({ name_key: format!("value '{name}' does not look like a valid DNS name") }),
        )),
        _ => Ok(()),
    }
}

fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Refuses a new guest id that is taken, as PVE does.
pub(super) fn check_id_free(state: &State, kind: GuestKind, vmid: u32) -> Result<(), Reply> {
    match state.guests.get(&vmid) {
        Some(existing) => Err(Reply::error(
            500,
            format!(
                "{} {vmid} already exists on node '{}'",
                kind.label(),
                existing.node
            ),
        )),
        None => Ok(()),
    }
}

/// A numeric config value stored as a string (`cores`, `memory`), or `default`.
pub(super) fn config_u64(config: &BTreeMap<String, Value>, key: &str, default: u64) -> u64 {
    config
        .get(key)
        .and_then(|v| v.as_str()?.parse::<u64>().ok())
        .unwrap_or(default)
}
