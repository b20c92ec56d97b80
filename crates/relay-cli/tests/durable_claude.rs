//! `kill -9` in the middle of an agent run with the real `claude` CLI (against the testkit's fake
//! Anthropic API): the next process reports the job `interrupted` with what finished, and
//! `relay jobs resume` resumes the interrupted repository's Claude session with `--resume` (the
//! API receives the earlier conversation) and does not run a finished repository again.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use relay_testkit::anthropic::{FakeAnthropic, Script, Turn};
use relay_testkit::claude_cli::{claude_bin, claude_env};
use serde_json::{Value, json};

/// Real repositories `shared-api`, `docs` and `backend` (depends on shared-api).
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("ws");
    relay_testkit::git::write_workspace(
        &root,
        &[
            ("shared-api", &[]),
            ("docs", &[]),
            ("backend", &["shared-api"]),
        ],
    );
    (tmp, root)
}

fn command(ws: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.current_dir(ws)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_STORE_URL")
        .env_remove("RELAY_TOKEN")
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Kills every process whose command line mentions `marker` (the agents and MCP servers a
/// killed relay left behind; nobody else can, their parent died).
fn kill_orphans(marker: &Path) {
    let marker = marker.to_string_lossy().into_owned();
    let me = std::process::id() as i32;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(&marker)
        {
            // SAFETY: signal delivery only.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// Every text in a request's `messages` (text blocks, tool uses' inputs, tool results).
fn conversation(request: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for message in request["messages"].as_array().into_iter().flatten() {
        let role = message["role"].as_str().unwrap_or_default().to_owned();
        match &message["content"] {
            Value::String(s) => out.push((role.clone(), s.clone())),
            Value::Array(blocks) => {
                for block in blocks {
                    let shown = match block["type"].as_str() {
                        Some("text") => block["text"].as_str().unwrap_or_default().to_owned(),
                        Some("tool_use") => {
                            format!("tool_use {} {}", block["name"], block["input"])
                        }
                        Some("tool_result") => format!("tool_result {}", block["content"]),
                        _ => continue,
                    };
                    out.push((role.clone(), shown));
                }
            }
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_claude_run_then_resume_continues_the_session() {
    let (_tmp, ws) = workspace();
    let notes = ws.join("docs/NOTES.md");
    let done = ws.join("docs/DONE.md");
    // One claude process per repository with -j 1: shared-api, docs, backend. docs writes its
    // notes, then the API hangs on its next turn: the run is killed there.
    let server = FakeAnthropic::start(Script::new(vec![
        Turn::text("shared-api needs nothing."),
        Turn::tool(
            "Writing the notes.",
            "Write",
            json!({"file_path": notes.display().to_string(), "content": "notes\n"}),
        ),
        Turn::Hang,
        // The resumed session: it may still write (the job kept `--allowed-tools`).
        Turn::tool(
            "Finishing.",
            "Write",
            json!({"file_path": done.display().to_string(), "content": "done\n"}),
        ),
        Turn::text("The notes are written."),
        Turn::text("backend needs nothing."),
    ]))
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut env = claude_env(&server.url(), home.path());
    env.push((
        "RELAY_CLAUDE_BIN".into(),
        claude_bin().display().to_string(),
    ));

    let mut run = command(
        &ws,
        &env,
        &[
            "run",
            "document the API",
            "-j",
            "1",
            "--allowed-tools",
            "Write",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .process_group(0)
    .spawn()
    .expect("relay starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.turns_served() < 3 {
        assert!(
            Instant::now() < deadline,
            "docs' second turn never came; {} served",
            server.turns_served()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: signal delivery to the process group the test created.
    unsafe {
        libc::kill(-(run.id() as i32), libc::SIGKILL);
    }
    let _ = run.wait();
    kill_orphans(&ws);
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "notes\n");

    let (ws2, env2) = (ws.clone(), env.clone());
    let out = tokio::task::spawn_blocking(move || {
        command(&ws2, &env2, &["jobs", "--json"]).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let jobs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = &jobs[0];
    assert_eq!(
        (job["operation"].as_str(), job["state"].as_str()),
        (Some("agent_run"), Some("interrupted")),
        "{jobs}"
    );
    assert_eq!(job["done"], json!(["shared-api"]), "{job}");
    let message = job["message"].as_str().unwrap();
    assert!(
        message.contains("1 of 3 repositories finished (shared-api)"),
        "{message}"
    );
    // The interrupted repository's Claude session is kept for the resume.
    let session = job["resume"]["docs"]
        .as_str()
        .unwrap_or_else(|| panic!("no docs session kept: {job}"))
        .to_owned();
    let id = job["id"].as_str().unwrap().to_owned();

    let (ws2, env2, id2) = (ws.clone(), env.clone(), id.clone());
    let out = tokio::task::spawn_blocking(move || {
        command(&ws2, &env2, &["jobs", "resume", &id2])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("job {id}: succeeded (3 of 3 repositories done)")),
        "{}",
        text(&out)
    );

    // Six model turns in all: shared-api was not run again.
    let requests = server.message_requests();
    assert_eq!(requests.len(), 6, "{requests:#?}");
    assert_eq!(std::fs::read_to_string(&done).unwrap(), "done\n");
    // The resumed request carries docs' earlier conversation: the prompt, the model's tool call
    // and its result, then the prompt of the resumed run.
    let resumed = conversation(&requests[3].body);
    let position = |what: &dyn Fn(&(String, String)) -> bool| resumed.iter().position(what);
    let asked = position(&|(role, t)| role == "user" && t.contains("document the API"))
        .unwrap_or_else(|| panic!("the first prompt is not in {resumed:#?}"));
    let wrote = position(&|(role, t)| role == "assistant" && t.contains("Writing the notes."))
        .unwrap_or_else(|| panic!("the model's earlier reply is not in {resumed:#?}"));
    let tool = position(&|(role, t)| role == "assistant" && t.starts_with("tool_use \"Write\""))
        .unwrap_or_else(|| panic!("the earlier tool call is not in {resumed:#?}"));
    let result = position(&|(role, t)| role == "user" && t.starts_with("tool_result"))
        .unwrap_or_else(|| panic!("the earlier tool result is not in {resumed:#?}"));
    assert!(
        asked < wrote && wrote <= tool && tool < result,
        "{resumed:#?}"
    );
    // Every run, the resumed ones too, offers the agent Relay's tools over MCP (the job kept
    // the `relay mcp` command).
    for (i, request) in requests.iter().enumerate() {
        assert!(
            request
                .body
                .to_string()
                .contains("mcp__relay__impact_analysis"),
            "request {i} offers no Relay MCP tools"
        );
    }
    let system = requests[3].body["system"].to_string();
    assert!(
        system.contains("You are working in repository `docs`"),
        "{system}"
    );
    let system = requests[5].body["system"].to_string();
    assert!(
        system.contains("You are working in repository `backend`"),
        "{system}"
    );
    // The first run's conversation is not replayed into backend's fresh session.
    assert!(
        !conversation(&requests[5].body)
            .iter()
            .any(|(_, t)| t.contains("Writing the notes.")),
        "{:#?}",
        conversation(&requests[5].body)
    );

    // The job records the session it resumed and ends with every repository done.
    let (ws2, env2, id2) = (ws.clone(), env.clone(), id.clone());
    let out = tokio::task::spawn_blocking(move || {
        command(&ws2, &env2, &["jobs", "show", &id2, "--json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["job"]["state"], "succeeded");
    assert_eq!(
        shown["job"]["done"],
        json!(["shared-api", "docs", "backend"])
    );
    let started: Vec<&Value> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "agent" && e["event"]["type"] == "session_started")
        .collect();
    // docs' session started twice, the second time resumed: the same session.
    let docs: Vec<&str> = started
        .iter()
        .filter(|e| e["repo"] == "docs")
        .map(|e| e["event"]["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(docs, [session.as_str(), session.as_str()], "{started:#?}");
    assert_eq!(started.len(), 4, "one session per repository, docs' twice");
}
