//! Session behaviour of the Realtime transport against the fake GA server: audio turns,
//! barge-in, reconnects, expiry, malformed frames, auth.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use relay_core::voice::{AudioFormat, VoiceError, VoiceEvent, VoiceSessionConfig, VoiceTransport};
use relay_testkit::realtime::{FakeRealtime, Scenario, Turn};
use relay_voice::{RealtimeConfig, RealtimeTransport, audio};
use tokio::sync::Notify;

#[tokio::test]
async fn spoken_turn_is_detected_transcribed_and_answered() {
    let server =
        FakeRealtime::start(Scenario::new().transcripts(&["what is the status of backend"]))
            .await
            .unwrap();
    let session = start(&server, registry(None)).await;
    for chunk in [pcm(300, false), pcm(600, true), pcm(800, false)] {
        for frame in audio::frames(&chunk, AudioFormat::Pcm16, 100) {
            session.send_audio(frame.to_vec()).unwrap();
        }
    }
    let mut events = until_says(&session, "You said: what is the status of backend").await;
    events.extend(until(&session, |e| matches!(e, VoiceEvent::RateLimits { .. })).await);
    let started = events.iter().find_map(|e| match e {
        VoiceEvent::UserSpeechStarted { audio_start_ms } => Some(*audio_start_ms),
        _ => None,
    });
    // Speech began at 300 ms; the server reports it minus its 300 ms prefix padding.
    assert_eq!(started, Some(0));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, VoiceEvent::UserSpeechStopped { audio_end_ms: 1400 }))
    );
    assert!(events.iter().any(|e| matches!(e, VoiceEvent::UserTranscript { text, .. } if text == "what is the status of backend")));
    let audio_bytes: usize = events
        .iter()
        .map(|e| match e {
            VoiceEvent::AssistantAudio { audio, .. } => audio.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(audio_bytes, 400 * 48, "400 ms of 24 kHz PCM16");
    let m = session.metrics();
    assert!(m.last_time_to_first_audio_ms.is_some());
    assert_eq!(m.audio_bytes_in, (1700 * 48) as u64);
    assert_eq!(m.rate_limits.len(), 2);
}

/// A slow 3-second answer: 100 ms chunks every 15 ms of wall time.
async fn start_long_answer() -> (FakeRealtime, relay_core::voice::VoiceSession, String, u64) {
    let server = FakeRealtime::start(
        Scenario::new()
            .say(
                "one two three four five six seven eight nine ten eleven twelve",
                3000,
            )
            .pace(100, 15),
    )
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("count").unwrap();
    let mut received = 0;
    let mut item = String::new();
    until(&session, |e| {
        if let VoiceEvent::AssistantAudio { item_id, audio } = e {
            item = item_id.clone();
            received += audio.len() as u64 / 48;
        }
        received >= 500
    })
    .await;
    (server, session, item, received)
}

#[tokio::test]
async fn barge_in_truncates_at_the_reported_playback_position() {
    let (server, session, item, _) = start_long_answer().await;
    session.report_playback(item.clone(), 320).unwrap();
    session.send_audio(pcm(200, true)).unwrap();
    let events = until(&session, |e| matches!(e, VoiceEvent::Interrupted { .. })).await;
    assert!(events.contains(&VoiceEvent::Interrupted {
        item_id: item.clone(),
        audio_end_ms: 320
    }));
    let events = until(&session, |e| matches!(e, VoiceEvent::ResponseDone { .. })).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, VoiceEvent::ResponseDone { status, .. } if status == "cancelled"))
    );
    // Let the truncate reach the server, then check what it applied.
    session.send_text("ok").unwrap();
    until_says(&session, "You said: ok").await;
    let log = server.connection(0);
    assert_eq!(log.truncations, vec![(item, 320)]);
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);
}

#[tokio::test]
async fn barge_in_clamps_reported_playback_to_received_audio() {
    let (server, session, item, received_before) = start_long_answer().await;
    // The app claims more than was ever received: the cut is clamped to the audio received.
    session.report_playback(item.clone(), 60_000).unwrap();
    session.send_audio(pcm(200, true)).unwrap();
    let events = until(&session, |e| matches!(e, VoiceEvent::Interrupted { .. })).await;
    let received = received_before
        + events
            .iter()
            .map(|e| match e {
                VoiceEvent::AssistantAudio { audio, .. } => audio.len() as u64 / 48,
                _ => 0,
            })
            .sum::<u64>();
    let Some(VoiceEvent::Interrupted { audio_end_ms, .. }) = events.last() else {
        panic!()
    };
    assert_eq!(*audio_end_ms, received, "cut exactly at the audio received");
    assert!(received < 3000);
    session.send_text("ok").unwrap();
    until_says(&session, "You said: ok").await;
    let log = server.connection(0);
    assert_eq!(log.truncations, vec![(item, received)]);
    // The server accepted the cut: it was within the audio it had generated.
    assert!(log.errors_sent.is_empty(), "{:?}", log.errors_sent);
}

