//! The voice gateway over a real WebSocket, in front of the testkit's Realtime peer: frames in
//! and out, audio both ways, tools with progress, barge-in, bad frames, failures, cleanup.

mod gateway_support;

use gateway_support::*;
use relay_server::gateway::OpenError;
use relay_testkit::realtime::Scenario;
use serde_json::json;

#[tokio::test]
async fn ready_then_typed_text_gets_a_transcript_and_a_spoken_reply() {
    let rig = Rig::start(Scenario::new()).await;
    let mut client = rig.connect("?protocol=1").await;
    let ready = client.next().await;
    let ready = ready.json();
    assert_eq!(ready["type"], "ready", "{ready}");
    assert_eq!(ready["protocol"], 1);
    assert_eq!(ready["user"], "ana");
    assert_eq!(ready["role"], "admin");
    assert_eq!(ready["owner"], "ana");
    assert_eq!(
        ready["participants"],
        json!([{"user": "ana", "role": "admin"}])
    );
    let tools = ready["tools"].as_array().unwrap();
    assert!(tools.contains(&json!("lookup")) && tools.contains(&json!("deploy")));
    let session_id = ready["session_id"].as_str().unwrap().to_string();
    assert!(session_id.starts_with("web-"), "{session_id}");
    // A fresh session: the factory was asked for it under that name, as ana.
    assert_eq!(
        rig.factory.requests.lock().unwrap().clone(),
        vec![("ana".to_string(), session_id, true)]
    );

    client
        .send(json!({"type": "text", "text": "hello there"}))
        .await;
    let frames = client
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "You said: hello there")
        .await;
    let transcript = frames
        .iter()
        .find(|f| f.kind() == "user_transcript")
        .expect("the user's transcript")
        .json();
    assert_eq!(transcript["text"], "hello there");
    assert_eq!(transcript["speaker"], "ana");
    // Reply audio arrives as binary frames, after assistant_audio_started names its item.
    let started = frames
        .iter()
        .position(|f| f.kind() == "assistant_audio_started")
        .expect("assistant_audio_started");
    let first_audio = frames
        .iter()
        .position(|f| matches!(f, Frame::Audio(_)))
        .expect("reply audio");
    assert!(started < first_audio, "{:#?}", summary(&frames));
    let audio: usize = frames
        .iter()
        .map(|f| match f {
            Frame::Audio(a) => a.len(),
            _ => 0,
        })
        .sum();
    assert!(audio > 0 && audio.is_multiple_of(2));
    // No assistant_audio JSON frames: audio only goes as binary.
    assert!(!frames.iter().any(|f| f.kind() == "assistant_audio"));
    // The turn's latency, end of turn to first audio, measured at the gateway.
    let latency = frames
        .iter()
        .find(|f| f.kind() == "turn_latency")
        .expect("turn_latency")
        .json();
    assert_eq!(
        latency["item_id"],
        frames[started].json()["item_id"],
        "measured on the reply's item"
    );
    assert_eq!(
        latency["latency_ms"].as_u64().unwrap(),
        latency["first_audio_at_ms"].as_u64().unwrap()
            - latency["end_of_turn_at_ms"].as_u64().unwrap()
    );
    // The peer got the text as a user message.
    let created = rig.peer.client_events_of("conversation.item.create");
    assert!(
        created
            .iter()
            .any(|e| e["item"]["content"][0]["text"] == "hello there"),
        "{created:#?}"
    );
}

#[tokio::test]
async fn the_briefing_follows_ready() {
    let rig = Rig::start(Scenario::new()).await;
    let mut client = rig.connect("").await;
    assert_eq!(client.next().await.kind(), "ready");
    let briefing = client.expect("briefing").await;
    assert_eq!(briefing["briefing"]["for"], "ana");
    assert_eq!(
        briefing["briefing"]["highlights"],
        json!(["CI on backend is red"])
    );
}

#[tokio::test]
async fn spoken_audio_reaches_the_peer_and_a_long_tool_reports_progress() {
    let mut scenario = Scenario::new()
        .transcripts(&["sync everything"])
        .call(&[("slow_sync", "{}")])
        .say("All three repositories are synced.", 300);
    scenario.record_audio = true;
    let rig = Rig::start(scenario).await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    let speech = utterance();
    client.speak(&speech).await;
    let transcript = client.expect("user_transcript").await;
    assert_eq!(transcript["text"], "sync everything");
    assert_eq!(transcript["speaker"], "ana");
    let started = client.expect("tool_call_started").await;
    assert_eq!(started["name"], "slow_sync");
    assert_eq!(started["speaker"], "ana");
    // The acknowledgement, then the tool's own progress, while it runs.
    let frames = client
        .until(|f| f.kind() == "tool_progress" && f.json()["done"] == 1)
        .await;
    let progress = frames.last().unwrap().json();
    assert_eq!(progress["call_id"], started["call_id"]);
    assert_eq!(
        progress["message"],
        "synced 1 of 3 repositories (auth-service)"
    );
    assert_eq!(progress["total"], 3);
    assert_eq!(progress["repo"], "auth-service");
    rig.factory.release.notify_one();
    let finished = client.expect("tool_call_finished").await;
    assert_eq!(finished["ok"], true);
    assert_eq!(finished["output"], json!({"synced": 3}).to_string());
    let frames = client
        .until(|f| {
            f.kind() == "assistant_text" && f.json()["text"] == "All three repositories are synced."
        })
        .await;
    assert!(frames.iter().any(|f| matches!(f, Frame::Audio(_))));
    // Every byte of the speech reached the peer as input audio.
    assert_eq!(rig.peer.input_audio_bytes(), speech.len());
}

