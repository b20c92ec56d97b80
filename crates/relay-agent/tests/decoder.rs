//! The stream-json decoder on a real captured transcript and on edge cases.

use relay_agent::claude::{DEFAULT_MAX_LINE_BYTES, Decoded, FrameDecoder, LineReader};
use relay_core::agent::{AgentEvent, ContentBlock};

const TRANSCRIPT: &[u8] = include_bytes!("fixtures/transcript.jsonl");

fn decode_all(bytes: &[u8]) -> Vec<Decoded> {
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    for line in bytes.split(|b| *b == b'\n') {
        decoder.decode_line(line, &mut out);
    }
    decoder.flush(&mut out);
    out
}

fn events(decoded: &[Decoded]) -> Vec<&AgentEvent> {
    decoded
        .iter()
        .filter_map(|d| match d {
            Decoded::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn real_transcript_decodes_into_merged_messages_and_tool_events() {
    let decoded = decode_all(TRANSCRIPT);
    let events = events(&decoded);
    let count = |pred: &dyn Fn(&AgentEvent) -> bool| events.iter().filter(|e| pred(e)).count();
    assert_eq!(
        count(&|e| matches!(e, AgentEvent::SessionStarted { .. })),
        1
    );
    // 9 assistant frames (one per content block) are 5 messages.
    assert_eq!(
        count(&|e| matches!(e, AgentEvent::AssistantMessage { .. })),
        5
    );
    assert_eq!(
        count(&|e| matches!(e, AgentEvent::PartialMessage { .. })),
        43
    );
    assert_eq!(
        count(&|e| matches!(
            e,
            AgentEvent::ToolFinished {
                is_error: false,
                ..
            }
        )),
        4
    );
    let tools: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolStarted { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(tools, ["Read", "Edit", "Write", "Bash"]);
    let first = events
        .iter()
        .find_map(|e| match e {
            AgentEvent::AssistantMessage { content, .. } => Some(content),
            _ => None,
        })
        .unwrap();
    assert!(
        matches!(&first[0], ContentBlock::Text { text } if text == "Let me look at the code first.")
    );
    assert!(matches!(&first[1], ContentBlock::ToolUse { name, .. } if name == "Read"));
    let results: Vec<_> = decoded
        .iter()
        .filter_map(|d| match d {
            Decoded::Result(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].subtype, "success");
    assert_eq!(results[0].num_turns, 5);
    assert!(
        results[0]
            .result
            .as_deref()
            .unwrap()
            .starts_with("Fixed: add()")
    );
    assert_eq!(
        decoded
            .iter()
            .filter(|d| matches!(d, Decoded::ControlResponse { error: None, .. }))
            .count(),
        1
    );
}

#[test]
fn unknown_frames_pass_through_raw_and_non_json_lines_become_warnings() {
    let input = b"[SandboxDebug] starting\n\
{\"type\":\"brand_new_frame\",\"x\":1}\n\
{\"type\":\"assistant\",\"message\":5}\n\
{\"type\":\"system\",\"subtype\":\"compact_boundary\",\"compact_metadata\":{\"trigger\":\"auto\"}}\n\
{\"type\":\"rate_limit_event\",\"rate_limit_info\":{\"status\":\"allowed\"}}\n\
{broken json\n";
    let decoded = decode_all(input);
    let events = events(&decoded);
    assert!(
        matches!(events[0], AgentEvent::Warning { message } if message.contains("[SandboxDebug]"))
    );
    assert!(
        matches!(events[1], AgentEvent::Raw { frame } if frame["type"] == "brand_new_frame" && frame["x"] == 1)
    );
    // Known type, unexpected shape: passed on raw rather than failing.
    assert!(matches!(events[2], AgentEvent::Raw { frame } if frame["message"] == 5));
    assert!(
        matches!(events[3], AgentEvent::System { subtype, data } if subtype == "compact_boundary" && data.to_value()["compact_metadata"]["trigger"] == "auto")
    );
    assert!(matches!(events[4], AgentEvent::RateLimit { info } if info["status"] == "allowed"));
    assert!(matches!(events[5], AgentEvent::Warning { message } if message.contains("unreadable")));
    assert_eq!(events.len(), 6);
}

#[test]
fn control_traffic_does_not_split_a_message_being_merged() {
    let input = br#"{"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"a"}]}}
{"type":"control_request","request_id":"r1","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{}}}
{"type":"assistant","message":{"id":"m1","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{}}]}}
{"type":"assistant","message":{"id":"m2","content":[{"type":"thinking","thinking":"hm"}]}}
"#;
    let decoded = decode_all(input);
    let messages: Vec<&Vec<ContentBlock>> = events(&decoded)
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::AssistantMessage { content, .. } => Some(content),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].len(), 2);
    assert!(matches!(&messages[1][0], ContentBlock::Thinking { thinking } if thinking == "hm"));
    assert!(
        decoded
            .iter()
            .any(|d| matches!(d, Decoded::ControlRequest(r) if r.request_id == "r1"))
    );
}

#[tokio::test]
async fn a_64_mib_tool_result_line_is_read_and_decoded() {
    let big = "y".repeat(64 * 1024 * 1024);
    let mut input = format!(
        r#"{{"type":"user","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t1","content":"{big}"}}]}}}}"#
    )
    .into_bytes();
    input.push(b'\n');
    input.extend_from_slice(br#"{"type":"result","subtype":"success","is_error":false,"num_turns":1,"total_cost_usd":0.5}"#);
    input.push(b'\n');
    assert!(input.len() > 64 * 1024 * 1024);
    let mut reader = LineReader::new(&input[..], DEFAULT_MAX_LINE_BYTES);
    let mut decoder = FrameDecoder::new();
    let mut line = Vec::new();
    let mut out = Vec::new();
    while reader.next_line(&mut line).await.unwrap() {
        decoder.decode_line(&line, &mut out);
        line.clear();
    }
    let output_len = out.iter().find_map(|d| match d {
        Decoded::Event(AgentEvent::ToolFinished { output, .. }) => Some(output.len()),
        _ => None,
    });
    assert_eq!(output_len, Some(64 * 1024 * 1024));
    assert!(
        out.iter()
            .any(|d| matches!(d, Decoded::Result(r) if r.total_cost_usd == 0.5))
    );
}
