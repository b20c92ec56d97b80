//! Routes `/api2/json/...` requests to the handlers, after authentication and scripted faults.

use std::sync::{Arc, Mutex};

use serde_json::json;

use super::request::{ApiRequest, Reply};
use super::state::{GuestKind, RecordedRequest, State};
use super::{agent, auth, guests, tasks};

/// Handles one request and records it.
pub(crate) fn handle(shared: &Arc<Mutex<State>>, req: ApiRequest) -> Reply {
    let (reply, auth_kind) = dispatch(shared, &req);
    if let Ok(mut state) = shared.lock() {
        state.requests.push(RecordedRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            auth: auth_kind,
            csrf_header: req.csrf.is_some(),
            status: reply.status,
        });
    }
    reply
}

fn dispatch(shared: &Arc<Mutex<State>>, req: &ApiRequest) -> (Reply, &'static str) {
    let seg: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let method = req.method.as_str();
    let mut state = shared.lock().expect("fake state lock");
    state.advance();

    if let Some(reply) = take_fault(&mut state, req) {
        return (reply, "none");
    }
    if method == "POST" && seg == ["access", "ticket"] {
        return (auth::create_ticket(&mut state, req), "none");
    }
    let identity = match auth::authenticate(&state, req) {
        Ok(id) => id,
        Err(reply) => return (reply, "none"),
    };
    let user = identity.user.clone();
    let kind = identity.kind;
    if let ("POST", ["nodes", node, "qemu", vmid, "agent", "exec"]) = (method, seg.as_slice())
        && state.nodes.iter().any(|n| n == node)
        && let Ok(vmid) = vmid.parse::<u32>()
    {
        // The agent spawns a process and re-locks the state itself.
        drop(state);
        return (agent::exec(shared, node, vmid, req), kind);
    }

    let reply = match (method, seg.as_slice()) {
        ("GET", ["version"]) => {
            Reply::data(json!({ "version": "8.2.4", "release": "8.2", "repoid": "faa83925" }))
        }
        ("GET", ["cluster", "nextid"]) => guests::next_id(&mut state, req),
        ("GET", ["cluster", "resources"]) => guests::cluster_resources(&state, req),
        (_, ["nodes", node, ..]) if !state.nodes.iter().any(|n| n == node) => Reply::error(
            500,
            format!(
                "hostname lookup '{node}' failed - failed to get address info for: {node}: Name or service not known"
            ),
        ),
        ("GET", ["nodes", node, "tasks"]) => tasks::list(&state, node, req),
        ("GET", ["nodes", node, "tasks", upid, "status"]) => tasks::status(&mut state, node, upid),
        ("GET", ["nodes", node, "tasks", upid, "log"]) => tasks::log(&mut state, node, upid, req),
        ("DELETE", ["nodes", node, "tasks", upid]) => tasks::stop(&mut state, node, upid),
        (_, ["nodes", node, kind_seg, rest @ ..]) if GuestKind::parse(kind_seg).is_some() => {
            let kind = GuestKind::parse(kind_seg).expect("checked");
            guest_route(&mut state, method, node, kind, rest, req, &user)
        }
        _ => not_implemented(req),
    };
    (reply, kind)
}

#[allow(clippy::too_many_arguments)]
fn guest_route(
    state: &mut State,
    method: &str,
    node: &str,
    kind: GuestKind,
    rest: &[&str],
    req: &ApiRequest,
    user: &str,
) -> Reply {
    if rest.is_empty() {
        return match method {
            "POST" => guests::create(state, node, kind, req, user),
            _ => not_implemented(req),
        };
    }
    let Ok(vmid) = rest[0].parse::<u32>() else {
        return Reply::param_errors(
            json!({ "vmid": format!("type check ('integer') failed - got '{}'", rest[0]) }),
        );
    };
    match (method, &rest[1..]) {
        ("DELETE", []) => guests::destroy(state, node, kind, vmid, req, user),
        ("POST", ["clone"]) => guests::clone(state, node, kind, vmid, req, user),
        ("GET", ["status", "current"]) => guests::current_status(state, node, kind, vmid),
        ("POST", ["status", action]) => {
            guests::change_status(state, node, kind, vmid, action, req, user)
        }
        ("GET", ["config"]) => guests::get_config(state, node, kind, vmid),
        ("PUT", ["resize"]) => guests::resize(state, node, kind, vmid, req, user),
        ("PUT", ["config"]) => guests::put_config(state, node, kind, vmid, req),
        ("GET", ["snapshot"]) => guests::list_snapshots(state, node, kind, vmid),
        ("POST", ["snapshot"]) => guests::create_snapshot(state, node, kind, vmid, req, user),
        ("POST", ["snapshot", name, "rollback"]) => {
            guests::rollback_snapshot(state, node, kind, vmid, name, req, user)
        }
        ("DELETE", ["snapshot", name]) => {
            guests::delete_snapshot(state, node, kind, vmid, name, req, user)
        }
        ("GET", ["agent", "exec-status"]) if kind == GuestKind::Qemu => {
            agent::exec_status(state, req)
        }
        _ => not_implemented(req),
    }
}

fn not_implemented(req: &ApiRequest) -> Reply {
    Reply::error(
        501,
        format!("Method '{} /{}' not implemented", req.method, req.path),
    )
}

/// Answers with a scripted failure if one matches.
fn take_fault(state: &mut State, req: &ApiRequest) -> Option<Reply> {
    let fault = state.faults.iter_mut().find(|f| {
        f.times > 0
            && f.method.as_deref().is_none_or(|m| m == req.method)
            && req.path.contains(&f.path_contains)
    })?;
    fault.times -= 1;
    let mut reply = Reply::error(fault.status, fault.reason.clone());
    if let Some(errors) = &fault.errors {
        reply.body["errors"] = errors.clone();
    }
    Some(reply)
}