#[tokio::test]
async fn barge_in_without_report_uses_wall_clock_clamped_to_received() {
    let (server, session, item, received_before) = start_long_answer().await;
    session.send_audio(pcm(200, true)).unwrap();
    let events = until(&session, |e| matches!(e, VoiceEvent::Interrupted { .. })).await;
    let received = received_before
        + events
            .iter()
            .map(|e| match e {
                VoiceEvent::AssistantAudio { audio, .. } => audio.len() as u64 / 48,
                _ => 0,
            })
            .sum::<u64>();
    let Some(VoiceEvent::Interrupted { audio_end_ms, .. }) = events.last() else {
        panic!()
    };
    // Audio arrives ~6x faster than real time here, so the user cannot have heard it all.
    assert!(
        *audio_end_ms > 0 && *audio_end_ms < received,
        "{audio_end_ms} of {received}"
    );
    session.send_text("ok").unwrap();
    until_says(&session, "You said: ok").await;
    assert_eq!(
        server.connection(0).truncations,
        vec![(item, *audio_end_ms)]
    );
}

#[tokio::test]
async fn barge_in_before_anything_was_played_deletes_the_item() {
    let (server, session, item, _) = start_long_answer().await;
    session.report_playback(item.clone(), 0).unwrap();
    session.send_audio(pcm(200, true)).unwrap();
    let events = until(&session, |e| matches!(e, VoiceEvent::Interrupted { .. })).await;
    assert_eq!(
        events.last(),
        Some(&VoiceEvent::Interrupted {
            item_id: item.clone(),
            audio_end_ms: 0
        })
    );
    session.send_text("ok").unwrap();
    until_says(&session, "You said: ok").await;
    let log = server.connection(0);
    assert_eq!(log.deletions, vec![item.clone()]);
    assert!(log.truncations.is_empty());
    assert!(!log.conversation.iter().any(|i| i["id"] == item.as_str()));
}

#[tokio::test]
async fn reconnect_replays_configuration_and_conversation() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("remember the word kiwi").unwrap();
    until_says(&session, "You said: remember the word kiwi").await;
    server.disconnect_all();
    let events = until(&session, |e| matches!(e, VoiceEvent::Reconnected { .. })).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Reconnecting { attempt: 1, .. }))
    );
    assert!(events.contains(&VoiceEvent::Reconnected { replayed_items: 2 }));
    session.send_text("and now?").unwrap();
    until_says(&session, "You said: and now?").await;

    assert_eq!(server.connection_count(), 2);
    let second = server.connection(1);
    assert_eq!(second.client_events[0]["type"], "session.update");
    assert_eq!(
        second.client_events[0]["session"]["tools"][0]["name"],
        "lookup"
    );
    let replayed: Vec<_> = second
        .client_events
        .iter()
        .filter(|e| e["type"] == "conversation.item.create")
        .take(2)
        .collect();
    assert_eq!(
        replayed[0]["item"]["content"][0],
        serde_json::json!({"type": "input_text", "text": "remember the word kiwi"})
    );
    assert_eq!(replayed[1]["item"]["role"], "assistant");
    assert_eq!(
        replayed[1]["item"]["content"][0],
        serde_json::json!({"type": "output_text", "text": "You said: remember the word kiwi"})
    );
    assert!(second.errors_sent.is_empty(), "{:?}", second.errors_sent);
    assert_eq!(session.metrics().reconnects, 1);
}

