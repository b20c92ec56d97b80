//! Tool calls through the Realtime transport against the fake GA server.

mod common;

use std::sync::Arc;

use common::*;
use relay_core::voice::VoiceEvent;
use relay_testkit::realtime::{FakeRealtime, Scenario, Turn};
use serde_json::Value;
use tokio::sync::Notify;

#[tokio::test]
async fn tool_round_trip() {
    let server = FakeRealtime::start(
        Scenario::new()
            .api_key("sk-test-key")
            .call(&[("lookup", r#"{"repo":"backend"}"#)]),
    )
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("how is backend?").unwrap();
    let events = until_says(&session, "Results:").await;

    let started = events.iter().find_map(|e| match e {
        VoiceEvent::ToolCallStarted {
            call_id,
            name,
            arguments,
        } => Some((call_id.clone(), name.clone(), arguments.clone())),
        _ => None,
    });
    let (call_id, name, arguments) = started.expect("tool call surfaced");
    assert_eq!(
        (name.as_str(), arguments.as_str()),
        ("lookup", r#"{"repo":"backend"}"#)
    );
    assert!(events.iter().any(|e| matches!(e, VoiceEvent::ToolCallFinished { ok: true, output, .. } if output.contains("backend-is-green"))));
    // The model heard the tool's output: its reply quotes it.
    assert!(texts(&events).last().unwrap().contains("backend-is-green"));

    // What reached the server: tools advertised, output item with the call id, then one response.create.
    let log = server.connection(0);
    assert!(log.had_bearer);
    assert_eq!(log.model.as_deref(), Some("gpt-realtime"));
    let update = &log.client_events[0];
    assert_eq!(update["type"], "session.update");
    assert_eq!(update["session"]["tools"][0]["name"], "lookup");
    let output_pos = log
        .client_events
        .iter()
        .position(|e| e["item"]["type"] == "function_call_output")
        .unwrap();
    assert_eq!(
        log.client_events[output_pos]["item"]["call_id"],
        Value::from(call_id)
    );
    assert_eq!(log.client_events[output_pos + 1]["type"], "response.create");
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);
    assert_eq!(session.metrics().tool_calls, 1);
    assert!(session.metrics().usage.total_tokens > 0);
}

#[tokio::test]
async fn bad_tool_arguments_become_a_readable_output() {
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("lookup", r#"{"repo": 5, "extra": true}"#)])
            .call(&[("lookup", "{not json")])
            .call(&[("no_such_tool", "{}")]),
    )
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("check it").unwrap();
    let events = until(
        &session,
        |e| matches!(e, VoiceEvent::AssistantText { text, .. } if text.contains("unknown tool")),
    )
    .await;
    let outputs: Vec<(bool, String)> = events
        .iter()
        .filter_map(|e| match e {
            VoiceEvent::ToolCallFinished { ok, output, .. } => Some((*ok, output.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(outputs.len(), 3);
    assert!(outputs.iter().all(|(ok, _)| !ok));
    assert!(
        outputs[0]
            .1
            .contains("`repo`: expected string, got integer"),
        "{}",
        outputs[0].1
    );
    assert!(
        outputs[0].1.contains("unknown property `extra`"),
        "{}",
        outputs[0].1
    );
    assert!(
        outputs[1].1.contains("arguments are not valid JSON"),
        "{}",
        outputs[1].1
    );
    assert!(
        outputs[2]
            .1
            .contains("unknown tool `no_such_tool`; available tools: lookup"),
        "{}",
        outputs[2].1
    );
    // The session survived and the model received each error as a function_call_output.
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Closed { .. }))
    );
    assert_eq!(
        server
            .client_events_of("conversation.item.create")
            .iter()
            .filter(|e| e["item"]["type"] == "function_call_output")
            .count(),
        3
    );
}

#[tokio::test]
async fn two_calls_in_one_response_are_both_answered_before_one_response_create() {
    let server = FakeRealtime::start(Scenario::new().call(&[
        ("lookup", r#"{"repo":"api"}"#),
        ("lookup", r#"{"repo":"web"}"#),
    ]))
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("check api and web").unwrap();
    let events = until_says(&session, "Results:").await;
    let reply = texts(&events).pop().unwrap();
    assert!(
        reply.contains("api-is-green") && reply.contains("web-is-green"),
        "{reply}"
    );

    let log = server.connection(0);
    let kinds: Vec<String> = log
        .client_events
        .iter()
        .map(|e| {
            format!(
                "{}{}",
                e["type"].as_str().unwrap(),
                e["item"]["type"]
                    .as_str()
                    .map(|t| format!(":{t}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let first_output = kinds
        .iter()
        .position(|k| k.ends_with("function_call_output"))
        .unwrap();
    assert_eq!(
        &kinds[first_output..],
        [
            "conversation.item.create:function_call_output",
            "conversation.item.create:function_call_output",
            "response.create"
        ],
        "{kinds:?}"
    );
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);
}

#[tokio::test]
async fn active_response_race_is_retried_not_fatal() {
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("lookup", r#"{"repo":"core"}"#)])
            .turn(Turn::RaceNextCreate)
            .say("One moment.", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("status of core").unwrap();
    let events = until_says(&session, "Results:").await;
    assert!(texts(&events).contains(&"One moment.".to_string()));
    assert!(events.iter().any(|e| matches!(e, VoiceEvent::Warning { message } if message.contains("already had an active response"))));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Error { .. } | VoiceEvent::Closed { .. }))
    );
    let log = server.connection(0);
    let races = log
        .errors_sent
        .iter()
        .filter(|(c, _)| c == "conversation_already_has_active_response")
        .count();
    assert_eq!(races, 1, "{:?}", log.errors_sent);
    // user text -> response.create; tool output -> response.create (rejected) -> retried once.
    assert_eq!(server.client_events_of("response.create").len(), 3);
}

#[tokio::test]
async fn long_tool_is_acknowledged_reports_progress_then_answers() {
    let release = Arc::new(Notify::new());
    let server = FakeRealtime::start(Scenario::new().call(&[("slow_sync", "{}")]))
        .await
        .unwrap();
    let session = start(&server, registry(Some(release.clone()))).await;
    session.send_text("sync everything").unwrap();
    // Wait for a spoken progress line that carries the tool's own progress message.
    let events = until(
        &session,
        |e| matches!(e, VoiceEvent::AssistantText { text, .. } if text.contains("synced 1 of 3")),
    )
    .await;
    let spoken = texts(&events);
    assert!(
        spoken.iter().any(|t| t.starts_with("On it: slow sync")),
        "{spoken:?}"
    );
    release.notify_one();
    let events = until_says(&session, "Results:").await;
    assert!(texts(&events).last().unwrap().contains(r#"{"synced":3}"#));

    let creates = server.client_events_of("response.create");
    let status: Vec<&Value> = creates
        .iter()
        .filter(|c| c["response"]["conversation"] == "none")
        .collect();
    assert!(status.len() >= 2, "ack + progress: {creates:#?}");
    assert!(
        status[0]["response"]["instructions"]
            .as_str()
            .unwrap()
            .contains("On it: slow sync")
    );
    assert_eq!(status[0]["response"]["tool_choice"], "none");
    // Status lines are out of band: the conversation has no assistant item for them.
    let conv = server.connection(0).conversation;
    assert!(!conv.iter().any(|i| {
        i["content"][0]["transcript"]
            .as_str()
            .is_some_and(|t| t.starts_with("On it"))
    }));
    assert!(server.connection(0).errors_sent.is_empty());
}

/// A long tool that records when its work is dropped (a cancelled Job, a killed process).
struct Sentinel {
    dropped: Arc<std::sync::atomic::AtomicBool>,
}

struct SetOnDrop(Arc<std::sync::atomic::AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl relay_core::tools::Tool for Sentinel {
    fn spec(&self) -> relay_core::tools::ToolSpec {
        relay_core::tools::ToolSpec::new(
            "forever",
            "Never finishes.",
            serde_json::json!({"type": "object"}),
            relay_core::tools::Permission::Read,
        )
        .long_running()
    }
    async fn call(
        &self,
        _args: Value,
        _ctx: relay_core::tools::ToolContext,
    ) -> Result<Value, relay_core::tools::ToolError> {
        let _guard = SetOnDrop(self.dropped.clone());
        std::future::pending::<()>().await;
        unreachable!()
    }
}

#[tokio::test]
async fn closing_the_session_stops_running_tools() {
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let registry = Arc::new(
        relay_core::tools::ToolRegistry::new().with(Arc::new(Sentinel {
            dropped: dropped.clone(),
        })),
    );
    let server = FakeRealtime::start(Scenario::new().call(&[("forever", "{}")]))
        .await
        .unwrap();
    let session = start(&server, registry).await;
    session.send_text("run forever").unwrap();
    until(&session, |e| {
        matches!(e, VoiceEvent::ToolCallStarted { .. })
    })
    .await;
    session.close();
    let events = until(&session, |e| matches!(e, VoiceEvent::Closed { .. })).await;
    assert!(
        matches!(events.last(), Some(VoiceEvent::Closed { reason, .. }) if reason == "closed by the application")
    );
    assert!(matches!(
        events.last(),
        Some(VoiceEvent::Closed {
            by_application: true,
            ..
        })
    ));
    for _ in 0..100 {
        if dropped.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        "the tool's work was not stopped"
    );
    assert!(session.send_text("more?").is_err());
}
