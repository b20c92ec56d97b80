//! Making new guests: `POST /nodes/{node}/{lxc|qemu}` (create) and `.../{vmid}/clone`.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::json;

use super::super::request::{ApiRequest, Reply};
use super::super::state::{Guest, GuestKind, State};
use super::common::{
    check_id_free, check_name_param, check_size_params, required_vmid, task_lock, task_type,
    unlocked_guest_mut,
};
use super::disks::{allocate_volume, is_disk_key};

/// Parameters the LXC create schema accepts besides the required ones.
const LXC_CREATE_PARAMS: &[&str] = &[
    "hostname",
    "cores",
    "cpulimit",
    "cpuunits",
    "memory",
    "swap",
    "rootfs",
    "mp*",
    "net*",
    "password",
    "ssh-public-keys",
    "storage",
    "start",
    "unprivileged",
    "features",
    "description",
    "tags",
    "pool",
    "nameserver",
    "searchdomain",
    "onboot",
    "ostype",
    "arch",
];

/// Parameters the QEMU create schema accepts besides the required ones.
const QEMU_CREATE_PARAMS: &[&str] = &[
    "name",
    "cores",
    "sockets",
    "cpu",
    "cpulimit",
    "cpuunits",
    "memory",
    "balloon",
    "scsi*",
    "virtio*",
    "sata*",
    "ide*",
    "net*",
    "agent",
    "ostype",
    "scsihw",
    "boot",
    "description",
    "tags",
    "pool",
    "start",
    "onboot",
];

/// `POST /nodes/{node}/{lxc|qemu}`: create from an OS template (LXC) or from scratch (QEMU).
pub(crate) fn create(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    let (allowed, required): (&[&str], &[&str]) = match kind {
        GuestKind::Lxc => (LXC_CREATE_PARAMS, &["vmid", "ostemplate"]),
        GuestKind::Qemu => (QEMU_CREATE_PARAMS, &["vmid"]),
    };
    if let Err(r) = req.validate(allowed, required) {
        return r;
    }
    let vmid = match required_vmid(req, "vmid") {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_size_params(req) {
        return r;
    }
    if let Err(r) = check_name_param(req, kind) {
        return r;
    }
    if let Err(r) = check_id_free(state, kind, vmid) {
        return r;
    }
    let mut log = Vec::new();
    if kind == GuestKind::Lxc {
        let template = req.param("ostemplate").unwrap_or_default();
        if !state.templates.iter().any(|t| t == template) {
            return Reply::error(500, format!("volume '{template}' does not exist"));
        }
        let file = template.rsplit('/').next().unwrap_or(template);
        log.push(format!(
            "extracting archive '/var/lib/vz/template/cache/{file}'"
        ));
        log.push("Total bytes read: 524288000 (500MiB, 102MiB/s)".to_string());
        log.push("Detected container architecture: amd64".to_string());
    } else {
        log.push(format!("allocating disks for VM {vmid}"));
    }
    let mut config = BTreeMap::new();
    let mut disk_index = 0;
    for (key, value) in &req.params {
        if matches!(
            key.as_str(),
            "vmid" | "ostemplate" | "password" | "start" | "storage" | "pool"
        ) {
            continue;
        }
        let value = if is_disk_key(key) && !value.contains("media=cdrom") {
            disk_index += 1;
            allocate_volume(value, vmid, disk_index - 1)
        } else {
            value.clone()
        };
        config.insert(key.clone(), json!(value));
    }
    if kind == GuestKind::Lxc {
        config.entry("ostype".into()).or_insert(json!("debian"));
        config.entry("arch".into()).or_insert(json!("amd64"));
    }
    let start = req.flag("start");
    state.guests.insert(
        vmid,
        Guest {
            lock: task_lock("create"),
            ..Guest::new(vmid, kind, node.to_string(), config)
        },
    );
    let effect = Box::new(move |guests: &mut BTreeMap<u32, Guest>| {
        if start && let Some(g) = guests.get_mut(&vmid) {
            g.running = true;
            g.started_at = Some(Instant::now());
        }
    });
    let upid = state.start_task(
        node,
        &task_type(kind, "create"),
        Some(vmid),
        user,
        log,
        Some(effect),
        true,
    );
    Reply::data(json!(upid))
}

/// `POST /nodes/{node}/{kind}/{vmid}/clone`.
pub(crate) fn clone(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    let name_key = kind.name_key();
    let allowed = [
        name_key,
        "full",
        "target",
        "storage",
        "description",
        "pool",
        "snapname",
        "format",
    ];
    if let Err(r) = req.validate(&allowed, &["newid"]) {
        return r;
    }
    let newid = match required_vmid(req, "newid") {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = check_name_param(req, kind) {
        return r;
    }
    let source = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if !req.flag("full") && !source.template {
        return Reply::error(
            500,
            format!(
                "linked clone of {} needs a template; use full=1",
                source.label()
            ),
        );
    }
    let mut config = source.config.clone();
    let source_label = source.label();
    if let Err(r) = check_id_free(state, kind, newid) {
        return r;
    }
    let target = req.param("target").unwrap_or(node).to_string();
    if let Some(name) = req.param(name_key) {
        config.insert(name_key.to_string(), json!(name));
    }
    for value in config.values_mut() {
        if let Some(s) = value.as_str() {
            *value = json!(s.replace(&format!("vm-{vmid}-"), &format!("vm-{newid}-")));
        }
    }
    state.guests.insert(
        newid,
        Guest {
            lock: task_lock("create"),
            ..Guest::new(newid, kind, target, config)
        },
    );
    let log = vec![
        format!("create full clone of {source_label}"),
        "copying data: 100%".to_string(),
    ];
    let upid = state.start_task(
        node,
        &task_type(kind, "clone"),
        Some(vmid),
        user,
        log,
        None,
        true,
    );
    // The new guest's lock is released with the task, so the task must name it too.
    if let Some(task) = state.tasks.get_mut(&upid) {
        task.guest = Some(newid);
    }
    Reply::data(json!(upid))
}