#[tokio::test]
async fn a_playback_report_truncates_the_reply_at_what_was_heard_on_barge_in() {
    let rig = Rig::start(
        Scenario::new()
            .say(
                "one two three four five six seven eight nine ten eleven twelve",
                3000,
            )
            .pace(100, 15),
    )
    .await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client.send(json!({"type": "text", "text": "count"})).await;
    let started = client.expect("assistant_audio_started").await;
    let item = started["item_id"].as_str().unwrap().to_string();
    let mut received = 0;
    client
        .until(|f| {
            if let Frame::Audio(a) = f {
                received += a.len();
            }
            received >= 500 * 48
        })
        .await;
    client
        .send(json!({"type": "playback", "item_id": item, "played_ms": 320}))
        .await;
    client.audio(pcm(200, true)).await;
    let interrupted = client.expect("interrupted").await;
    assert_eq!(interrupted["item_id"], item.as_str());
    // A single report is taken as it is (periodic ones are carried forward: gateway_turns.rs).
    assert_eq!(interrupted["audio_end_ms"], 320);
    client.send(json!({"type": "text", "text": "ok"})).await;
    client
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "You said: ok")
        .await;
    let log = rig.peer.connection(0);
    assert_eq!(log.truncations, vec![(item, 320)]);
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);
}

#[tokio::test]
async fn bad_frames_get_an_error_and_the_conversation_goes_on() {
    let rig = Rig::start(Scenario::new()).await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    for (raw, says) in [
        ("{not json", "one JSON object"),
        (r#"{"text": "no type"}"#, "needs a string `type`"),
        (r#"{"type": "dance"}"#, "unknown frame type `dance`"),
        (r#"{"type": "playback", "item_id": "x"}"#, "played_ms"),
        (r#"{"type": "text", "text": "  "}"#, "non-empty `text`"),
    ] {
        client.send_raw(raw).await;
        let error = client.expect("error").await;
        assert_eq!(error["code"], "bad_client_frame", "{raw}");
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{raw}: {error}"
        );
    }
    client.audio(vec![1, 2, 3]).await;
    let error = client.expect("error").await;
    assert_eq!(error["code"], "bad_client_frame");
    assert!(
        error["message"].as_str().unwrap().contains("3 bytes"),
        "{error}"
    );
    // An approval answer for nothing waiting.
    client
        .send(json!({"type": "approval_answer", "id": "approval-nope", "decision": "allow"}))
        .await;
    let error = client.expect("error").await;
    assert_eq!(error["code"], "approval_not_pending");
    // Still alive.
    client.send(json!({"type": "ping", "id": "p1"})).await;
    assert_eq!(client.expect("pong").await["id"], "p1");
    client
        .send(json!({"type": "text", "text": "still there?"}))
        .await;
    client
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "You said: still there?")
        .await;
}

#[tokio::test]
async fn a_protocol_the_server_does_not_speak_is_refused_before_the_upgrade() {
    let rig = Rig::start(Scenario::new()).await;
    let (status, body) = rig.refused("?protocol=2").await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("protocol 1"),
        "{body}"
    );
    assert!(body["hint"].as_str().unwrap().contains("?protocol=1"));
    // Nothing was started.
    assert!(rig.factory.requests.lock().unwrap().is_empty());
    assert_eq!(rig.peer.connection_count(), 0);

    assert_eq!(rig.refused("?join=nosuchcode").await.0, 404);
}

#[tokio::test]
async fn an_unreachable_realtime_peer_is_an_error_and_closed_frame() {
    let rig = Rig::with(
        Scenario::new(),
        |mut f| {
            // Nothing listens there.
            f.url = "ws://127.0.0.1:9/v1/realtime".into();
            f
        },
        |b| b,
    )
    .await;
    let mut client = rig.connect("").await;
    let error = client.expect("error").await;
    assert_eq!(error["code"], "realtime_unavailable");
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("OPENAI_REALTIME_URL")
    );
    let closed = client.expect("closed").await;
    assert!(
        closed["reason"]
            .as_str()
            .unwrap()
            .contains("could not be reached")
    );
    assert_eq!(client.next().await, Frame::Closed);
    rig.idle().await;
    assert_eq!(rig.gateway.active_conversations(), 0);
}

