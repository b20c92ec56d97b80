//! A graceful shutdown of the gateway: new turns are refused, the turn in progress (a tool
//! call, the answer after it) finishes within the grace period, and `closed` says how to
//! resume elsewhere; what still runs when the grace ends is cancelled and reported as handed
//! back.

mod gateway_support;

use std::sync::Arc;
use std::time::Duration;

use gateway_support::*;
use relay_testkit::realtime::Scenario;
use serde_json::json;

#[tokio::test]
async fn shutdown_lets_the_running_turn_finish_then_hands_the_session_back() {
    let memory = Arc::new(Memory {
        id: "morning".into(),
        ..Memory::default()
    });
    let rig = Rig::with(
        Scenario::new()
            .call(&[("slow_sync", "{}")])
            .say("All three repositories are synced.", 300),
        |f| Factory {
            memory: Some(memory.clone()),
            ..f
        },
        |b| b,
    )
    .await;
    let mut client = rig.connect("?session=morning").await;
    client.expect("ready").await;
    client.send(json!({"type": "text", "text": "sync"})).await;
    let started = client.expect("tool_call_started").await;
    let gateway = rig.gateway.clone();
    let shutdown = tokio::spawn(async move { gateway.shutdown(Duration::from_secs(30)).await });
    // New conversations are refused at once; a new turn on this one too.
    tokio::time::timeout(Duration::from_secs(10), async {
        while rig.refused("").await.0 != 503 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("new conversations refused while draining");
    client
        .send(json!({"type": "text", "text": "and deploy"}))
        .await;
    let refused = client.expect("error").await;
    assert_eq!(refused["code"], "shutting_down", "{refused}");
    assert!(!shutdown.is_finished());
    // The tool finishes, the answer is spoken, then the conversation closes.
    rig.factory.release.notify_one();
    let finished = client.expect("tool_call_finished").await;
    assert_eq!(finished["call_id"], started["call_id"]);
    let frames = client.until(|f| f.kind() == "closed").await;
    assert!(
        frames.iter().any(|f| f.kind() == "assistant_text"
            && f.json()["text"] == "All three repositories are synced."),
        "{:#?}",
        summary(&frames)
    );
    let closed = frames.last().unwrap().json();
    assert_eq!(closed["reason"], "the server is shutting down");
    assert_eq!(closed["session_id"], "morning");
    assert_eq!(closed["resumable"], true);
    assert_eq!(closed["resume"], "?session=morning");
    assert_eq!(closed["handed_back"], json!([]));
    assert!(
        closed["hint"]
            .as_str()
            .unwrap()
            .contains("?session=morning")
    );
    assert_eq!(shutdown.await.unwrap(), 0);
    // The refused text never reached the model.
    assert!(
        !rig.peer
            .all_client_events()
            .iter()
            .any(|e| e.to_string().contains("and deploy"))
    );
}

#[tokio::test]
async fn a_turn_still_running_when_the_grace_ends_is_reported_as_handed_back() {
    let rig = Rig::start(Scenario::new().call(&[("slow_sync", "{}")])).await;
    let mut client = rig.connect("").await;
    let ready = client.expect("ready").await;
    client.send(json!({"type": "text", "text": "sync"})).await;
    let started = client.expect("tool_call_started").await;
    // The tool is never released.
    let left = rig.gateway.shutdown(Duration::from_millis(300)).await;
    assert_eq!(left, 0);
    let closed = client.expect("closed").await;
    assert_eq!(closed["reason"], "the server is shutting down");
    assert_eq!(closed["session_id"], ready["session_id"]);
    // Nothing stored it (no store in this app): not resumable.
    assert_eq!(closed["resumable"], false);
    assert!(closed.get("resume").is_none());
    assert_eq!(
        closed["handed_back"],
        json!([{"kind": "tool_call", "call_id": started["call_id"], "name": "slow_sync", "outcome": "cancelled"}])
    );
    assert_eq!(rig.gateway.active_conversations(), 0);
}
