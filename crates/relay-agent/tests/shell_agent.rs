//! The shell agent running real commands.

mod support;

use std::time::Duration;

use relay_agent::shell::ShellAgent;
use relay_core::agent::{AgentError, AgentEvent, AgentStatus, AgentTask, CodingAgent};
use support::{Recorder, eventually, proc_info, processes_in};

fn repo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().canonicalize().unwrap();
    (dir, path)
}

#[tokio::test]
async fn runs_the_command_in_the_repo_and_streams_its_output() {
    let (_d, repo) = repo();
    let rec = Recorder::default();
    let task = AgentTask::builder(
        "sh -c 'pwd; echo changed > out.txt; echo to-stderr >&2'",
        &repo,
    )
    .repo("backend")
    .build();
    let outcome = ShellAgent::new().run(task, rec.context()).await.unwrap();
    assert_eq!(outcome.status, AgentStatus::Success);
    assert_eq!(
        std::fs::read_to_string(repo.join("out.txt")).unwrap(),
        "changed\n"
    );
    let events = rec.events();
    assert!(matches!(&events[0], AgentEvent::SessionStarted { tools, .. } if tools == &["shell"]));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::Output { stream, line } if stream == "stdout" && line == &repo.display().to_string())));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::Output { stream, line } if stream == "stderr" && line == "to-stderr")));
    assert!(matches!(
        events.last(),
        Some(AgentEvent::Result {
            is_error: false,
            ..
        })
    ));
}

#[tokio::test]
async fn a_failing_command_is_a_failed_outcome_with_code_and_stderr() {
    let (_d, repo) = repo();
    let task = AgentTask::builder("x", &repo)
        .command(["sh", "-c", "echo boom >&2; exit 3"])
        .build();
    let outcome = ShellAgent::new()
        .run(task, Recorder::default().context())
        .await
        .unwrap();
    assert_eq!(outcome.status, AgentStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(
        error.contains("exit code 3") && error.contains("boom"),
        "{error}"
    );
}

#[tokio::test]
async fn user_text_never_reaches_a_shell() {
    let (_d, repo) = repo();
    let task = AgentTask::builder("echo $HOME; touch pwned", &repo).build();
    let rec = Recorder::default();
    ShellAgent::new().run(task, rec.context()).await.unwrap();
    assert!(!repo.join("pwned").exists());
    assert!(rec.events().iter().any(|e| matches!(e,
        AgentEvent::Output { line, .. } if line == "$HOME; touch pwned")));
}

#[tokio::test]
async fn a_missing_program_is_a_clear_error() {
    let (_d, repo) = repo();
    let task = AgentTask::builder("no-such-program-relay", &repo).build();
    let err = ShellAgent::new()
        .run(task, Recorder::default().context())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no-such-program-relay"), "{err}");
}

#[tokio::test]
async fn cancel_kills_the_command_and_its_children() {
    relay_agent::become_child_subreaper();
    let (_d, repo) = repo();
    // The child runs in a process group of its own, like tools do.
    let task = AgentTask::builder("x", &repo)
        .command(["sh", "-c", "setsid sleep 300 & sleep 300"])
        .build();
    let rec = Recorder::default();
    let ctx = rec.context();
    let canceller = ctx.clone();
    let watch_repo = repo.clone();
    let pids = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = pids.clone();
    tokio::spawn(async move {
        eventually(10, || {
            let found: Vec<i32> = processes_in(&watch_repo).iter().map(|p| p.pid).collect();
            let enough = found.len() >= 3;
            *seen.lock().unwrap() = found;
            enough
        })
        .await;
        canceller.cancel();
    });
    let err = ShellAgent::new().run(task, ctx).await.unwrap_err();
    assert!(matches!(err, AgentError::Cancelled));
    let pids = pids.lock().unwrap().clone();
    assert!(pids.len() >= 3, "{pids:?}");
    for pid in pids {
        assert!(proc_info(pid).is_none(), "{:?} left", proc_info(pid));
    }
}

#[tokio::test]
async fn idle_timeout_stops_a_silent_command() {
    let (_d, repo) = repo();
    let task = AgentTask::builder("sleep 300", &repo)
        .idle_timeout(Duration::from_millis(500))
        .build();
    let err = ShellAgent::new()
        .run(task, Recorder::default().context())
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::IdleTimeout { .. }), "{err}");
    assert!(processes_in(&repo).is_empty());
}

#[tokio::test]
async fn start_agent_streams_job_events_in_order_and_returns_the_outcome() {
    use futures::StreamExt;
    use relay_core::EventKind;
    let (_d, repo) = repo();
    let task = AgentTask::builder("printf 'a\\nb\\n'", &repo)
        .repo("lib")
        .build();
    let mut run = relay_core::agent::start_agent(std::sync::Arc::new(ShellAgent::new()), task);
    let interrupt = run.interrupt.clone(); // held on purpose: must not keep the job open
    let mut kinds = Vec::new();
    let mut lines = Vec::new();
    while let Some(event) = run.job.next().await {
        if let EventKind::Agent {
            repo,
            event: AgentEvent::Output { line, .. },
        } = &event.kind
        {
            assert_eq!(repo.as_deref(), Some("lib"));
            lines.push(line.clone());
        }
        kinds.push(
            serde_json::to_value(&event).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    drop(interrupt);
    assert_eq!(kinds.first().map(String::as_str), Some("job_started"));
    assert_eq!(kinds.last().map(String::as_str), Some("job_finished"));
    assert_eq!(lines, ["a", "b"]);
    assert!(run.job.wait().await.unwrap().is_success());
}
