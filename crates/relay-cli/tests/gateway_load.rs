//! The gateway load harness (benches/gateway_load) at a small N against the real `relay serve`:
//! five concurrent conversations, each a typed turn and a spoken one, every turn answered with
//! reply audio, every turn split with the Realtime peer's timestamps, and the run ends by itself.
//! No timing is asserted: the numbers are the bench's (benches/gateway_load.sh).

use std::time::Duration;

use relay_gateway_load::{LoadConfig, ServerKind, TurnKind, run, summary};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_conversations_against_relay_serve_each_get_every_reply() {
    let config = LoadConfig {
        conversations: 5,
        turns: 2,
        open_interval: Duration::from_millis(10),
        speech_ms: 300,
        silence_ms: 800,
        turn_timeout: Duration::from_secs(30),
        deadline: Duration::from_secs(120),
        start_spread: Duration::from_millis(100),
        ..LoadConfig::default()
    };
    let kind = ServerKind::Relay {
        bin: env!("CARGO_BIN_EXE_relay").into(),
    };
    let report = run(&kind, &config).await.expect("the run");
    let said = summary(&report);
    assert_eq!(report.opened, 5, "{said}");
    assert!(!report.deadline_hit, "{said}");
    for conversation in &report.conversations {
        assert_eq!(conversation.failure, None, "{said}");
        assert!(conversation.errors.is_empty(), "{said}");
        assert_eq!(conversation.turns.len(), 2, "{said}");
        for turn in &conversation.turns {
            assert!(turn.answered(), "{said}");
            // The fake model's echo: 400 ms of PCM16 at 24 kHz.
            assert_eq!(turn.audio_bytes, 19_200, "{said}");
            if turn.kind == TurnKind::Text {
                let text = turn.text.as_deref().expect("a text turn's text");
                assert_eq!(
                    turn.reply_text.as_deref(),
                    Some(format!("You said: {text}").as_str())
                );
            }
        }
        assert_eq!(conversation.turns[1].kind, TurnKind::Speech);
    }
    // Every turn was split with the peer's timestamps, every audio frame matched.
    let analysis = &report.analysis;
    assert_eq!(
        analysis.matched_conversations, 5,
        "{:?}",
        analysis.unmatched
    );
    assert!(analysis.unmatched.is_empty(), "{:?}", analysis.unmatched);
    assert_eq!(analysis.shares.latency.len(), 10);
    assert_eq!(analysis.shares.own.len(), 10);
    let frames_per_speech_turn = (300 + 800) / 100;
    assert_eq!(analysis.shares.frame_up.len(), 5 * frames_per_speech_turn);
    assert_eq!(analysis.shares.frame_down.len(), 5 * 2 * 4);
    // The server's memory was read before and with the conversations open.
    assert!(report.rss_base_kib > 0 && report.rss_open_kib > 0);
}
