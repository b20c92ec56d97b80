//! The Claude Code adapter driving the real `claude` CLI against the fake Anthropic API.

mod support;

use std::time::Duration;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use relay_core::agent::{
    AgentError, AgentEvent, AgentStatus, AgentTask, AllowAll, CodingAgent, ContentBlock, DenyAll,
    PermissionAsker, PermissionDecision, PermissionMode, PermissionRequest, ToolRules,
};
use relay_testkit::anthropic::{Script, Turn};
use serde_json::json;
use support::{Harness, Recorder, eventually, proc_info, processes_in};

fn path_in(repo: &std::path::Path, name: &str) -> String {
    repo.join(name).display().to_string()
}

#[tokio::test]
async fn write_tool_really_edits_the_repo_and_messages_are_merged() {
    let h = Harness::new(|repo| {
        Script::new(vec![
            Turn::tool(
                "I'll create the file.",
                "Write",
                json!({"file_path": path_in(repo, "hello.txt"), "content": "hello from relay\n"}),
            ),
            Turn::text("Created hello.txt."),
        ])
    })
    .await;
    let agent = h.agent().build();
    let rec = Recorder::default();
    let task = AgentTask::builder("create hello.txt", &h.repo)
        .allowed_tools(["Write"])
        .include_partial_messages(true)
        .build();
    let outcome = agent.run(task, rec.context()).await.expect("run succeeds");

    assert_eq!(outcome.status, AgentStatus::Success, "{outcome:?}");
    assert_eq!(outcome.subtype, "success");
    assert_eq!(outcome.num_turns, 2);
    assert_eq!(outcome.result_text.as_deref(), Some("Created hello.txt."));
    assert!(outcome.session_id.is_some());
    assert_eq!(
        std::fs::read_to_string(h.repo.join("hello.txt")).unwrap(),
        "hello from relay\n"
    );
    let events = rec.events();
    assert!(
        matches!(&events[0], AgentEvent::SessionStarted { session_id, .. } if Some(session_id) == outcome.session_id.as_ref()),
        "{:?}",
        events[0]
    );
    // The CLI writes the text block and the tool_use block as two frames with one message id:
    // they arrive as one merged message.
    let first = events
        .iter()
        .find_map(|e| match e {
            AgentEvent::AssistantMessage {
                message_id,
                content,
                ..
            } if message_id == "msg_fake_0000" => Some(content.clone()),
            _ => None,
        })
        .expect("first assistant message");
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(matches!(&first[0], ContentBlock::Text { text } if text == "I'll create the file."));
    assert!(matches!(&first[1], ContentBlock::ToolUse { name, .. } if name == "Write"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::ToolStarted { name, .. } if name == "Write"))
    );
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::ToolFinished {
            is_error: false,
            ..
        }
    )));
    assert!(matches!(
        events.last(),
        Some(AgentEvent::Result { subtype, is_error: false, .. }) if subtype == "success"
    ));
    // Partial messages were asked for: the text deltas stream through as raw events.
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::PartialMessage { event } if event.to_value()["delta"]["text"] == "Created hello.txt.")));
    // The second model request carried the tool result back.
    let requests = h.server.message_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].body.to_string().contains("tool_result"));
}

