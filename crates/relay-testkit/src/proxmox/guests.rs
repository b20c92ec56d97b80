//! Guest endpoints: create, clone, status changes, config, snapshots, destroy, listing, ids.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::request::{ApiRequest, Reply};
use super::state::{Guest, GuestKind, Lock, Snapshot, State};

const GIB: u64 = 1024 * 1024 * 1024;

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn task_prefix(kind: GuestKind) -> &'static str {
    match kind {
        GuestKind::Lxc => "vz",
        GuestKind::Qemu => "qm",
    }
}

/// The guest addressed by a path, or PVE's "does not exist" error.
fn guest_mut<'a>(
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

fn task_lock(name: &str) -> Option<Lock> {
    Some(Lock {
        name: name.to_string(),
        refusals_left: None,
    })
}

/// `storage:size` becomes a volume, as PVE allocates it.
fn allocate_volume(spec: &str, vmid: u32, index: usize) -> String {
    let mut parts = spec.splitn(2, ',');
    let head = parts.next().unwrap_or_default();
    let rest = parts.next().map(|r| format!(",{r}")).unwrap_or_default();
    match head.split_once(':') {
        Some((storage, size)) if size.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            format!("{storage}:vm-{vmid}-disk-{index}{rest},size={size}G")
        }
        _ => spec.to_string(),
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

fn is_disk_key(key: &str) -> bool {
    ["rootfs", "mp", "scsi", "virtio", "sata", "ide"]
        .iter()
        .any(|p| key.starts_with(p) && key != "scsihw")
}

/// `POST /nodes/{node}/{lxc|qemu}`: create from an OS template (LXC) or from scratch (QEMU).
pub(crate) fn create(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    let (allowed, required): (&[&str], &[&str]) = match kind {
        GuestKind::Lxc => (
            &[
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
            ],
            &["vmid", "ostemplate"],
        ),
        GuestKind::Qemu => (
            &[
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
            ],
            &["vmid"],
        ),
    };
    if let Err(r) = req.validate(allowed, required) {
        return r;
    }
    let vmid = match req.int("vmid", 100, 999_999_999) {
        Ok(Some(v)) => v as u32,
        Ok(None) => unreachable!("required"),
        Err(r) => return r,
    };
    for name in ["cores", "memory", "swap", "balloon", "cpulimit"] {
        if let Err(r) = req.int(name, 0, 1 << 40) {
            return r;
        }
    }
    let name_key = match kind {
        GuestKind::Lxc => "hostname",
        GuestKind::Qemu => "name",
    };
    if let Some(name) = req.param(name_key)
        && !valid_dns_name(name)
    {
        return Reply::param_errors(
            json!({ name_key: format!("value '{name}' does not look like a valid DNS name") }),
        );
    }
    if let Some(existing) = state.guests.get(&vmid) {
        return Reply::error(
            500,
            format!(
                "{} {vmid} already exists on node '{}'",
                kind.label(),
                existing.node
            ),
        );
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
            vmid,
            kind,
            node: node.to_string(),
            running: false,
            started_at: None,
            template: false,
            config,
            snapshots: Vec::new(),
            parent: None,
            lock: task_lock("create"),
            ignores_shutdown: false,
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
        &format!("{}create", task_prefix(kind)),
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
    let name_key = match kind {
        GuestKind::Lxc => "hostname",
        GuestKind::Qemu => "name",
    };
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
    let newid = match req.int("newid", 100, 999_999_999) {
        Ok(Some(v)) => v as u32,
        Ok(None) => unreachable!("required"),
        Err(r) => return r,
    };
    if let Some(name) = req.param(name_key)
        && !valid_dns_name(name)
    {
        return Reply::param_errors(
            json!({ name_key: format!("value '{name}' does not look like a valid DNS name") }),
        );
    }
    let source = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(source) {
        return r;
    }
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
    if let Some(existing) = state.guests.get(&newid) {
        return Reply::error(
            500,
            format!(
                "{} {newid} already exists on node '{}'",
                kind.label(),
                existing.node
            ),
        );
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
            vmid: newid,
            kind,
            node: target,
            running: false,
            started_at: None,
            template: false,
            config,
            snapshots: Vec::new(),
            parent: None,
            lock: task_lock("create"),
            ignores_shutdown: false,
        },
    );
    let log = vec![
        format!("create full clone of {source_label}"),
        "copying data: 100%".to_string(),
    ];
    let upid = state.start_task(
        node,
        &format!("{}clone", task_prefix(kind)),
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

/// `POST /nodes/{node}/{kind}/{vmid}/status/{start|shutdown|stop|reboot}`.
pub(crate) fn change_status(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    action: &str,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    let allowed: &[&str] = match action {
        "shutdown" => &["timeout", "forceStop", "keepActive"],
        "stop" => &["skiplock", "timeout", "overrule-shutdown", "keepActive"],
        _ => &["skiplock", "timeout"],
    };
    if let Err(r) = req.validate(allowed, &[]) {
        return r;
    }
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(guest) {
        return r;
    }
    let label = guest.label();
    let mut exit = None;
    let effect: super::state::Effect = match action {
        "start" => {
            if guest.running {
                return Reply::error(500, format!("{label} already running"));
            }
            Box::new(move |g| {
                if let Some(g) = g.get_mut(&vmid) {
                    g.running = true;
                    g.started_at = Some(Instant::now());
                }
            })
        }
        "shutdown" | "stop" => {
            if !guest.running {
                return Reply::error(500, format!("{label} not running"));
            }
            if action == "shutdown" && guest.ignores_shutdown && !req.flag("forceStop") {
                exit = Some(match kind {
                    GuestKind::Qemu => "VM quit/powerdown failed - got timeout".to_string(),
                    GuestKind::Lxc => "shutdown timeout - container did not stop".to_string(),
                });
            }
            Box::new(move |g| {
                if let Some(g) = g.get_mut(&vmid) {
                    g.running = false;
                    g.started_at = None;
                }
            })
        }
        other => return Reply::error(501, format!("Method 'POST status/{other}' not implemented")),
    };
    let task_type = format!("{}{action}", task_prefix(kind));
    if let Some(exit_status) = exit {
        state.outcomes.push_front(super::state::TaskOutcome {
            task_type: task_type.clone(),
            exit_status,
            log: vec!["waiting for the guest to shut down".to_string()],
        });
    }
    let upid = state.start_task(
        node,
        &task_type,
        Some(vmid),
        user,
        Vec::new(),
        Some(effect),
        false,
    );
    Reply::data(json!(upid))
}

/// `GET /nodes/{node}/{kind}/{vmid}/status/current`.
pub(crate) fn current_status(state: &mut State, node: &str, kind: GuestKind, vmid: u32) -> Reply {
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let cores = guest
        .config
        .get("cores")
        .and_then(|v| v.as_str()?.parse::<u64>().ok())
        .unwrap_or(1);
    let memory_mb = guest
        .config
        .get("memory")
        .and_then(|v| v.as_str()?.parse::<u64>().ok())
        .unwrap_or(512);
    let mut status = json!({
        "vmid": vmid,
        "name": guest.name(),
        "status": if guest.running { "running" } else { "stopped" },
        "cpus": cores,
        "maxmem": memory_mb * 1024 * 1024,
        "mem": if guest.running { memory_mb * 1024 * 1024 / 4 } else { 0 },
        "uptime": guest.started_at.map(|s| s.elapsed().as_secs()).unwrap_or(0),
        "type": kind.as_str(),
        "maxdisk": 20 * GIB,
    });
    if kind == GuestKind::Qemu {
        status["qmpstatus"] = json!(if guest.running { "running" } else { "stopped" });
        if guest.agent_enabled() {
            status["agent"] = json!(1);
        }
    }
    if let Some(lock) = &guest.lock {
        status["lock"] = json!(lock.name);
    }
    if guest.template {
        status["template"] = json!(1);
    }
    Reply::data(status)
}

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

/// Size in GiB from a volume string's `size=` option (`...,size=8G`).
fn volume_size_gib(volume: &str) -> Option<f64> {
    let size = volume.split(',').find_map(|o| o.strip_prefix("size="))?;
    let (number, unit) = size.split_at(size.len().saturating_sub(1));
    let n: f64 = number.parse().ok()?;
    match unit {
        "T" => Some(n * 1024.0),
        "G" => Some(n),
        "M" => Some(n / 1024.0),
        _ => size
            .parse::<f64>()
            .ok()
            .map(|b| b / (1024.0 * 1024.0 * 1024.0)),
    }
}

/// `PUT /nodes/{node}/{kind}/{vmid}/resize`: grows a disk. LXC answers with a task; QEMU
/// answers `null` once done (as PVE 7 does), so clients must handle both.
pub(crate) fn resize(
    state: &mut State,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    req: &ApiRequest,
    user: &str,
) -> Reply {
    if let Err(r) = req.validate(&["digest", "skiplock"], &["disk", "size"]) {
        return r;
    }
    let disk = req.param("disk").unwrap_or_default().to_string();
    let size = req.param("size").unwrap_or_default().to_string();
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(guest) {
        return r;
    }
    let Some(volume) = guest
        .config
        .get(&disk)
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Reply::error(500, format!("disk '{disk}' does not exist"));
    };
    let current = volume_size_gib(&volume).unwrap_or(0.0);
    let (relative, digits) = match size.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, size.as_str()),
    };
    let Some(amount) = digits.strip_suffix('G').and_then(|n| n.parse::<f64>().ok()) else {
        return Reply::param_errors(
            json!({ "size": format!("value does not match the regex pattern - got '{size}'") }),
        );
    };
    let new = if relative { current + amount } else { amount };
    if new < current {
        return Reply::error(500, "shrinking disks is not supported");
    }
    let base: Vec<&str> = volume
        .split(',')
        .filter(|o| !o.starts_with("size="))
        .collect();
    let resized = format!("{},size={}G", base.join(","), new);
    guest.config.insert(disk, json!(resized));
    match kind {
        GuestKind::Qemu => Reply::data(Value::Null),
        GuestKind::Lxc => {
            let log = vec![format!(
                "  Size of logical volume pve/vm-{vmid}-disk-0 changed from {current}.00 GiB to {new}.00 GiB."
            )];
            let upid = state.start_task(node, "resize", Some(vmid), user, log, None, false);
            Reply::data(json!(upid))
        }
    }
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
    let allowed: &[&str] = match kind {
        GuestKind::Lxc => &[
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
        ],
        GuestKind::Qemu => &[
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
        ],
    };
    if let Err(r) = req.validate(allowed, &[]) {
        return r;
    }
    for name in ["cores", "memory", "swap", "balloon", "cpulimit"] {
        if let Err(r) = req.int(name, 0, 1 << 40) {
            return r;
        }
    }
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(guest) {
        return r;
    }
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

fn valid_snapshot_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
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
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(guest) {
        return r;
    }
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
    let upid = state.start_task(
        node,
        &format!("{}snapshot", task_prefix(kind)),
        Some(vmid),
        user,
        log,
        Some(effect),
        false,
    );
    Reply::data(json!(upid))
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
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(guest) {
        return r;
    }
    if !guest.snapshots.iter().any(|s| s.name == name) {
        return Reply::error(500, format!("snapshot '{name}' does not exist"));
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
    let upid = state.start_task(
        node,
        &format!("{}rollback", task_prefix(kind)),
        Some(vmid),
        user,
        log,
        Some(effect),
        false,
    );
    Reply::data(json!(upid))
}

/// `DELETE /nodes/{node}/{kind}/{vmid}/snapshot/{name}`.
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
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(guest) {
        return r;
    }
    if !guest.snapshots.iter().any(|s| s.name == name) {
        return Reply::error(500, format!("snapshot '{name}' does not exist"));
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
    let upid = state.start_task(
        node,
        &format!("{}delsnapshot", task_prefix(kind)),
        Some(vmid),
        user,
        log,
        Some(effect),
        false,
    );
    Reply::data(json!(upid))
}

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
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if let Err(r) = check_unlocked(guest) {
        return r;
    }
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
    let upid = state.start_task(
        node,
        &format!("{}destroy", task_prefix(kind)),
        Some(vmid),
        user,
        log,
        Some(effect),
        false,
    );
    Reply::data(json!(upid))
}

