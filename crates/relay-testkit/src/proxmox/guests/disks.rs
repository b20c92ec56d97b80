//! Guest disks: which config keys are disks, how PVE names new volumes, and
//! `PUT /nodes/{node}/{kind}/{vmid}/resize`.

use serde_json::{Value, json};

use super::super::request::{ApiRequest, Reply};
use super::super::state::{GuestKind, State};
use super::common::unlocked_guest_mut;

/// Whether a config key names a disk (`rootfs`, `mp0`, `scsi0`, ... but not `scsihw`).
pub(super) fn is_disk_key(key: &str) -> bool {
    ["rootfs", "mp", "scsi", "virtio", "sata", "ide"]
        .iter()
        .any(|p| key.starts_with(p) && key != "scsihw")
}

/// `storage:size` becomes a volume, as PVE allocates it.
pub(super) fn allocate_volume(spec: &str, vmid: u32, index: usize) -> String {
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
    let guest = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
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