#[tokio::test]
async fn multi_turn_run_edits_then_runs_a_command() {
    let h = Harness::new(|repo| {
        Script::new(vec![
            Turn::tool(
                "Creating the module.",
                "Write",
                json!({"file_path": path_in(repo, "lib.txt"), "content": "version = 1\n"}),
            ),
            Turn::tool(
                "Bumping the version.",
                "Edit",
                json!({"file_path": path_in(repo, "lib.txt"), "old_string": "version = 1", "new_string": "version = 2"}),
            ),
            Turn::tool(
                "Checking.",
                "Bash",
                json!({"command": "cat lib.txt > checked.txt", "description": "copy"}),
            ),
            Turn::text("Bumped to version 2 and checked."),
        ])
    })
    .await;
    let agent = h.agent().policy(AllowAll).build();
    let rec = Recorder::default();
    let task = AgentTask::builder("bump the version", &h.repo)
        .allowed_tools(["Write", "Edit", "Read"])
        .append_system_prompt("You work in repository `lib` (branch main).")
        .build();
    let outcome = agent.run(task, rec.context()).await.expect("run succeeds");
    assert_eq!(outcome.status, AgentStatus::Success, "{outcome:?}");
    assert_eq!(outcome.num_turns, 4);
    assert_eq!(
        std::fs::read_to_string(h.repo.join("lib.txt")).unwrap(),
        "version = 2\n"
    );
    assert_eq!(
        std::fs::read_to_string(h.repo.join("checked.txt")).unwrap(),
        "version = 2\n"
    );
    // Bash was not pre-allowed, so the policy was asked and allowed it.
    let events = rec.events();
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::PermissionDecided { tool_name, allowed: true, .. } if tool_name == "Bash")));
    let started: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolStarted { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(started, ["Write", "Edit", "Bash"]);
    let requests = h.server.message_requests();
    assert_eq!(requests.len(), 4);
    // The appended system prompt reached the model.
    assert!(
        requests[0].body["system"]
            .to_string()
            .contains("You work in repository `lib`")
    );
    // Usage adds up over the four turns (the fake reports 100 in / 20 out per turn).
    assert_eq!(outcome.usage.input_tokens, 400);
    assert_eq!(outcome.usage.output_tokens, 80);
    assert!(outcome.cost_usd > 0.0);
}

#[tokio::test]
async fn api_401_is_a_failed_outcome_that_says_to_check_the_key() {
    let h = Harness::new(|_| {
        Script::new(vec![Turn::error(
            401,
            "authentication_error",
            "invalid x-api-key",
        )])
    })
    .await;
    let agent = h.agent().build();
    let rec = Recorder::default();
    let outcome = agent
        .run(AgentTask::builder("hi", &h.repo).build(), rec.context())
        .await
        .expect("the CLI reports the API error as a result");
    assert_eq!(outcome.status, AgentStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(error.contains("401"), "{error}");
    assert!(error.contains("ANTHROPIC_API_KEY"), "{error}");
    assert!(
        rec.events().iter().any(|e| matches!(e,
        AgentEvent::AssistantMessage { error: Some(kind), .. } if kind == "authentication_failed"))
    );
}

#[tokio::test]
async fn api_529_overloaded_is_a_failed_outcome() {
    let h = Harness::new(|_| Script::new(vec![Turn::error(529, "overloaded_error", "Overloaded")]))
        .await;
    let agent = h.agent().build();
    let outcome = agent
        .run(
            AgentTask::builder("hi", &h.repo).build(),
            Recorder::default().context(),
        )
        .await
        .expect("result");
    assert_eq!(outcome.status, AgentStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(
        error.contains("529") && error.contains("overloaded"),
        "{error}"
    );
}

#[tokio::test]
async fn max_turns_stop_is_reported_as_error_max_turns() {
    let h = Harness::new(|repo| {
        Script::new(vec![
            Turn::tool(
                "one",
                "Write",
                json!({"file_path": path_in(repo, "a.txt"), "content": "a"}),
            ),
            Turn::tool(
                "two",
                "Write",
                json!({"file_path": path_in(repo, "b.txt"), "content": "b"}),
            ),
            Turn::text("never reached"),
        ])
    })
    .await;
    let agent = h.agent().build();
    let task = AgentTask::builder("write files", &h.repo)
        .allowed_tools(["Write"])
        .max_turns(1)
        .build();
    let outcome = agent
        .run(task, Recorder::default().context())
        .await
        .expect("result");
    assert_eq!(outcome.status, AgentStatus::Failed, "{outcome:?}");
    assert_eq!(outcome.subtype, "error_max_turns");
    assert!(outcome.error.unwrap().contains("max_turns"));
    assert!(h.repo.join("a.txt").exists());
    assert!(!h.repo.join("b.txt").exists());
}

#[tokio::test]
async fn tool_denied_by_the_policy_is_not_run_and_the_model_hears_why() {
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Deleting.",
                "Bash",
                json!({"command": "touch should-not-exist", "description": "touch"}),
            ),
            Turn::text("Understood, I will not run commands."),
        ])
    })
    .await;
    let agent = h
        .agent()
        .policy(DenyAll::new("commands are not allowed in this repository"))
        .build();
    let rec = Recorder::default();
    let outcome = agent
        .run(
            AgentTask::builder("clean up", &h.repo).build(),
            rec.context(),
        )
        .await
        .expect("result");
    assert_eq!(outcome.status, AgentStatus::Success);
    assert!(!h.repo.join("should-not-exist").exists());
    assert_eq!(outcome.permission_denials.len(), 1, "{outcome:?}");
    assert_eq!(outcome.permission_denials[0].tool_name, "Bash");
    let events = rec.events();
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::ToolFinished { is_error: true, output, .. } if output.contains("commands are not allowed"))));
    let second = &h.server.message_requests()[1];
    assert!(
        second
            .body
            .to_string()
            .contains("commands are not allowed in this repository")
    );
}

