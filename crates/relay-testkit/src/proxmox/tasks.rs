//! Task endpoints: status moving from running to stopped, and the task log.

use std::time::Instant;

use serde_json::{Value, json};

use super::request::{ApiRequest, Reply};
use super::state::State;

fn find_task<'a>(
    state: &'a mut State,
    node: &str,
    upid: &str,
) -> Result<&'a mut super::state::Task, Reply> {
    if !upid.starts_with("UPID:") || upid.split(':').count() < 9 {
        return Err(Reply::param_errors(
            json!({ "upid": "unable to parse worker upid" }),
        ));
    }
    match state.tasks.get_mut(upid) {
        Some(t) if t.node == node => Ok(t),
        _ => Err(Reply::error(500, format!("no such task '{upid}'"))),
    }
}

/// `GET /nodes/{node}/tasks`: the node's tasks, newest first, filtered by `vmid`, `typefilter`
/// and `source` (`archive`, the default: finished ones; `active`: running ones; `all`).
pub(crate) fn list(state: &State, node: &str, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(
        &[
            "vmid",
            "typefilter",
            "source",
            "limit",
            "start",
            "userfilter",
            "errors",
            "since",
            "until",
            "statusfilter",
        ],
        &[],
    ) {
        return r;
    }
    let vmid = req.param("vmid");
    let typefilter = req.param("typefilter");
    let source = req.param("source").unwrap_or("archive");
    if !matches!(source, "archive" | "active" | "all") {
        return Reply::param_errors(
            json!({ "source": format!("value '{source}' does not have a value in the enumeration 'archive, active, all'") }),
        );
    }
    let now = Instant::now();
    let mut tasks: Vec<&super::state::Task> = state
        .tasks
        .values()
        .filter(|t| t.node == node)
        .filter(|t| {
            let running = t.is_running(now);
            match source {
                "active" => running,
                "archive" => !running,
                _ => true,
            }
        })
        .filter(|t| vmid.is_none_or(|v| t.upid.split(':').nth(6) == Some(v)))
        .filter(|t| typefilter.is_none_or(|f| t.kind == f))
        .collect();
    tasks.sort_by_key(|t| std::cmp::Reverse(t.started));
    let data: Vec<Value> = tasks
        .iter()
        .map(|t| {
            let parts: Vec<&str> = t.upid.split(':').collect();
            let mut entry = json!({
                "upid": t.upid,
                "node": t.node,
                "pid": u32::from_str_radix(parts[2], 16).unwrap_or_default(),
                "pstart": u32::from_str_radix(parts[3], 16).unwrap_or_default(),
                "starttime": u64::from_str_radix(parts[4], 16).unwrap_or_default(),
                "type": t.kind,
                "id": parts[6],
                "user": parts[7],
            });
            if !t.is_running(now) {
                entry["status"] = json!(t.exit_status);
                entry["endtime"] = json!(
                    u64::from_str_radix(parts[4], 16).unwrap_or_default() + t.duration.as_secs()
                );
            }
            entry
        })
        .collect();
    Reply::data(Value::Array(data))
}

/// `GET /nodes/{node}/tasks/{upid}/status`.
pub(crate) fn status(state: &mut State, node: &str, upid: &str) -> Reply {
    let task = match find_task(state, node, upid) {
        Ok(t) => t,
        Err(r) => return r,
    };
    task.status_polls += 1;
    let parts: Vec<&str> = task.upid.split(':').collect();
    let running = task.is_running(Instant::now());
    let mut data = json!({
        "upid": task.upid,
        "node": task.node,
        "pid": u32::from_str_radix(parts[2], 16).unwrap_or_default(),
        "pstart": u32::from_str_radix(parts[3], 16).unwrap_or_default(),
        "starttime": u64::from_str_radix(parts[4], 16).unwrap_or_default(),
        "type": task.kind,
        "id": parts[6],
        "user": parts[7],
        "status": if running { "running" } else { "stopped" },
    });
    if !running {
        data["exitstatus"] = json!(task.exit_status);
    }
    Reply::data(data)
}

/// `GET /nodes/{node}/tasks/{upid}/log`: lines appear as the task runs; the last says how it ended.
pub(crate) fn log(state: &mut State, node: &str, upid: &str, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(&["start", "limit", "download"], &[]) {
        return r;
    }
    let start = match req.int("start", 0, i64::MAX) {
        Ok(v) => v.unwrap_or(0) as usize,
        Err(r) => return r,
    };
    let limit = match req.int("limit", 0, i64::MAX) {
        Ok(v) => v.unwrap_or(50) as usize,
        Err(r) => return r,
    };
    let task = match find_task(state, node, upid) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let now = Instant::now();
    let visible = if task.is_running(now) {
        let body = task.log.len().saturating_sub(1);
        let fraction =
            now.duration_since(task.started).as_secs_f64() / task.duration.as_secs_f64().max(1e-9);
        ((body as f64) * fraction).floor() as usize
    } else {
        task.log.len()
    };
    let lines: Vec<Value> = task.log[..visible]
        .iter()
        .enumerate()
        .skip(start)
        .take(limit)
        .map(|(i, t)| json!({ "n": i + 1, "t": t }))
        .collect();
    let mut reply = Reply::data(Value::Array(lines));
    reply.body["total"] = json!(visible);
    reply
}

/// `DELETE /nodes/{node}/tasks/{upid}`: stops a running task; it ends as interrupted.
pub(crate) fn stop(state: &mut State, node: &str, upid: &str) -> Reply {
    let task = match find_task(state, node, upid) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let now = Instant::now();
    if task.is_running(now) {
        task.duration = now.duration_since(task.started);
        task.exit_status = "interrupted by signal".to_string();
        task.log.pop();
        task.log.push("received interrupt".to_string());
        task.log
            .push("TASK ERROR: interrupted by signal".to_string());
    }
    state.advance();
    Reply::data(Value::Null)
}