#[tokio::test]
async fn spoken_turns_are_replayed_as_their_transcripts() {
    let server = FakeRealtime::start(Scenario::new().transcripts(&["remember kiwi"]))
        .await
        .unwrap();
    let session = start(&server, registry(None)).await;
    session
        .send_audio([pcm(500, true), pcm(800, false)].concat())
        .unwrap();
    until_says(&session, "You said: remember kiwi").await;
    server.disconnect_all();
    let events = until(&session, |e| matches!(e, VoiceEvent::Reconnected { .. })).await;
    assert!(events.contains(&VoiceEvent::Reconnected { replayed_items: 2 }));
    session.send_text("what did I say?").unwrap();
    until_says(&session, "You said: what did I say?").await;
    let replayed: Vec<_> = server
        .connection(1)
        .client_events
        .into_iter()
        .filter(|e| e["type"] == "conversation.item.create")
        .collect();
    assert_eq!(
        replayed[0]["item"]["content"][0],
        serde_json::json!({"type": "input_text", "text": "remember kiwi"})
    );
    assert_eq!(
        replayed[1]["item"]["content"][0]["text"],
        "You said: remember kiwi"
    );
}

#[tokio::test]
async fn tool_finishing_during_an_outage_delivers_after_reconnect() {
    let release = Arc::new(Notify::new());
    let server = FakeRealtime::start(Scenario::new().call(&[("slow_sync", "{}")]))
        .await
        .unwrap();
    let transport = transport(&server, registry(Some(release.clone())));
    let config = VoiceSessionConfig::builder()
        .acknowledge_long_tools(false)
        .progress_interval_ms(60_000)
        .build();
    let session = transport.start(config).await.unwrap();
    session.send_text("sync").unwrap();
    until(&session, |e| {
        matches!(e, VoiceEvent::ToolCallStarted { .. })
    })
    .await;
    server.disconnect_all();
    release.notify_one();
    let events = until_says(&session, "Results:").await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Reconnected { .. }))
    );
    assert!(texts(&events).last().unwrap().contains(r#"{"synced":3}"#));
    // The output reached the second connection, after the replayed call it answers.
    let second = server.connection(1);
    let creates: Vec<_> = second
        .client_events
        .iter()
        .filter(|e| e["type"] == "conversation.item.create")
        .collect();
    let call = creates
        .iter()
        .position(|e| e["item"]["type"] == "function_call")
        .unwrap();
    let output = creates
        .iter()
        .position(|e| e["item"]["type"] == "function_call_output")
        .unwrap();
    assert!(call < output);
    assert!(second.errors_sent.is_empty(), "{:?}", second.errors_sent);
}

#[tokio::test]
async fn expired_session_reconnects_and_old_connection_is_recycled_early() {
    // The server ends sessions after 1.5 s; the client recycles every 200 ms, well before expiry.
    let server = FakeRealtime::start(Scenario::new().session_max_ms(1500))
        .await
        .unwrap();
    let config = RealtimeConfig::builder()
        .url(server.url())
        .reconnect(fast_reconnect())
        .max_session_age(Duration::from_millis(200))
        .build()
        .unwrap();
    let session = RealtimeTransport::new(config, registry(None))
        .start(voice_config())
        .await
        .unwrap();
    until(&session, |e| matches!(e, VoiceEvent::Reconnected { .. })).await;
    let events = until(&session, |e| matches!(e, VoiceEvent::Reconnected { .. })).await;
    assert!(events.iter().any(
        |e| matches!(e, VoiceEvent::Reconnecting { reason, .. } if reason.contains("60-minute"))
    ));
    assert!(server.connection_count() >= 3);
    for n in 0..server.connection_count() - 1 {
        assert!(
            server.connection(n).errors_sent.is_empty(),
            "connection {n} expired instead of being recycled"
        );
    }

    // Without early recycling, the expiry error is surfaced and the session reconnects.
    let server = FakeRealtime::start(Scenario::new().session_max_ms(200))
        .await
        .unwrap();
    let session = start(&server, registry(None)).await;
    let events = until(&session, |e| matches!(e, VoiceEvent::Reconnected { .. })).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Error { code, .. } if code == "session_expired"))
    );
    session.send_text("still there?").unwrap();
    until_says(&session, "You said: still there?").await;
}

#[tokio::test]
async fn malformed_and_unknown_server_frames_do_not_break_the_session() {
    let server = FakeRealtime::start(
        Scenario::new()
            .turn(Turn::Raw {
                frame: "{this is not json".into(),
            })
            .turn(Turn::Raw {
                frame: r#"{"type":"response.output_audio.delta","delta":5}"#.into(),
            })
            .turn(Turn::Raw {
                frame: r#"{"type":"response.brand_new_event","detail":42}"#.into(),
            })
            .say("still here", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry(None)).await;
    session.send_text("hello").unwrap();
    let events = until_says(&session, "still here").await;
    let malformed = events
        .iter()
        .filter(|e| matches!(e, VoiceEvent::Error { code, .. } if code == "malformed_server_event"))
        .count();
    assert_eq!(malformed, 2);
    assert!(events.iter().any(|e| matches!(e, VoiceEvent::Raw { event_type, json } if event_type == "response.brand_new_event" && json.contains("42"))));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Closed { .. }))
    );
}

