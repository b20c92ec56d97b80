//! Removing a guest: `DELETE /nodes/{node}/{kind}/{vmid}`.

use std::collections::BTreeMap;

use super::super::request::{ApiRequest, Reply};
use super::super::state::{Guest, GuestKind, State};
use super::common::{start_guest_task, task_lock, task_type, unlocked_guest_mut};
use super::disks::is_disk_key;

/// `DELETE /nodes/{node}/{kind}/{vmid}`.
pub(crate) fn destroy(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    if let Err(r) = req.validate(
        &["purge", "destroy-unreferenced-disks", "force", "skiplock"],
        &[],
    ) {
        return r;
    }
    let guest = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if guest.running && !req.flag("force") {
        return Reply::error(
            500,
            format!("{} is running - destroy failed", guest.label()),
        );
    }
    guest.lock = task_lock("destroyed");
    let disks: Vec<String> = guest
        .config
        .iter()
        .filter(|(k, _)| is_disk_key(k))
        .filter_map(|(_, v)| {
            v.as_str()
                .map(|s| s.split(',').next().unwrap_or(s).to_string())
        })
        .collect();
    let mut log: Vec<String> = disks
        .iter()
        .map(|d| format!("Logical volume \"{d}\" successfully removed"))
        .collect();
    if req.flag("purge") {
        log.push(format!(
            "purging {} {vmid} from related configurations",
            kind.label()
        ));
    }
    let effect = Box::new(move |guests: &mut BTreeMap<u32, Guest>| {
        guests.remove(&vmid);
    });
    let task_type = task_type(kind, "destroy");
    start_guest_task(state, node, &task_type, vmid, user, log, effect)
}
