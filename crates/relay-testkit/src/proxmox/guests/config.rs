//! Guest configuration: `GET` and `PUT /nodes/{node}/{kind}/{vmid}/config`, with PVE's config
//! digest guarding concurrent edits.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::super::request::{ApiRequest, Reply};
use super::super::state::{GuestKind, State};
use super::common::{check_size_params, guest_mut, unlocked_guest_mut};
use super::disks::{allocate_volume, is_disk_key};

/// Keys the LXC config schema accepts; disks are added as `storage:size`.
const LXC_CONFIG_PARAMS: &[&str] = &[
    "cores",
    "cpulimit",
    "cpuunits",
    "memory",
    "swap",
    "description",
    "hostname",
    "tags",
    "onboot",
    "mp*",
    "net*",
    "delete",
    "digest",
];

/// Keys the QEMU config schema accepts; disks are added as `storage:size`.
const QEMU_CONFIG_PARAMS: &[&str] = &[
    "cores",
    "cpulimit",
    "cpuunits",
    "memory",
    "balloon",
    "description",
    "name",
    "tags",
    "onboot",
    "scsi*",
    "virtio*",
    "sata*",
    "ide*",
    "net*",
    "agent",
    "delete",
    "digest",
];

/// The SHA-1 hex digest of a config, which PVE hands out and checks on updates.
fn digest(config: &BTreeMap<String, Value>) -> String {
    let text = serde_json::to_string(config).unwrap_or_default();
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, text.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /nodes/{node}/{kind}/{vmid}/config`.
pub(crate) fn get_config(state: &mut State, node: &str, kind: GuestKind, vmid: u32) -> Reply {
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let mut config = serde_json::Map::from_iter(guest.config.clone());
    config.insert("digest".into(), json!(digest(&guest.config)));
    if let Some(lock) = &guest.lock {
        config.insert("lock".into(), json!(lock.name));
    }
    if let Some(parent) = &guest.parent {
        config.insert("parent".into(), json!(parent));
    }
    Reply::data(Value::Object(config))
}

/// `PUT /nodes/{node}/{kind}/{vmid}/config` (synchronous).
pub(crate) fn put_config(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    req: &ApiRequest,
) -> Reply {
    // Only the keys each guest type's schema has; disks are added as `storage:size`.
    let allowed = match kind {
        GuestKind::Lxc => LXC_CONFIG_PARAMS,
        GuestKind::Qemu => QEMU_CONFIG_PARAMS,
    };
    if let Err(r) = req.validate(allowed, &[]) {
        return r;
    }
    if let Err(r) = check_size_params(req) {
        return r;
    }
    let guest = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Some(expected) = req.param("digest")
        && expected != digest(&guest.config)
    {
        return Reply::error(
            500,
            "detected modified configuration - file changed by other user? Try again.",
        );
    }
    let mut index = guest.config.keys().filter(|k| is_disk_key(k)).count();
    for (key, value) in &req.params {
        match key.as_str() {
            "digest" => {}
            "delete" => {
                for k in value.split(',') {
                    guest.config.remove(k.trim());
                }
            }
            k if is_disk_key(k) => {
                guest
                    .config
                    .insert(key.clone(), json!(allocate_volume(value, vmid, index)));
                index += 1;
            }
            _ => {
                guest.config.insert(key.clone(), json!(value));
            }
        }
    }
    Reply::data(Value::Null)
}