/// Records the pids of every process working in `dir` until stopped, so a test can check
/// afterwards that none of them is left (not even as a zombie).
fn watch_processes(dir: std::path::PathBuf) -> (Arc<Mutex<Vec<i32>>>, tokio::task::JoinHandle<()>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = seen.clone();
    let handle = tokio::spawn(async move {
        loop {
            for p in processes_in(&dir) {
                let mut seen = out.lock().unwrap();
                if !seen.contains(&p.pid) {
                    seen.push(p.pid);
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    });
    (seen, handle)
}

fn assert_all_gone(pids: &[i32], dir: &std::path::Path) {
    for pid in pids {
        assert!(
            proc_info(*pid).is_none(),
            "process {pid} is still there: {:?}",
            proc_info(*pid)
        );
    }
    assert!(
        processes_in(dir).is_empty(),
        "left behind: {:?}",
        processes_in(dir)
    );
}

#[tokio::test]
async fn hung_api_hits_the_idle_timeout_and_leaves_no_process() {
    let h = Harness::new(|_| Script::new(vec![Turn::Hang])).await;
    let agent = h.agent().build();
    let (seen, watcher) = watch_processes(h.repo.clone());
    let task = AgentTask::builder("hi", &h.repo)
        .idle_timeout(Duration::from_secs(3))
        .build();
    let err = agent
        .run(task, Recorder::default().context())
        .await
        .unwrap_err();
    watcher.abort();
    assert!(matches!(err, AgentError::IdleTimeout { .. }), "{err}");
    assert!(err.to_string().contains("idle timeout"));
    let pids = seen.lock().unwrap().clone();
    assert!(
        !pids.is_empty(),
        "the claude process was never seen in the repo"
    );
    assert_all_gone(&pids, &h.repo);
}

#[tokio::test]
async fn overall_timeout_stops_a_hung_run() {
    let h = Harness::new(|_| Script::new(vec![Turn::Hang])).await;
    let agent = h.agent().build();
    let task = AgentTask::builder("hi", &h.repo)
        .overall_timeout(Duration::from_secs(3))
        .build();
    let err = agent
        .run(task, Recorder::default().context())
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::OverallTimeout { .. }), "{err}");
    assert!(processes_in(&h.repo).is_empty());
}

#[tokio::test]
async fn cancel_kills_the_cli_and_the_command_it_runs() {
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Waiting.",
                "Bash",
                json!({"command": "tail -f /dev/null", "description": "wait"}),
            ),
            Turn::text("done"),
        ])
    })
    .await;
    let agent = h.agent().policy(AllowAll).build();
    let (seen, watcher) = watch_processes(h.repo.clone());
    let rec = Recorder::default();
    let ctx = rec.context();
    let canceller = ctx.clone();
    let repo = h.repo.clone();
    tokio::spawn(async move {
        // Cancel once the tool's `sleep` is really running.
        eventually(60, || {
            processes_in(&repo)
                .iter()
                .any(|p| p.cmdline.contains("tail -f /dev/null"))
        })
        .await;
        canceller.cancel();
    });
    let err = agent
        .run(AgentTask::builder("wait", &h.repo).build(), ctx)
        .await
        .unwrap_err();
    watcher.abort();
    assert!(matches!(err, AgentError::Cancelled), "{err}");
    let pids = seen.lock().unwrap().clone();
    assert!(pids.len() >= 2, "expected claude and sleep, saw {pids:?}");
    assert_all_gone(&pids, &h.repo);
}

