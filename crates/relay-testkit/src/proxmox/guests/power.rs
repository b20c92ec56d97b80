//! Power state: `POST .../status/{start|shutdown|stop|reboot}` and `GET .../status/current`.

use std::time::Instant;

use serde_json::json;

use super::super::request::{ApiRequest, Reply};
use super::super::state::{Effect, GuestKind, State, TaskOutcome};
use super::common::{GIB, config_u64, guest_mut, start_guest_task, task_type, unlocked_guest_mut};

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
    let guest = match unlocked_guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let label = guest.label();
    let mut exit = None;
    let effect: Effect = match action {
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
    let task_type = task_type(kind, action);
    if let Some(exit_status) = exit {
        state.outcomes.push_front(TaskOutcome {
            task_type: task_type.clone(),
            exit_status,
            log: vec!["waiting for the guest to shut down".to_string()],
        });
    }
    start_guest_task(state, node, &task_type, vmid, user, Vec::new(), effect)
}

/// `GET /nodes/{node}/{kind}/{vmid}/status/current`.
pub(crate) fn current_status(state: &mut State, node: &str, kind: GuestKind, vmid: u32) -> Reply {
    let guest = match guest_mut(state, node, kind, vmid) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let cores = config_u64(&guest.config, "cores", 1);
    let memory_mb = config_u64(&guest.config, "memory", 512);
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
