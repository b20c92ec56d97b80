//! The offline text transport with every tool: plain phrasings reach the agent and environment
//! tools (shell agent, local provider over real git repositories) and their results read well.

mod common;

use std::sync::Arc;

use relay_core::approval::{ApprovalDecision, FixedApprover};

use common::*;
use relay_agent::shell::ShellAgent;
use relay_core::agent::AgentTask;
use relay_core::tools::ToolRegistry;
use relay_core::voice::{VoiceEvent, VoiceSession, VoiceSessionConfig, VoiceTransport};
use relay_infra::LocalProvider;
use relay_tools::ToolFamilies;
use relay_voice::TextTransport;

async fn say(session: &VoiceSession, text: &str) -> (String, Vec<VoiceEvent>) {
    session.send_text(text).unwrap();
    let events = until_reply(session).await;
    (texts(&events).pop().unwrap(), events)
}

fn called(events: &[VoiceEvent]) -> Option<(String, serde_json::Value)> {
    events.iter().find_map(|e| match e {
        VoiceEvent::ToolCallStarted {
            name, arguments, ..
        } => Some((name.clone(), serde_json::from_str(arguments).unwrap())),
        _ => None,
    })
}

#[tokio::test]
async fn typed_requests_run_commands_and_manage_an_environment() {
    let dir = tempfile::tempdir().unwrap();
    let graph = git_workspace(&dir.path().join("ws"));
    let envs = dir.path().join("envs");
    let provider = LocalProvider::builder(&envs)
        .repos(graph.clone())
        .build()
        .unwrap();
    let registry = ToolRegistry::new()
        .with_repo_tools(graph.clone())
        .with_agent_tools(
            graph,
            Arc::new(ShellAgent::new()),
            AgentTask::builder("", ".").build(),
        )
        .with_env_tools(Arc::new(provider))
        // Someone who approves everything: approvals have their own tests.
        .with_approver(Arc::new(FixedApprover(ApprovalDecision::Allow)));
    let session = TextTransport::new(Arc::new(registry))
        .start(VoiceSessionConfig::default())
        .await
        .unwrap();

    let (reply, _) = say(
        &session,
        "run `git rev-parse --abbrev-ref HEAD` in backend and frontend",
    )
    .await;
    assert_eq!(
        reply,
        "The task succeeded in all 2 repositories (backend, frontend). 0 files changed.\n\
         - backend: succeeded, no files changed\n\
         - frontend: succeeded, no files changed"
    );

    let (reply, _) = say(&session, "bring up environment dev").await;
    assert_eq!(
        reply,
        "dev was created and is running.\ndev: running (local, profile developer)"
    );

    // "dev" is an environment, so the command runs there.
    let (reply, events) = say(&session, "run `ls` in dev").await;
    assert_eq!(
        called(&events),
        Some((
            "env_exec".into(),
            serde_json::json!({"name": "dev", "command": ["ls"]})
        ))
    );
    assert_eq!(
        reply,
        "`ls` in dev succeeded (exit code 0).\nstdout:\nbackend\nfrontend\nshared-api"
    );

    let (reply, _) = say(&session, "snapshot dev as before-upgrade").await;
    assert_eq!(reply, "Snapshot before-upgrade of dev taken.");
    let (reply, _) = say(
        &session,
        "run `sh -c 'echo broken > backend/README.md'` in environment dev",
    )
    .await;
    assert!(
        reply.ends_with("in dev succeeded (exit code 0)."),
        "{reply}"
    );
    let (reply, _) = say(&session, "run `cat backend/README.md` in dev").await;
    assert!(reply.ends_with("stdout:\nbroken"), "{reply}");
    let (reply, _) = say(&session, "roll dev back to before-upgrade").await;
    assert_eq!(
        reply,
        "dev is back at snapshot before-upgrade.\ndev: running (local, profile developer)"
    );
    let (reply, _) = say(&session, "run `cat backend/README.md` in dev").await;
    assert!(reply.ends_with("stdout:\nbackend"), "{reply}");

    let (reply, _) = say(&session, "list environments").await;
    assert_eq!(
        reply,
        "1 environment, 1 running.\n- dev: running (local, profile developer)"
    );
    let (reply, _) = say(&session, "roll dev back to after-upgrade").await;
    assert_eq!(
        reply,
        "env_rollback failed: dev has no snapshot `after-upgrade`; its snapshots are: before-upgrade"
    );
    let (reply, _) = say(&session, "tear down dev").await;
    assert_eq!(reply, "dev was torn down and deleted.");

    // Without the environment, "dev" is taken for a repository, and there is none by that name.
    let (reply, events) = say(&session, "run `ls` in dev").await;
    assert_eq!(called(&events).unwrap().0, "run_agent_task");
    assert_eq!(
        reply,
        "run_agent_task failed: unknown repository `dev`; the workspace defines: shared-api, backend, frontend"
    );
    let (reply, _) = say(&session, "snapshot dev").await;
    assert_eq!(
        reply,
        "env_snapshot failed: invalid arguments for `env_snapshot`: missing required property `snapshot`"
    );
    assert!(!envs.join("dev").exists());
}