/// `GET /cluster/resources`.
pub(crate) fn cluster_resources(state: &State, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(&["type"], &[]) {
        return r;
    }
    let kind = req.param("type");
    let mut out = Vec::new();
    if kind.is_none() || kind == Some("node") {
        for node in &state.nodes {
            out.push(json!({ "id": format!("node/{node}"), "type": "node", "node": node, "status": "online" }));
        }
    }
    if kind.is_none() || kind == Some("vm") {
        for g in state.guests.values() {
            let memory_mb = g
                .config
                .get("memory")
                .and_then(|v| v.as_str()?.parse::<u64>().ok())
                .unwrap_or(512);
            let cores = g
                .config
                .get("cores")
                .and_then(|v| v.as_str()?.parse::<u64>().ok())
                .unwrap_or(1);
            let mut entry = json!({
                "id": format!("{}/{}", g.kind.as_str(), g.vmid),
                "type": g.kind.as_str(),
                "vmid": g.vmid,
                "node": g.node,
                "name": g.name(),
                "status": if g.running { "running" } else { "stopped" },
                "template": g.template as u8,
                "maxcpu": cores,
                "maxmem": memory_mb * 1024 * 1024,
                "maxdisk": 20 * GIB,
                "uptime": g.started_at.map(|s| s.elapsed().as_secs()).unwrap_or(0),
            });
            if let Some(tags) = g.config.get("tags") {
                entry["tags"] = tags.clone();
            }
            if let Some(lock) = &g.lock {
                entry["lock"] = json!(lock.name);
            }
            out.push(entry);
        }
    }
    Reply::data(Value::Array(out))
}

