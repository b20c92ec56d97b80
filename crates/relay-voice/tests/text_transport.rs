//! The offline text transport over the real repository tools.

mod common;

use std::sync::Arc;

use common::*;
use relay_core::tools::ToolRegistry;
use relay_core::voice::{VoiceEvent, VoiceSessionConfig, VoiceTransport};
use relay_tools::ToolFamilies;
use relay_voice::TextTransport;

#[tokio::test]
async fn typed_conversation_runs_the_same_tools() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Arc::new(ToolRegistry::new().with_repo_tools(git_workspace(dir.path())));
    let session = TextTransport::new(registry)
        .start(VoiceSessionConfig::default())
        .await
        .unwrap();

    session.send_text("good morning, status please").unwrap();
    let events = until_reply(&session).await;
    let reply = texts(&events).pop().unwrap();
    assert!(
        reply.starts_with("3 repositories: 1 with uncommitted changes"),
        "{reply}"
    );
    assert!(reply.contains("- backend on main, no upstream, 1 changed path(s), last commit \"Add login endpoint\" by Ada"), "{reply}");

    session.send_text("switch to frontend").unwrap();
    let reply = texts(&until_reply(&session).await).pop().unwrap();
    assert_eq!(reply, "Primary project is now frontend; related: backend.");

    session
        .send_text("what is the impact of shared-api")
        .unwrap();
    let reply = texts(&until_reply(&session).await).pop().unwrap();
    assert_eq!(
        reply,
        "Changing shared-api affects backend, frontend (directly: backend)."
    );

    session
        .send_text(r#"/impact_analysis {"repos": [1]}"#)
        .unwrap();
    let reply = texts(&until_reply(&session).await).pop().unwrap();
    assert!(reply.contains("impact_analysis failed: invalid arguments for `impact_analysis`: `repos[0]`: expected string, got integer"), "{reply}");

    session.send_text("play some jazz").unwrap();
    let reply = texts(&until_reply(&session).await).pop().unwrap();
    assert!(reply.starts_with("I did not understand that."), "{reply}");
    assert!(reply.contains("project_status"));

    session.send_audio(vec![0; 10]).unwrap();
    let events = until(&session, |e| matches!(e, VoiceEvent::Error { .. })).await;
    assert!(
        matches!(events.last(), Some(VoiceEvent::Error { code, .. }) if code == "audio_not_supported")
    );
    session.close();
    until(&session, |e| matches!(e, VoiceEvent::Closed { .. })).await;
    assert_eq!(session.metrics().tool_calls, 4);
}

/// A tool that never finishes and records being dropped (cancelled).
struct Forever(Arc<std::sync::atomic::AtomicBool>);

struct SetOnDrop(Arc<std::sync::atomic::AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl relay_core::tools::Tool for Forever {
    fn spec(&self) -> relay_core::tools::ToolSpec {
        relay_core::tools::ToolSpec::new(
            "forever",
            "Never finishes.",
            serde_json::json!({"type": "object"}),
            relay_core::tools::Permission::Read,
        )
    }
    async fn call(
        &self,
        _args: serde_json::Value,
        _ctx: relay_core::tools::ToolContext,
    ) -> Result<serde_json::Value, relay_core::tools::ToolError> {
        let _guard = SetOnDrop(self.0.clone());
        std::future::pending().await
    }
}

#[tokio::test]
async fn closing_during_a_tool_cancels_it_and_ends_the_session() {
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let registry = Arc::new(ToolRegistry::new().with(Arc::new(Forever(dropped.clone()))));
    let session = TextTransport::new(registry)
        .start(VoiceSessionConfig::default())
        .await
        .unwrap();
    session.send_text("/forever {}").unwrap();
    until(&session, |e| {
        matches!(e, VoiceEvent::ToolCallStarted { .. })
    })
    .await;
    session.close();
    let events = until(&session, |e| matches!(e, VoiceEvent::Closed { .. })).await;
    assert!(
        events.iter().any(|e| matches!(e, VoiceEvent::ToolCallFinished { ok: false, output, .. } if output.contains("session was closed"))),
        "{events:?}"
    );
    assert!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        "the tool's call was dropped"
    );
    assert!(
        session.next_event().await.is_none(),
        "nothing follows Closed"
    );
}

#[tokio::test]
async fn announcements_are_written_out_of_band_in_order() {
    let session = TextTransport::new(Arc::new(ToolRegistry::new()))
        .start(VoiceSessionConfig::default())
        .await
        .unwrap();
    session
        .announce("CI on backend failed on main (tests).")
        .unwrap();
    session.announce("CI on backend is green again.").unwrap();
    let mut said = Vec::new();
    while said.len() < 2 {
        match session.next_event().await.expect("the session is open") {
            VoiceEvent::AssistantText { text, .. } => said.push(text),
            VoiceEvent::ResponseDone { out_of_band, .. } => {
                assert!(
                    out_of_band,
                    "an announcement is not part of the conversation"
                );
            }
            _ => {}
        }
    }
    assert_eq!(
        said,
        [
            "CI on backend failed on main (tests).",
            "CI on backend is green again."
        ]
    );
    session.close();
}
