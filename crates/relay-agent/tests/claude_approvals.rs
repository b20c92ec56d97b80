//! Claude Code's permission questions go to the approver of the conversation that started the
//! run (the real `claude` CLI against the fake Anthropic API): the user's yes lets the tool run,
//! their no stops it, and without a policy nobody-to-ask still denies.

mod support;

use std::sync::Arc;

use relay_core::agent::{AgentEvent, AgentTask, CodingAgent};
use relay_core::approval::{
    ApprovalAction, ApprovalEvent, ApprovalHub, ApprovalRequest, Approvals,
};
use relay_core::team::{Caller, Role};
use relay_testkit::anthropic::{Script, Turn};
use serde_json::json;
use support::{Harness, Recorder};

async fn touching() -> Harness {
    Harness::new(|_| {
        Script::new(vec![
            Turn::tool(
                "Touching.",
                "Bash",
                json!({"command": "touch asked.txt", "description": "touch"}),
            ),
            Turn::text("done"),
        ])
    })
    .await
}

/// Runs the agent (no policy of its own) with `hub` answering through the run's context;
/// `answer` speaks for the user once the question is asked. Returns the request and the events.
async fn run_with(
    h: &Harness,
    hub: &Arc<ApprovalHub>,
    answer: &'static str,
) -> (ApprovalRequest, Vec<AgentEvent>) {
    let mut events = hub.subscribe();
    let answering = tokio::spawn({
        let hub = hub.clone();
        async move {
            match events.recv().await.unwrap() {
                ApprovalEvent::ApprovalRequested { request } => {
                    assert_eq!(
                        hub.answer_from_speech("ann", answer),
                        Some(request.id.clone())
                    );
                    request
                }
                other => panic!("{other:?}"),
            }
        }
    });
    let approvals = Approvals::new(hub.clone()).requested_by(Caller::new("ann", Role::Developer));
    let rec = Recorder::default();
    let task = AgentTask::builder("touch", &h.repo).repo("backend").build();
    let agent = h.agent().build();
    agent
        .run(task, rec.context().with_asker(Arc::new(approvals)))
        .await
        .expect("result");
    (answering.await.unwrap(), rec.events())
}

#[tokio::test]
async fn the_users_yes_lets_the_agents_command_run() {
    let h = touching().await;
    let hub = ApprovalHub::new();
    let (request, events) = run_with(&h, &hub, "yes").await;
    assert_eq!(
        request.question,
        "Claude wants to run `touch asked.txt` in backend. Allow it?"
    );
    assert_eq!(request.requested_by.as_deref(), Some("ann"));
    match &request.action {
        ApprovalAction::AgentTool {
            repo,
            tool_name,
            input,
        } => {
            assert_eq!((repo.as_str(), tool_name.as_str()), ("backend", "Bash"));
            assert_eq!(input["command"], "touch asked.txt");
        }
        other => panic!("{other:?}"),
    }
    assert!(h.repo.join("asked.txt").exists());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionDecided { allowed: true, .. }))
    );
}

#[tokio::test]
async fn the_users_no_stops_it_and_claude_hears_why() {
    let h = touching().await;
    let hub = ApprovalHub::new();
    let (_, events) = run_with(&h, &hub, "no").await;
    assert!(!h.repo.join("asked.txt").exists());
    let message = events
        .iter()
        .find_map(|e| match e {
            AgentEvent::PermissionDecided {
                allowed: false,
                message,
                ..
            } => message.clone(),
            _ => None,
        })
        .expect("a denial");
    assert_eq!(message, "the user (ann) said no");
}

#[tokio::test]
async fn without_anyone_to_ask_the_tool_is_denied() {
    let h = touching().await;
    let rec = Recorder::default();
    let task = AgentTask::builder("touch", &h.repo).repo("backend").build();
    h.agent()
        .build()
        .run(task, rec.context())
        .await
        .expect("result");
    assert!(!h.repo.join("asked.txt").exists());
    assert!(rec.events().iter().any(|e| matches!(e,
        AgentEvent::PermissionDecided { allowed: false, message: Some(m), .. }
            if m.contains("no permission policy"))));
}
