//! Claude's file tools stay inside the run's repositories, with the real `claude` CLI against
//! the fake Anthropic API: writes outside (directly or through a symlink in the repository) and
//! reads of credentials are denied with a reason the model sees, even when the task allows the
//! tool; a permission policy that never answers is denied after the permission timeout.

mod support;

use std::time::Duration;

use async_trait::async_trait;
use relay_core::agent::{
    AgentEvent, AgentStatus, AgentTask, CodingAgent, PermissionDecision, PermissionPolicy,
    PermissionRequest,
};
use relay_testkit::anthropic::{Script, Turn};
use serde_json::{Value, json};
use support::{Harness, Recorder};

/// The denial messages of the run.
fn denials(events: &[AgentEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::PermissionDecided {
                allowed: false,
                message,
                ..
            } => message.clone(),
            _ => None,
        })
        .collect()
}

/// The tool results the CLI sent back to the model in its second request.
fn tool_results_seen_by_model(h: &Harness) -> String {
    let requests = h.server.message_requests();
    let second: &Value = &requests.get(1).expect("a second model request").body;
    second["messages"].to_string()
}

#[tokio::test]
async fn a_write_outside_the_repository_is_denied_with_a_reason_the_model_sees() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().canonicalize().unwrap().join("escaped.txt");
    let target_text = target.display().to_string();
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Writing.",
                "Write",
                json!({"file_path": target_text, "content": "out\n"}),
            ),
            Turn::text("Could not."),
        ])
    })
    .await;
    let rec = Recorder::default();
    let task = AgentTask::builder("write outside", &h.repo)
        .allowed_tools(["Write"])
        .build();
    let outcome = h.agent().build().run(task, rec.context()).await.unwrap();
    assert_eq!(outcome.status, AgentStatus::Success, "{outcome:?}");
    assert!(!target.exists(), "nothing was written outside");
    let denied = denials(&rec.events());
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert!(
        denied[0].contains("outside this run's repositories"),
        "{denied:?}"
    );
    assert!(
        tool_results_seen_by_model(&h).contains("outside this run's repositories"),
        "the model is told why"
    );
}

#[tokio::test]
async fn a_write_through_a_symlink_pointing_outside_is_denied() {
    let outside = tempfile::tempdir().unwrap();
    let outside_dir = outside.path().canonicalize().unwrap();
    let h = Harness::new(|repo| {
        std::os::unix::fs::symlink(&outside_dir, repo.join("vendor")).unwrap();
        Script::new(vec![
            Turn::tool(
                "Writing.",
                "Write",
                json!({"file_path": repo.join("vendor/lib.rs").display().to_string(), "content": "x\n"}),
            ),
            Turn::text("Could not."),
        ])
    })
    .await;
    let rec = Recorder::default();
    let task = AgentTask::builder("write via the link", &h.repo)
        .allowed_tools(["Write"])
        .build();
    h.agent().build().run(task, rec.context()).await.unwrap();
    assert!(!outside_dir.join("lib.rs").exists());
    let denied = denials(&rec.events());
    assert!(
        denied.iter().any(|d| d.contains(&format!(
            "resolves to {}",
            outside_dir.join("lib.rs").display()
        ))),
        "{denied:?}"
    );
}

#[tokio::test]
async fn reading_ssh_keys_is_denied_even_when_read_is_allowed() {
    // The agent's HOME holds a key.
    let home = tempfile::tempdir().unwrap();
    let ssh = home.path().canonicalize().unwrap().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_ed25519"), "PRIVATE-KEY-MATERIAL\n").unwrap();
    let key = ssh.join("id_ed25519").display().to_string();
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool("Reading.", "Read", json!({"file_path": key})),
            Turn::text("Could not."),
        ])
    })
    .await;
    let rec = Recorder::default();
    let task = AgentTask::builder("read the key", &h.repo)
        .allowed_tools(["Read"])
        .env("HOME", home.path().display().to_string())
        .build();
    h.agent().build().run(task, rec.context()).await.unwrap();
    let denied = denials(&rec.events());
    assert!(
        denied.iter().any(|d| d.contains("holds credentials")),
        "{denied:?}"
    );
    let seen = tool_results_seen_by_model(&h);
    assert!(!seen.contains("PRIVATE-KEY-MATERIAL"), "{seen}");
    assert!(seen.contains("holds credentials"), "{seen}");
}

/// A host permission callback that never answers.
struct Silent;

#[async_trait]
impl PermissionPolicy for Silent {
    async fn decide(&self, _request: &PermissionRequest) -> PermissionDecision {
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_permission_policy_that_never_answers_is_denied_after_the_timeout() {
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Running.",
                "Bash",
                json!({"command": "touch made.txt", "description": "make a file"}),
            ),
            Turn::text("Denied, fine."),
        ])
    })
    .await;
    let rec = Recorder::default();
    let agent = h
        .agent()
        .policy(Silent)
        .permission_timeout(Duration::from_secs(1))
        .build();
    let task = AgentTask::builder("make a file", &h.repo).build();
    let outcome = agent.run(task, rec.context()).await.unwrap();
    assert_eq!(outcome.status, AgentStatus::Success, "{outcome:?}");
    assert!(!h.repo.join("made.txt").exists());
    let denied = denials(&rec.events());
    assert_eq!(
        denied,
        ["no answer to the permission question within 1 s; denied"]
    );
}

#[tokio::test]
async fn the_cli_sandbox_passed_as_settings_keeps_bash_writes_inside() {
    // Needs bubblewrap and socat (scripts/setup/sandbox.sh).
    let outside = tempfile::tempdir().unwrap();
    let outside_file = outside.path().canonicalize().unwrap().join("from-bash.txt");
    let command = format!(
        "touch inside.txt; touch {} || echo blocked",
        outside_file.display()
    );
    let h = Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Touching.",
                "Bash",
                json!({"command": command, "description": "touch two files"}),
            ),
            Turn::text("Done."),
        ])
    })
    .await;
    let rec = Recorder::default();
    let agent = h
        .agent()
        .policy(relay_core::agent::AllowAll)
        .settings(r#"{"sandbox": {"enabled": true, "autoAllowBashIfSandboxed": true, "allowUnsandboxedCommands": false}}"#)
        .build();
    let task = AgentTask::builder("touch files", &h.repo).build();
    let outcome = agent.run(task, rec.context()).await.unwrap();
    assert_eq!(outcome.status, AgentStatus::Success, "{outcome:?}");
    assert!(
        h.repo.join("inside.txt").exists(),
        "writes inside work: {:?}",
        rec.events()
    );
    assert!(
        !outside_file.exists(),
        "the sandbox kept Bash from writing outside: {:?}",
        rec.events()
    );
}
