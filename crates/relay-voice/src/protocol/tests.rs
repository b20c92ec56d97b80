use super::*;
use relay_core::tools::{Permission, ToolSpec};
use relay_core::voice::{AudioFormat, VoiceSessionConfig};
use serde_json::{Value, json};

#[test]
fn session_update_has_the_ga_shape() {
    let config = VoiceSessionConfig::builder()
        .audio_format(AudioFormat::Pcmu)
        .build();
    let tool = ToolSpec::new(
        "project_status",
        "Status.",
        json!({"type": "object"}),
        Permission::Read,
    );
    let (session, warnings) = Session::from_config(&config, "gpt-realtime", &[tool]);
    assert!(warnings.is_empty());
    let ev = ClientEvent::SessionUpdate {
        event_id: None,
        session: Box::new(session),
    };
    let v: Value = serde_json::from_str(&ev.to_json()).unwrap();
    assert_eq!(v["type"], "session.update");
    assert_eq!(v["session"]["type"], "realtime");
    assert_eq!(v["session"]["output_modalities"], json!(["audio"]));
    assert_eq!(
        v["session"]["audio"]["input"]["format"],
        json!({"type": "audio/pcmu"})
    );
    assert_eq!(v["session"]["audio"]["output"]["voice"], "marin");
    assert_eq!(
        v["session"]["audio"]["input"]["turn_detection"]["type"],
        "server_vad"
    );
    assert_eq!(
        v["session"]["audio"]["input"]["turn_detection"]["silence_duration_ms"],
        500
    );
    assert_eq!(
        v["session"]["audio"]["input"]["transcription"]["model"],
        "gpt-4o-transcribe"
    );
    assert_eq!(
        v["session"]["tools"][0],
        json!({"type": "function", "name": "project_status", "description": "Status.", "parameters": {"type": "object"}})
    );
    assert_eq!(v["session"]["tool_choice"], "auto");
    assert!(v["session"].get("modalities").is_none());
}

#[test]
fn beta_overrides_warn_and_overrides_win() {
    let config = VoiceSessionConfig::builder()
        .session_overrides(json!({"input_audio_format": "pcm16", "instructions": "be terse", "audio": {"output": {"speed": 1.2}}}))
        .build();
    let (session, warnings) = Session::from_config(&config, "gpt-realtime", &[]);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("`input_audio_format` is a beta-era Realtime field"));
    assert_eq!(session.instructions.as_deref(), Some("be terse"));
    let v = serde_json::to_value(&session).unwrap();
    assert_eq!(
        v["audio"]["output"]["voice"], "marin",
        "deep merge keeps sibling fields"
    );
    assert_eq!(v["audio"]["output"]["speed"], 1.2);
}

#[test]
fn client_events_serialize_with_their_type() {
    let cases = [
        (
            ClientEvent::InputAudioBufferAppend {
                audio: "AAA=".into(),
            },
            json!({"type": "input_audio_buffer.append", "audio": "AAA="}),
        ),
        (
            ClientEvent::InputAudioBufferCommit {},
            json!({"type": "input_audio_buffer.commit"}),
        ),
        (
            ClientEvent::ConversationItemTruncate {
                item_id: "i".into(),
                content_index: 0,
                audio_end_ms: 1500,
            },
            json!({"type": "conversation.item.truncate", "item_id": "i", "content_index": 0, "audio_end_ms": 1500}),
        ),
        (
            ClientEvent::ConversationItemCreate {
                previous_item_id: None,
                item: Item::assistant_text("hi"),
            },
            json!({"type": "conversation.item.create", "item": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]}}),
        ),
        (
            ClientEvent::ConversationItemCreate {
                previous_item_id: None,
                item: Item::function_output("c1", "{}"),
            },
            json!({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": "c1", "output": "{}"}}),
        ),
        (
            ClientEvent::ResponseCreate { response: None },
            json!({"type": "response.create"}),
        ),
        (
            ClientEvent::ResponseCancel { response_id: None },
            json!({"type": "response.cancel"}),
        ),
    ];
    for (ev, expected) in cases {
        assert_eq!(
            serde_json::from_str::<Value>(&ev.to_json()).unwrap(),
            expected
        );
    }
}