/// `GET /cluster/nextid`; a scripted race lets "another client" take the id right after.
pub(crate) fn next_id(state: &mut State, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(&["vmid"], &[]) {
        return r;
    }
    if let Some(raw) = req.param("vmid") {
        let vmid = match req.int("vmid", 100, 999_999_999) {
            Ok(v) => v.unwrap_or_default() as u32,
            Err(r) => return r,
        };
        if state.guests.contains_key(&vmid) {
            return Reply::param_errors(json!({ "vmid": format!("VM {raw} already exists") }));
        }
        return Reply::data(json!(vmid.to_string()));
    }
    let id = (100u32..)
        .find(|id| !state.guests.contains_key(id))
        .unwrap_or(100);
    if state.id_races > 0 {
        state.id_races -= 1;
        let node = state.nodes[0].clone();
        let mut config = BTreeMap::new();
        config.insert("hostname".to_string(), json!(format!("parallel-{id}")));
        state.guests.insert(
            id,
            Guest {
                vmid: id,
                kind: GuestKind::Lxc,
                node,
                running: false,
                started_at: None,
                template: false,
                config,
                snapshots: Vec::new(),
                parent: None,
                lock: None,
                ignores_shutdown: false,
            },
        );
    }
    Reply::data(json!(id.to_string()))
}