#[tokio::test]
async fn interrupt_mid_run_ends_with_an_interrupted_outcome() {
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Waiting.",
                "Bash",
                json!({"command": "tail -f /dev/null", "description": "wait"}),
            ),
            Turn::text("stopped"),
        ])
    })
    .await;
    let agent = h.agent().policy(AllowAll).build();
    let rec = Recorder::default();
    let ctx = rec.context();
    let interrupter = ctx.clone();
    let repo = h.repo.clone();
    tokio::spawn(async move {
        eventually(60, || {
            processes_in(&repo)
                .iter()
                .any(|p| p.cmdline.contains("tail -f /dev/null"))
        })
        .await;
        interrupter.interrupt();
    });
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        agent.run(AgentTask::builder("wait", &h.repo).build(), ctx),
    )
    .await
    .expect("interrupt ends the run long before the sleep would")
    .expect("an interrupted run still has a result");
    assert_eq!(outcome.status, AgentStatus::Interrupted, "{outcome:?}");
    assert!(rec.events().contains(&AgentEvent::InterruptRequested));
    assert!(
        eventually(5, || processes_in(&h.repo).is_empty()).await,
        "left behind: {:?}",
        processes_in(&h.repo)
    );
}

#[tokio::test]
async fn exit_without_result_names_the_exit_code_and_stderr() {
    let h = Harness::new(|_| Script::new(vec![])).await;
    let agent = h.agent().build();
    let task = AgentTask::builder("hi", &h.repo)
        .mcp_config("{not json")
        .build();
    let err = agent
        .run(task, Recorder::default().context())
        .await
        .unwrap_err();
    let AgentError::ExitedWithoutResult { exit, stderr_tail } = &err else {
        panic!("unexpected error: {err}");
    };
    assert_eq!(exit, "exit code 1");
    assert!(stderr_tail.contains("MCP"), "{stderr_tail}");
    assert!(err.to_string().contains("stderr ends with"), "{err}");
}

#[tokio::test]
async fn bypass_permissions_as_root_is_refused_with_the_cli_reason() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return; // Only root gets this refusal; the test machines run as root.
    }
    let h = Harness::new(|_| Script::new(vec![])).await;
    let agent = h.agent().build();
    let task = AgentTask::builder("hi", &h.repo)
        .permission_mode(PermissionMode::BypassPermissions)
        .build();
    let err = agent
        .run(task, Recorder::default().context())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("root"), "{err}");
}

struct ScriptedPerson {
    questions: Mutex<Vec<String>>,
}

#[async_trait]
impl PermissionAsker for ScriptedPerson {
    async fn ask(&self, _request: &PermissionRequest, question: &str) -> PermissionDecision {
        self.questions.lock().unwrap().push(question.to_string());
        PermissionDecision::allow()
    }
}

#[tokio::test]
async fn ask_policy_puts_the_question_to_a_person() {
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Touching.",
                "Bash",
                json!({"command": "touch asked.txt", "description": "touch"}),
            ),
            Turn::text("done"),
        ])
    })
    .await;
    let person = Arc::new(ScriptedPerson {
        questions: Mutex::new(Vec::new()),
    });
    let agent = h
        .agent()
        .policy(ToolRules::new().ask("Bash"))
        .asker(person.clone())
        .build();
    let rec = Recorder::default();
    let task = AgentTask::builder("touch", &h.repo).repo("backend").build();
    let outcome = agent.run(task, rec.context()).await.expect("result");
    assert_eq!(outcome.status, AgentStatus::Success);
    assert!(h.repo.join("asked.txt").exists());
    let questions = person.questions.lock().unwrap().clone();
    assert_eq!(
        questions,
        ["Claude wants to run `touch asked.txt` in backend. Allow it?"]
    );
    assert!(rec.events().iter().any(|e| matches!(e,
        AgentEvent::PermissionRequested { question: Some(q), .. } if q == &questions[0])));
}