#[tokio::test]
async fn wrong_key_is_rejected_with_a_clear_error() {
    let server = FakeRealtime::start(Scenario::new().api_key("sk-right"))
        .await
        .unwrap();
    let config = RealtimeConfig::builder()
        .url(server.url())
        .api_key("sk-wrong")
        .build()
        .unwrap();
    let err = RealtimeTransport::new(config, registry(None))
        .start(voice_config())
        .await
        .unwrap_err();
    assert!(
        matches!(err, VoiceError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("sk-wrong"));
}

#[tokio::test]
async fn extra_headers_reach_the_handshake() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    let config = RealtimeConfig::builder()
        .url(server.url())
        .header("api-key", "azure-key")
        .build()
        .unwrap();
    let session = RealtimeTransport::new(config, registry(None))
        .start(voice_config())
        .await
        .unwrap();
    session.close();
    let log = server.connection(0);
    assert!(
        log.header_names.contains(&"api-key".to_string()),
        "{:?}",
        log.header_names
    );
    assert!(!log.had_bearer);
}

#[tokio::test]
async fn gives_up_after_bounded_reconnect_attempts() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    let session = start(&server, registry(None)).await;
    drop(server); // stops listening and drops the connection
    let events = until(&session, |e| matches!(e, VoiceEvent::Closed { .. })).await;
    let attempts = events
        .iter()
        .filter(|e| matches!(e, VoiceEvent::Reconnecting { .. }))
        .count();
    assert_eq!(attempts, 3);
    let Some(VoiceEvent::Closed {
        reason,
        by_application,
    }) = events.last()
    else {
        panic!()
    };
    assert!(
        !by_application,
        "the connection gave out, not the application"
    );
    assert!(
        reason.contains("reconnecting failed after 3 attempt(s)"),
        "{reason}"
    );
    assert!(session.send_text("anyone?").is_err());
}

#[tokio::test]
async fn mulaw_session_advertises_g711_and_detects_speech() {
    let server = FakeRealtime::start(Scenario::new().transcripts(&["hi"]))
        .await
        .unwrap();
    let config = VoiceSessionConfig::builder()
        .audio_format(AudioFormat::Pcmu)
        .build();
    let session = transport(&server, registry(None))
        .start(config)
        .await
        .unwrap();
    let samples =
        audio::pcm16_from_bytes(&[pcm(200, false), pcm(500, true), pcm(900, false)].concat());
    let encoded = audio::encode_for(AudioFormat::Pcmu, &samples);
    for frame in audio::frames(&encoded, AudioFormat::Pcmu, 100) {
        session.send_audio(frame.to_vec()).unwrap();
    }
    let events = until_says(&session, "You said: hi").await;
    let bytes: usize = events
        .iter()
        .map(|e| match e {
            VoiceEvent::AssistantAudio { audio, .. } => audio.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(bytes, 400 * 8, "400 ms of 8 kHz G.711");
    let update = &server.connection(0).client_events[0];
    assert_eq!(
        update["session"]["audio"]["input"]["format"]["type"],
        "audio/pcmu"
    );
}

#[tokio::test]
async fn announcements_are_spoken_out_of_band_in_order() {
    let server = FakeRealtime::start(Scenario::new()).await.unwrap();
    let session = start(&server, registry(None)).await;
    session
        .announce("CI on backend failed on main (tests).")
        .unwrap();
    session.announce("CI on backend is green again.").unwrap();
    let events = until_says(&session, "green again").await;
    let said = texts(&events);
    assert_eq!(
        said,
        [
            "CI on backend failed on main (tests).",
            "CI on backend is green again."
        ],
        "both spoken, in order: {events:#?}"
    );
    let creates = server.client_events_of("response.create");
    assert_eq!(creates.len(), 2, "{creates:#?}");
    for create in &creates {
        assert_eq!(create["response"]["conversation"], "none");
        assert_eq!(create["response"]["tool_choice"], "none");
    }
    // Not part of the conversation: the model never answers an announcement.
    assert!(server.connection(0).conversation.is_empty());
    session.close();
}
