//! The transport under faults: drops in the middle of a reply, of a tool call's arguments and
//! of a tool run, and outages during which the session keeps serving the application.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use relay_core::voice::{VoiceEvent, VoiceSession, VoiceSessionConfig, VoiceTransport};
use relay_testkit::realtime::{ConnectionLog, FakeRealtime, Scenario, Turn};
use relay_voice::{RealtimeConfig, RealtimeTransport, ReconnectPolicy};
use serde_json::{Value, json};
use tokio::sync::Notify;

const TEN: &str = "one two three four five six seven eight nine ten";

/// The `conversation.item.create` items a connection received, in order.
fn created_items(log: &ConnectionLog) -> Vec<Value> {
    log.client_events
        .iter()
        .filter(|e| e["type"] == "conversation.item.create")
        .map(|e| e["item"].clone())
        .collect()
}

fn last_connection(server: &FakeRealtime) -> ConnectionLog {
    server.connection(server.connection_count() - 1)
}

fn user_text(text: &str) -> Value {
    json!({"type": "input_text", "text": text})
}

/// A session whose reconnects follow `policy`.
async fn start_with(
    server: &FakeRealtime,
    registry: Arc<relay_core::tools::ToolRegistry>,
    policy: ReconnectPolicy,
    session: VoiceSessionConfig,
) -> VoiceSession {
    let config = RealtimeConfig::builder()
        .url(server.url())
        .api_key("sk-test-key")
        .reconnect(policy)
        .build()
        .unwrap();
    RealtimeTransport::new(config, registry)
        .start(session)
        .await
        .expect("session starts")
}

/// Keeps trying for a long while, quickly: an outage in these tests lasts as long as the test
/// wants, not as long as a short policy allows.
fn patient() -> ReconnectPolicy {
    ReconnectPolicy {
        max_attempts: 1000,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

fn item_of_first_audio(events: &[VoiceEvent]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            VoiceEvent::AssistantAudio { item_id, .. } => Some(item_id.clone()),
            _ => None,
        })
        .expect("assistant audio arrived")
}

#[tokio::test]
async fn drop_mid_audio_replays_the_reply_as_far_as_it_arrived() {
    // Ten words over 1 s of audio, one word per 100 ms chunk; the socket drops right after
    // the fourth audio chunk, before its words.
    let server = FakeRealtime::start(Scenario::new().disconnect_during(
        Turn::say(TEN, 1000),
        "response.output_audio.delta",
        4,
        false,
    ))
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("count to ten").unwrap();
    let events = until(&session, |e| matches!(e, VoiceEvent::Reconnected { .. })).await;
    // Without a playback report, everything that arrived is what the application plays.
    assert!(
        events.contains(&VoiceEvent::Reconnected { replayed_items: 2 }),
        "{events:#?}"
    );
    session.send_text("go on").unwrap();
    until_says(&session, "You said: go on").await;
    let last = last_connection(&server);
    let replayed = created_items(&last);
    assert_eq!(replayed[0]["content"][0], user_text("count to ten"));
    assert_eq!(replayed[1]["role"], "assistant");
    assert_eq!(
        replayed[1]["content"][0],
        json!({"type": "output_text", "text": "one two three"})
    );
    assert_eq!(replayed[2]["content"][0], user_text("go on"));
    // The cut reply is asked for again (the model sees what the user heard), then "go on".
    let creates = last
        .client_events
        .iter()
        .filter(|e| e["type"] == "response.create")
        .count();
    assert_eq!(creates, 2);
    assert!(last.errors_sent.is_empty(), "{:?}", last.errors_sent);
}

#[tokio::test]
async fn drop_mid_audio_replays_only_what_was_played() {
    // The response stops after six words (600 ms of audio) and the test drops the socket once
    // the application reported playing 300 ms of it.
    let server = FakeRealtime::start(Scenario::new().disconnect_during(
        Turn::say(TEN, 1000),
        "response.output_audio_transcript.delta",
        6,
        true,
    ))
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("count to ten").unwrap();
    let mut words = 0;
    let events = until(&session, |e| {
        words += usize::from(matches!(e, VoiceEvent::AssistantTextDelta { .. }));
        words == 6
    })
    .await;
    let item = item_of_first_audio(&events);
    session.report_playback(&item, 300).unwrap();
    server.disconnect_all();
    let events = until(&session, |e| matches!(e, VoiceEvent::Reconnected { .. })).await;
    assert!(events.contains(&VoiceEvent::Reconnected { replayed_items: 2 }));
    session.send_text("go on").unwrap();
    until_says(&session, "You said: go on").await;
    let replayed = created_items(&last_connection(&server));
    assert_eq!(
        replayed[1]["content"][0],
        json!({"type": "output_text", "text": "one two three"}),
        "half of the 600 ms that arrived was played: half of its words"
    );
}