#[tokio::test]
async fn resumed_run_reports_its_own_cost_not_the_session_total() {
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::text("first").with_usage(100_000, 10_000),
            Turn::text("second").with_usage(1_000, 100),
        ])
    })
    .await;
    let agent = h.agent().build();
    let first = agent
        .run(
            AgentTask::builder("one", &h.repo).build(),
            Recorder::default().context(),
        )
        .await
        .expect("first run");
    let session = first.session_id.clone().expect("session id");
    let second = agent
        .run(
            AgentTask::builder("two", &h.repo)
                .resume(session.clone())
                .build(),
            Recorder::default().context(),
        )
        .await
        .expect("resumed run");
    eprintln!("first {first:?}\nsecond {second:?}");
    assert_eq!(second.session_id.as_deref(), Some(session.as_str()));
    assert!(first.cost_usd > 0.0);
    // Same model and price: the cost scales with the tokens of each run alone (100x fewer).
    let ratio = first.cost_usd / second.cost_usd;
    assert!(
        (90.0..110.0).contains(&ratio),
        "first {} second {}",
        first.cost_usd,
        second.cost_usd
    );
}

#[tokio::test]
async fn budget_stop_is_reported_as_error_max_budget_usd() {
    let h = Harness::new(|repo| {
        Script::new(vec![
            Turn::tool(
                "Expensive.",
                "Write",
                json!({"file_path": path_in(repo, "a.txt"), "content": "a"}),
            )
            .with_usage(200_000, 20_000),
            Turn::tool(
                "More.",
                "Write",
                json!({"file_path": path_in(repo, "b.txt"), "content": "b"}),
            ),
            Turn::text("never reached"),
        ])
    })
    .await;
    let agent = h.agent().build();
    let task = AgentTask::builder("write", &h.repo)
        .allowed_tools(["Write"])
        .max_budget_usd(0.01)
        .build();
    let outcome = agent
        .run(task, Recorder::default().context())
        .await
        .expect("result");
    assert_eq!(outcome.status, AgentStatus::Failed, "{outcome:?}");
    assert_eq!(outcome.subtype, "error_max_budget_usd");
    assert!(outcome.cost_usd > 0.01);
    assert!(outcome.error.unwrap().contains("raise max_budget_usd"));
    assert!(!h.repo.join("b.txt").exists());
}

#[tokio::test]
async fn a_too_old_cli_is_refused_with_upgrade_advice() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("claude");
    // Stands in for an old release: only `claude -v` is called before the refusal.
    std::fs::write(&old, "#!/bin/sh\necho '1.0.128 (Claude Code)'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    let agent = relay_agent::claude::ClaudeCodeAgent::builder()
        .binary(&old)
        .build();
    let err = agent
        .run(
            AgentTask::builder("hi", dir.path()).build(),
            Recorder::default().context(),
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AgentError::VersionTooOld { .. }), "{text}");
    assert!(
        text.contains("1.0.128") && text.contains("@anthropic-ai/claude-code@latest"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_repository_directory_is_a_clear_error() {
    let h = Harness::new(|_| Script::new(vec![])).await;
    let agent = h.agent().build();
    let missing = h.repo.join("not-here");
    let err = agent
        .run(
            AgentTask::builder("hi", &missing).build(),
            Recorder::default().context(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::MissingCwd(_)), "{err}");
    assert!(err.to_string().contains("not-here"), "{err}");
    assert!(h.server.requests().is_empty(), "nothing was started");
}
