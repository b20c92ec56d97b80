//! Resuming a saved conversation: the history in `VoiceSessionConfig` is replayed into the new
//! connection the way a reconnect replays it, so the model hears the earlier turns.

mod common;

use common::*;
use relay_core::store::{ToolCallRecord, Turn, TurnRole};
use relay_core::voice::{VoiceEvent, VoiceTransport};
use relay_testkit::realtime::{FakeRealtime, Scenario};

#[tokio::test]
async fn a_resumed_session_replays_its_history_before_the_first_new_turn() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    let turn = |role, text: &str| Turn {
        role,
        text: text.into(),
        tool: None,
        at_ms: 1,
    };
    let history = vec![
        turn(TurnRole::User, "remember the word kiwi"),
        Turn {
            role: TurnRole::Tool,
            text: String::new(),
            tool: Some(ToolCallRecord {
                name: "lookup".into(),
                arguments: r#"{"q":"kiwi"}"#.into(),
                output: r#"{"found":true}"#.into(),
            }),
            at_ms: 2,
        },
        turn(TurnRole::Assistant, "I will remember kiwi"),
    ];
    let mut config = voice_config();
    config.history = history;
    let session = transport(&server, registry(None))
        .start(config)
        .await
        .unwrap();
    session.send_text("what was the word?").unwrap();
    let events = until_says(&session, "You said: what was the word?").await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Reconnected { .. })),
        "resuming is not a reconnect"
    );
    let log = server.connection(0);
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);
    let created: Vec<_> = log
        .client_events
        .iter()
        .filter(|e| e["type"] == "conversation.item.create")
        .collect();
    assert_eq!(
        created[0]["item"]["content"][0],
        serde_json::json!({"type": "input_text", "text": "remember the word kiwi"})
    );
    assert_eq!(created[1]["item"]["type"], "function_call");
    assert_eq!(created[1]["item"]["name"], "lookup");
    assert_eq!(created[2]["item"]["type"], "function_call_output");
    assert_eq!(created[2]["item"]["output"], r#"{"found":true}"#);
    assert_eq!(
        created[3]["item"]["content"][0],
        serde_json::json!({"type": "output_text", "text": "I will remember kiwi"})
    );
    assert_eq!(
        created[4]["item"]["content"][0],
        serde_json::json!({"type": "input_text", "text": "what was the word?"})
    );
    // The server's conversation holds the history in order, then the new turn.
    assert!(log.conversation.len() >= 5, "{:?}", log.conversation);
    session.close();
}
