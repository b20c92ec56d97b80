//! The Claude Code adapter driving the real `claude` CLI against the fake Anthropic API.

mod support;

use std::time::Duration;

use relay_core::agent::{
    AgentError, AgentEvent, AgentStatus, AgentTask, AllowAll, CodingAgent, ContentBlock, DenyAll,
};
use relay_testkit::anthropic::{Script, Turn};
use serde_json::json;
use support::{Harness, Recorder};

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
    // The second model request carried the tool result back.
    let requests = h.server.message_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].body.to_string().contains("tool_result"));
}
