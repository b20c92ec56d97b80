//! Property tests of Realtime server-event parsing: arbitrary text, events of every known type
//! with wrong or missing fields, and real events cut or corrupted parse to an event, an
//! unknown event or a `MalformedEvent`, never a panic.

use proptest::prelude::*;
use relay_testkit::fuzz;
use relay_voice::protocol::{KNOWN_SERVER_EVENTS as TYPES, ParsedServerEvent, ServerEvent};
use serde_json::json;

const KEYS: &[&str] = &[
    "event_id",
    "error",
    "session",
    "item",
    "item_id",
    "previous_item_id",
    "response",
    "response_id",
    "output_index",
    "content_index",
    "delta",
    "text",
    "transcript",
    "arguments",
    "call_id",
    "name",
    "part",
    "audio_start_ms",
    "audio_end_ms",
    "rate_limits",
    "logprobs",
    "usage",
];

/// Events as the service sends them, to corrupt.
fn samples() -> Vec<Vec<u8>> {
    [
        json!({"type": "session.created", "event_id": "e1", "session": {"type": "realtime", "id": "sess_1", "model": "gpt-realtime", "output_modalities": ["audio"], "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 200, "create_response": true, "interrupt_response": true}}, "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"}}, "tools": [{"type": "function", "name": "lookup", "description": "d", "parameters": {"type": "object"}}]}}),
        json!({"type": "response.done", "event_id": "e2", "response": {"object": "realtime.response", "id": "resp_1", "status": "completed", "output": [{"id": "item_1", "type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{\"repo\":\"x\"}"}], "usage": {"total_tokens": 10, "input_tokens": 4, "output_tokens": 6}}}),
        json!({"type": "response.output_audio.delta", "event_id": "e3", "response_id": "resp_1", "item_id": "item_2", "output_index": 0, "content_index": 0, "delta": "AAAA"}),
        json!({"type": "error", "event_id": "e4", "error": {"type": "invalid_request_error", "code": "unknown_parameter", "message": "Unknown parameter: 'session.x'.", "param": "session.x", "event_id": "relay_evt_1"}}),
        json!({"type": "conversation.item.done", "event_id": "e5", "previous_item_id": null, "item": {"id": "item_3", "type": "message", "role": "assistant", "status": "completed", "content": [{"type": "output_audio", "transcript": "hi"}]}}),
        json!({"type": "rate_limits.updated", "event_id": "e6", "rate_limits": [{"name": "requests", "limit": 1000, "remaining": 999, "reset_seconds": 60.0}]}),
        json!({"type": "response.function_call_arguments.done", "event_id": "e7", "response_id": "resp_1", "item_id": "item_1", "output_index": 0, "call_id": "call_1", "name": "lookup", "arguments": "{}"}),
    ]
    .iter()
    .map(|v| v.to_string().into_bytes())
    .collect()
}

fn parse(text: &str) {
    // Any outcome is fine; a panic is not. A known event serializes back.
    if let Ok(ParsedServerEvent::Known(event)) = ServerEvent::parse(text) {
        let _ = format!("{event:?}");
    }
}

proptest! {
    #![proptest_config(fuzz::config(24000))]

    #[test]
    fn arbitrary_text_never_panics(text in fuzz::text()) {
        parse(&text);
    }

    #[test]
    fn events_with_wrong_fields_never_panic(frame in fuzz::frame(TYPES, KEYS)) {
        parse(&frame.to_string());
    }

    #[test]
    fn corrupted_real_events_never_panic(bytes in fuzz::mutated(samples())) {
        parse(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn the_samples_parse_as_known_events() {
    for s in samples() {
        let text = String::from_utf8(s).unwrap();
        assert!(
            matches!(ServerEvent::parse(&text), Ok(ParsedServerEvent::Known(_))),
            "{text}"
        );
    }
}
