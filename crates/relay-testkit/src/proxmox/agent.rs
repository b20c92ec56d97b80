//! The QEMU guest agent: `agent/exec` runs a real process (standing in for the guest OS) and
//! `agent/exec-status` reports it until it exits, with exit code and output.

use std::sync::{Arc, Mutex};

use serde_json::json;

use super::request::{ApiRequest, Reply};
use super::state::{AgentProcess, GuestKind, State};

/// `POST /nodes/{node}/qemu/{vmid}/agent/exec`.
pub(crate) fn exec(shared: &Arc<Mutex<State>>, node: &str, vmid: u32, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(&["input-data"], &["command"]) {
        return r;
    }
    let mut state = shared.lock().expect("fake state lock");
    let guest = match state.guests.get(&vmid) {
        Some(g) if g.kind == GuestKind::Qemu && g.node == node => g,
        _ => {
            return Reply::error(
                500,
                format!("Configuration file 'nodes/{node}/qemu/{vmid}.conf' does not exist"),
            );
        }
    };
    if !guest.running {
        return Reply::error(500, format!("VM {vmid} is not running"));
    }
    if !guest.agent_enabled() {
        return Reply::error(500, "No QEMU guest agent configured");
    }
    let command = req.params_named("command");
    let input = req.param("input-data").map(str::to_string);
    state.next_pid += 1;
    let pid = state.next_pid;
    state.agent.insert(pid, AgentProcess::default());
    let dir = state.agent_dir.clone();
    drop(state);

    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let result = run(&command, input, &dir).await;
        if let Ok(mut state) = shared.lock() {
            state.agent.insert(pid, result);
        }
    });
    Reply::data(json!({ "pid": pid }))
}

async fn run(command: &[String], input: Option<String>, dir: &std::path::Path) -> AgentProcess {
    use std::process::Stdio;
    use tokio::io::AsyncWriteExt;

    let mut cmd = tokio::process::Command::new(&command[0]);
    cmd.args(&command[1..])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            // The real agent reports a failed spawn as exit code 127 with the reason on stderr.
            return AgentProcess {
                exited: true,
                exit_code: Some(127),
                err: format!("Failed to execute child process “{}” ({e})", command[0]),
                ..AgentProcess::default()
            };
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        if let Some(data) = input {
            let _ = stdin.write_all(data.as_bytes()).await;
        }
        drop(stdin);
    }
    match child.wait_with_output().await {
        Ok(out) => {
            use std::os::unix::process::ExitStatusExt;
            AgentProcess {
                exited: true,
                exit_code: out.status.code(),
                signal: out.status.signal(),
                out: String::from_utf8_lossy(&out.stdout).into_owned(),
                err: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        }
        Err(e) => AgentProcess {
            exited: true,
            exit_code: Some(1),
            err: e.to_string(),
            ..AgentProcess::default()
        },
    }
}

/// `GET /nodes/{node}/qemu/{vmid}/agent/exec-status`.
pub(crate) fn exec_status(state: &mut State, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(&[], &["pid"]) {
        return r;
    }
    let pid = match req.int("pid", 0, i64::MAX) {
        Ok(v) => v.unwrap_or_default() as u64,
        Err(r) => return r,
    };
    let Some(process) = state.agent.get(&pid) else {
        return Reply::error(
            500,
            format!("Agent error: Invalid parameter 'pid': no such pid {pid}"),
        );
    };
    if !process.exited {
        return Reply::data(json!({ "exited": 0 }));
    }
    let mut data = json!({ "exited": 1 });
    if let Some(code) = process.exit_code {
        data["exitcode"] = json!(code);
    }
    if let Some(signal) = process.signal {
        data["signal"] = json!(signal);
    }
    if !process.out.is_empty() {
        data["out-data"] = json!(process.out);
    }
    if !process.err.is_empty() {
        data["err-data"] = json!(process.err);
    }
    Reply::data(data)
}