#[tokio::test]
async fn drop_before_anything_was_played_replays_no_reply_and_asks_again() {
    let server = FakeRealtime::start(Scenario::new().disconnect_during(
        Turn::say(TEN, 1000),
        "response.output_audio_transcript.delta",
        3,
        true,
    ))
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("count to ten").unwrap();
    let mut words = 0;
    let events = until(&session, |e| {
        words += usize::from(matches!(e, VoiceEvent::AssistantTextDelta { .. }));
        words == 3
    })
    .await;
    session
        .report_playback(item_of_first_audio(&events), 0)
        .unwrap();
    server.disconnect_all();
    let events = until_says(&session, "You said: count to ten").await;
    assert!(events.contains(&VoiceEvent::Reconnected { replayed_items: 1 }));
    let replayed = created_items(&last_connection(&server));
    assert_eq!(
        replayed.len(),
        1,
        "no word the user did not hear: {replayed:#?}"
    );
    assert_eq!(replayed[0]["content"][0], user_text("count to ten"));
}

#[tokio::test]
async fn drop_mid_function_call_arguments_runs_the_call_once_after_reconnect() {
    let server = FakeRealtime::start(
        Scenario::new()
            .disconnect_during(
                Turn::call(&[("lookup", r#"{"repo":"api"}"#)]),
                "response.function_call_arguments.delta",
                1,
                false,
            )
            .call(&[("lookup", r#"{"repo":"api"}"#)]),
    )
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("how is api?").unwrap();
    let events = until_says(&session, "Results:").await;
    assert!(texts(&events).last().unwrap().contains("api-is-green"));
    let started = events
        .iter()
        .filter(|e| matches!(e, VoiceEvent::ToolCallStarted { .. }))
        .count();
    assert_eq!(started, 1, "the half-sent call never ran: {events:#?}");
    assert_eq!(tool_outputs(&server).len(), 1);
    // The half-sent call is not part of the replayed history; the model was asked again.
    let second = server.connection(1);
    let replayed = created_items(&second);
    assert_eq!(replayed[0]["content"][0], user_text("how is api?"));
    assert!(
        !replayed
            .iter()
            .take_while(|i| i["type"] != "function_call_output")
            .any(|i| i["type"] == "function_call"),
        "{replayed:#?}"
    );
    assert!(second.errors_sent.is_empty(), "{:?}", second.errors_sent);
}

#[tokio::test]
async fn tool_finishing_mid_outage_is_delivered_once_after_reconnect() {
    let release = Arc::new(Notify::new());
    // The socket drops right after the response that called the tool: the tool runs on.
    let server = FakeRealtime::start(Scenario::new().disconnect_during(
        Turn::call(&[("slow_sync", "{}")]),
        "response.done",
        1,
        false,
    ))
    .await
    .unwrap();
    let config = VoiceSessionConfig::builder()
        .acknowledge_long_tools(false)
        .progress_interval_ms(60_000)
        .build();
    let session = start_with(&server, registry(Some(release.clone())), patient(), config).await;
    server.refuse_connections(true);
    session.send_text("sync").unwrap();
    until(&session, |e| {
        matches!(e, VoiceEvent::Reconnecting { attempt: 2, .. })
    })
    .await;
    // Still disconnected: the tool finishes, and the session reports it right away.
    release.notify_one();
    let events = until(&session, |e| {
        matches!(
            e,
            VoiceEvent::ToolCallFinished { .. }
                | VoiceEvent::Reconnected { .. }
                | VoiceEvent::Closed { .. }
        )
    })
    .await;
    assert!(
        matches!(
            events.last(),
            Some(VoiceEvent::ToolCallFinished { ok: true, .. })
        ),
        "the tool's result waited for the connection: {events:#?}"
    );
    server.refuse_connections(false);
    let events = until_says(&session, "Results:").await;
    assert!(texts(&events).last().unwrap().contains(r#"{"synced":3}"#));
    assert_eq!(
        tool_outputs(&server),
        vec![json!({"synced": 3})],
        "exactly once"
    );
    let last = last_connection(&server);
    let replayed = created_items(&last);
    let kinds: Vec<&str> = replayed
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["message", "function_call", "function_call_output"]);
    assert!(last.errors_sent.is_empty(), "{:?}", last.errors_sent);
}

#[tokio::test]
async fn close_returns_at_once_during_an_outage() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    // Long backoffs: a close that waited behind them would not arrive before the hang guard.
    let slow = ReconnectPolicy {
        max_attempts: 6,
        initial_backoff: Duration::from_secs(30),
        max_backoff: Duration::from_secs(120),
    };
    let session = start_with(&server, registry(None), slow, voice_config()).await;
    server.refuse_connections(true);
    server.disconnect_all();
    until(&session, |e| matches!(e, VoiceEvent::Reconnecting { .. })).await;
    session.send_text("are you there?").unwrap();
    session.close();
    let events = until(&session, |e| matches!(e, VoiceEvent::Closed { .. })).await;
    assert!(
        matches!(
            events.last(),
            Some(VoiceEvent::Closed {
                by_application: true,
                ..
            })
        ),
        "{events:#?}"
    );
    assert!(session.next_event().await.is_none(), "nothing after closed");
    assert_eq!(server.connection_count(), 1, "no attempt after close");
}
