//! The offline text transport over the real repository tools.

mod common;

use std::sync::Arc;

use common::*;
use relay_core::tools::ToolRegistry;
use relay_core::voice::{VoiceEvent, VoiceSessionConfig, VoiceTransport};
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