#[tokio::test]
async fn the_realtime_peer_going_away_mid_conversation_ends_it_with_error_and_closed() {
    let rig = Rig::start(Scenario::new()).await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client.send(json!({"type": "text", "text": "hi"})).await;
    client.until(|f| f.kind() == "assistant_text").await;
    // An outage: the connection drops and reconnects are refused.
    rig.peer.refuse_connections(true);
    rig.peer.disconnect_all();
    let frames = client.until(|f| f.kind() == "closed").await;
    assert!(
        frames.iter().any(|f| f.kind() == "reconnecting"),
        "{:#?}",
        summary(&frames)
    );
    let error = frames
        .iter()
        .find(|f| f.kind() == "error")
        .unwrap_or_else(|| panic!("{:#?}", summary(&frames)))
        .json();
    assert_eq!(error["code"], "voice_session_failed");
    assert!(
        error["message"].as_str().unwrap().contains("503"),
        "{error}"
    );
    assert_eq!(frames.last().unwrap().json()["by_application"], false);
    assert_eq!(client.next().await, Frame::Closed);
    rig.idle().await;
    assert_eq!(rig.gateway.active_conversations(), 0);
}

#[tokio::test]
async fn a_factory_refusal_is_an_error_and_closed_frame() {
    let rig = Rig::with(
        Scenario::new(),
        |mut f| {
            f.refuse = Some(OpenError::new(
                "denied",
                "bo (developer) may not resume ana's session `x`",
            ));
            f
        },
        |b| b,
    )
    .await;
    let mut client = rig.connect("?session=x").await;
    let error = client.expect("error").await;
    assert_eq!(error["code"], "denied");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("may not resume")
    );
    client.expect("closed").await;
    assert_eq!(
        rig.factory.requests.lock().unwrap().clone(),
        vec![("ana".to_string(), "x".to_string(), false)]
    );
    assert_eq!(rig.peer.connection_count(), 0);
}

#[tokio::test]
async fn a_client_that_disconnects_leaves_nothing_running() {
    let rig = Rig::start(
        Scenario::new()
            .call(&[("slow_sync", "{}")])
            .say("done", 300),
    )
    .await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client.send(json!({"type": "text", "text": "sync"})).await;
    client.expect("tool_call_started").await;
    assert_eq!(rig.gateway.active_conversations(), 1);
    // The client goes away mid-tool, without a close frame.
    drop(client);
    rig.idle().await;
    assert_eq!(rig.gateway.active_conversations(), 0);
    assert_eq!(rig.gateway.active_sockets(), 0);
    // (The gateway waited for the voice session's driver to end: its Realtime connection and
    // its tool runs are gone with it.)
}

#[tokio::test]
async fn shutdown_closes_every_conversation() {
    let rig = Rig::start(Scenario::new()).await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    let left = rig
        .gateway
        .shutdown(std::time::Duration::from_secs(30))
        .await;
    assert_eq!(left, 0);
    let closed = client.expect("closed").await;
    assert_eq!(closed["reason"], "the server is shutting down");
    // Nothing was running: nothing handed back.
    assert_eq!(closed["handed_back"], json!([]));
    assert_eq!(rig.gateway.active_conversations(), 0);
    // New conversations are refused.
    assert_eq!(rig.refused("").await.0, 503);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_instead_of_growing_the_queue() {
    // Ten minutes of reply audio as fast as the peer can make it (about 29 MB, more than any
    // socket buffers hold), and a client that reads nothing meanwhile.
    let rig = Rig::with(
        Scenario::new().say("a very long story", 600_000),
        |f| f,
        |b| b.send_queue_bytes(64 * 1024),
    )
    .await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client
        .send(json!({"type": "text", "text": "tell me a story"}))
        .await;
    // The conversation ends on its own: the queue overflowed.
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while rig.gateway.active_conversations() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the conversation ended");
    // What was queued still arrives, whole, then why it ended.
    let frames = client.until(|f| f.kind() == "closed").await;
    let error = frames
        .iter()
        .rev()
        .find(|f| f.kind() == "error")
        .expect("an error frame")
        .json();
    assert_eq!(error["code"], "client_too_slow");
    assert!(error["hint"].as_str().unwrap().contains("?session="));
    let closed = frames.last().unwrap().json();
    assert_eq!(
        closed["reason"],
        "the client read too slowly: its send queue overflowed"
    );
    let audio: usize = frames
        .iter()
        .map(|f| match f {
            Frame::Audio(a) => a.len(),
            _ => 0,
        })
        .sum();
    assert!(audio < 600_000 * 48, "not all of it was queued");
    rig.idle().await;
}
