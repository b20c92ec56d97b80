//! How turns end and how the user talks over a reply, through the gateway in front of the
//! testkit's Realtime peer: push-to-talk (`mode`: the service's turn detection off, the turn
//! committed exactly once on release), `barge_in` (cut exactly where the client stopped), and
//! the server-detected barge-in carrying the latest playback report forward.

mod gateway_support;

use std::time::Instant;

use gateway_support::*;
use relay_testkit::realtime::Scenario;
use serde_json::{Value, json};

fn turn_detection_updates(rig: &Rig) -> Vec<Value> {
    rig.peer
        .client_events_of("session.update")
        .into_iter()
        .filter(|e| e["event_id"] == "relay_turn_detection")
        .map(|e| e["session"]["audio"]["input"]["turn_detection"].clone())
        .collect()
}

#[tokio::test]
async fn push_to_talk_turns_detection_off_and_the_release_commits_exactly_one_turn() {
    let mut scenario = Scenario::new()
        .transcripts(&["what changed in the backend"])
        .say("Two commits landed.", 300);
    scenario.record_audio = true;
    let rig = Rig::start(scenario).await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client
        .send(json!({"type": "mode", "mode": "push_to_talk"}))
        .await;
    // The user holds the button through a long pause: with the service's detection on, the
    // pause would have ended a turn on its own.
    let speech = [utterance(), utterance()].concat();
    client.speak(&speech).await;
    client.send(json!({"type": "commit"})).await;
    let frames = client
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "Two commits landed.")
        .await;
    let transcripts: Vec<&Value> = frames
        .iter()
        .filter(|f| f.kind() == "user_transcript")
        .map(|f| f.json())
        .collect();
    assert_eq!(transcripts.len(), 1, "{:#?}", summary(&frames));
    assert_eq!(transcripts[0]["text"], "what changed in the backend");
    assert!(
        !frames
            .iter()
            .any(|f| f.kind() == "user_speech_started" || f.kind() == "user_speech_stopped"),
        "the service detected turns: {:#?}",
        summary(&frames)
    );
    assert!(frames.iter().any(|f| f.kind() == "turn_latency"));
    // The peer: detection off before the audio, all of it appended, one commit, one answer.
    assert_eq!(turn_detection_updates(&rig), vec![Value::Null]);
    assert_eq!(rig.peer.input_audio_bytes(), speech.len());
    assert_eq!(
        rig.peer.client_events_of("input_audio_buffer.commit").len(),
        1
    );
    assert_eq!(rig.peer.client_events_of("response.create").len(), 1);
    let log = rig.peer.connection(0);
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);

    // Back to hands-free: the service detects the next turn itself.
    client
        .send(json!({"type": "mode", "mode": "hands_free"}))
        .await;
    client.speak(&utterance()).await;
    client.expect("user_speech_stopped").await;
    let updates = turn_detection_updates(&rig);
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[1]["type"], "server_vad");
}

#[tokio::test]
async fn a_push_to_talk_press_cuts_the_reply_exactly_where_the_client_stopped() {
    let rig = Rig::start(
        Scenario::new()
            .transcripts(&["tell me a story", "stop"])
            .say(
                "one two three four five six seven eight nine ten eleven twelve",
                6000,
            )
            .pace(100, 40),
    )
    .await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client
        .send(json!({"type": "mode", "mode": "push_to_talk"}))
        .await;
    client.speak(&utterance()).await;
    client.send(json!({"type": "commit"})).await;
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
    // The press, while the reply is still being generated: the cut and the cancel in one frame.
    client
        .send(json!({"type": "barge_in", "item_id": item, "played_ms": 275}))
        .await;
    let interrupted = client.expect("interrupted").await;
    assert_eq!(interrupted["item_id"], item.as_str());
    assert_eq!(interrupted["audio_end_ms"], 275);
    let done = client.expect("response_done").await;
    assert_eq!(done["status"], "cancelled", "{done}");
    let log = rig.peer.connection(0);
    assert_eq!(log.truncations, vec![(item, 275)]);
    assert_eq!(rig.peer.client_events_of("response.cancel").len(), 1);
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);
    // A press with nothing playing changes nothing.
    client.send(json!({"type": "barge_in"})).await;
    client.send(json!({"type": "ping", "id": 1})).await;
    client.expect("pong").await;
    assert_eq!(rig.peer.client_events_of("response.cancel").len(), 1);
    assert_eq!(rig.peer.connection(0).truncations.len(), 1);
}

#[tokio::test]
async fn the_service_heard_barge_in_carries_the_latest_report_forward() {
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
    // All of the reply arrives (the client still plays it), so the session has nothing else to
    // do when the reports come in.
    client.until(|f| f.kind() == "response_done").await;
    // The client reports as it plays (two reports), then plays on for 300 ms before the user's
    // speech reaches the service.
    client
        .send(json!({"type": "playback", "item_id": item, "played_ms": 220}))
        .await;
    let reported_at = Instant::now();
    client
        .send(json!({"type": "playback", "item_id": item, "played_ms": 320}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    client.audio(pcm(200, true)).await;
    let interrupted = client.expect("interrupted").await;
    let bound = reported_at.elapsed().as_millis() as u64;
    // The cut is the latest report plus the time since it arrived at the gateway: well past the
    // report (the client played on for 300 ms), never more than the time that passed.
    let cut = interrupted["audio_end_ms"].as_u64().unwrap();
    assert!(
        (320 + 200..=320 + bound).contains(&cut),
        "cut at {cut}, report 320 then {bound} ms"
    );
    assert_eq!(rig.peer.connection(0).truncations, vec![(item, cut)]);
}

#[tokio::test]
async fn push_to_talk_survives_a_reconnect_of_the_voice_session() {
    let rig = Rig::start(Scenario::new().transcripts(&["first", "second"])).await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client
        .send(json!({"type": "mode", "mode": "push_to_talk"}))
        .await;
    client.send(json!({"type": "ping", "id": 1})).await;
    client.expect("pong").await;
    // The Realtime connection drops; the session redials and configures the new one.
    rig.peer.disconnect_all();
    client.expect("reconnected").await;
    assert_eq!(rig.peer.connection_count(), 2);
    let setup = rig
        .peer
        .connection(1)
        .client_events
        .into_iter()
        .find(|e| e["type"] == "session.update")
        .expect("the new connection's session.update");
    assert_eq!(
        setup["session"]["audio"]["input"]["turn_detection"],
        Value::Null,
        "{setup}"
    );
    // Still push-to-talk: a pause ends nothing, the commit is the turn.
    client.speak(&[utterance(), utterance()].concat()).await;
    client.send(json!({"type": "commit"})).await;
    let frames = client.until(|f| f.kind() == "response_done").await;
    assert!(
        !frames.iter().any(|f| f.kind() == "user_speech_started"),
        "{:#?}",
        summary(&frames)
    );
    assert_eq!(
        rig.peer
            .connection(1)
            .client_events
            .iter()
            .filter(|e| e["type"] == "input_audio_buffer.commit")
            .count(),
        1
    );
}