#[test]
fn parses_ga_server_events() {
    let text = r#"{"type":"response.function_call_arguments.done","event_id":"e1","response_id":"r1","item_id":"i1","output_index":0,"call_id":"call_1","name":"sync","arguments":"{\"repos\":[]}"}"#;
    match ServerEvent::parse(text).unwrap() {
        ParsedServerEvent::Known(ServerEvent::FunctionCallArgumentsDone {
            call_id,
            name,
            arguments,
            ..
        }) => {
            assert_eq!(call_id, "call_1");
            assert_eq!(name.as_deref(), Some("sync"));
            assert_eq!(arguments, r#"{"repos":[]}"#);
        }
        other => panic!("{other:?}"),
    }
    let done = r#"{"type":"response.done","event_id":"e2","response":{"object":"realtime.response","id":"r1","status":"completed","output":[{"type":"function_call","id":"i1","call_id":"c","name":"n","arguments":"{}"},{"type":"message","id":"i2","role":"assistant","content":[{"type":"output_audio","transcript":"ok"}]}],"usage":{"total_tokens":30,"input_tokens":20,"output_tokens":10,"input_token_details":{"cached_tokens":0}}}}"#;
    let ParsedServerEvent::Known(ServerEvent::ResponseDone { response }) =
        ServerEvent::parse(done).unwrap()
    else {
        panic!()
    };
    assert_eq!(response.usage.unwrap().output_tokens, 10);
    assert_eq!(response.output.len(), 2);
    let err = r#"{"type":"error","event_id":"e3","error":{"type":"invalid_request_error","code":"conversation_already_has_active_response","message":"Conversation already has an active response in progress: resp_1.","param":null,"event_id":"c9"}}"#;
    let ParsedServerEvent::Known(ServerEvent::Error { error }) = ServerEvent::parse(err).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        error.code.as_deref(),
        Some("conversation_already_has_active_response")
    );
}

#[test]
fn unknown_events_are_kept_raw_and_garbage_is_malformed() {
    match ServerEvent::parse(r#"{"type":"response.brand_new","x":1}"#).unwrap() {
        ParsedServerEvent::Unknown { event_type, value } => {
            assert_eq!(event_type, "response.brand_new");
            assert_eq!(value["x"], 1);
        }
        other => panic!("{other:?}"),
    }
    let e = ServerEvent::parse("{oops").unwrap_err();
    assert!(e.reason.starts_with("not JSON"), "{e}");
    let e = ServerEvent::parse(r#"{"type":"response.output_audio.delta"}"#).unwrap_err();
    assert!(e.reason.contains("unexpected shape"), "{e}");
    assert!(ServerEvent::parse(r#"{"no_type":1}"#).is_err());
}

#[test]
fn semantic_vad_and_manual_turns_serialize_as_ga() {
    use relay_core::voice::{Eagerness, TurnDetection};
    let config = VoiceSessionConfig::builder()
        .turn_detection(Some(TurnDetection::SemanticVad {
            eagerness: Eagerness::High,
            create_response: true,
            interrupt_response: false,
        }))
        .transcription(None)
        .build();
    let (session, _) = Session::from_config(&config, "gpt-realtime", &[]);
    let v = serde_json::to_value(&session).unwrap();
    assert_eq!(
        v["audio"]["input"]["turn_detection"],
        json!({"type": "semantic_vad", "eagerness": "high", "create_response": true, "interrupt_response": false})
    );
    assert_eq!(v["audio"]["input"]["transcription"], Value::Null);
    let manual = VoiceSessionConfig::builder().turn_detection(None).build();
    let v = serde_json::to_value(Session::from_config(&manual, "m", &[]).0).unwrap();
    assert!(
        v["audio"]["input"]
            .as_object()
            .unwrap()
            .contains_key("turn_detection"),
        "null disables VAD explicitly"
    );
    assert_eq!(v["audio"]["input"]["turn_detection"], Value::Null);
}
