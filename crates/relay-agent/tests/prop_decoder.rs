//! Property tests of the stream-json decoder: whatever the agent's stdout holds (arbitrary
//! bytes, frames of every known type with wrong or missing fields, real frames cut or
//! corrupted), decoding never panics and every non-JSON line becomes a warning.

use proptest::prelude::*;
use relay_agent::claude::{Decoded, FrameDecoder};
use relay_core::agent::AgentEvent;
use relay_testkit::fuzz;

const TRANSCRIPT: &[u8] = include_bytes!("fixtures/transcript.jsonl");

/// Frame types of the CLI's stream-json output and the keys the decoder reads.
const TYPES: &[&str] = &[
    "system",
    "assistant",
    "user",
    "result",
    "control_request",
    "control_response",
    "control_cancel_request",
    "stream_event",
    "rate_limit_event",
];
const KEYS: &[&str] = &[
    "subtype",
    "session_id",
    "model",
    "message",
    "parent_tool_use_id",
    "request_id",
    "request",
    "response",
    "is_error",
    "result",
    "num_turns",
    "total_cost_usd",
    "usage",
    "duration_ms",
    "permission_denials",
    "tools",
    "cwd",
    "permissionMode",
    "error",
    "uuid",
];

fn decode(lines: &[Vec<u8>]) -> Vec<Decoded> {
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    for line in lines {
        decoder.decode_line(line, &mut out);
    }
    decoder.flush(&mut out);
    out
}

fn transcript_lines() -> Vec<Vec<u8>> {
    TRANSCRIPT
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

proptest! {
    #![proptest_config(fuzz::config(16000))]

    #[test]
    fn arbitrary_lines_never_panic(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let out = decode(&lines);
        let not_json = lines
            .iter()
            .filter(|l| l.trim_ascii().first().is_some_and(|b| *b != b'{'))
            .count();
        let warnings = out
            .iter()
            .filter(|d| matches!(d, Decoded::Event(AgentEvent::Warning { .. })))
            .count();
        prop_assert!(warnings >= not_json, "{not_json} non-JSON lines, {warnings} warnings");
    }

    #[test]
    fn frames_with_wrong_fields_never_panic(frames in prop::collection::vec(fuzz::frame(TYPES, KEYS), 1..6)) {
        let lines: Vec<Vec<u8>> = frames.iter().map(|f| f.to_string().into_bytes()).collect();
        decode(&lines);
    }

    #[test]
    fn corrupted_real_frames_never_panic(lines in prop::collection::vec(fuzz::mutated(transcript_lines()), 1..4)) {
        decode(&lines);
    }
}
