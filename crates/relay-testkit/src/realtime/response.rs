//! Builds the event sequence of one response, the way the GA service streams it.

use std::collections::VecDeque;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::Shared;
use super::scenario::ScriptedCall;

/// One queued server event.
#[derive(Debug)]
pub struct Out {
    /// Wall time to wait before sending, ms.
    pub delay_ms: u64,
    /// The event (without `event_id`).
    pub event: Value,
    /// Conversation item to add when this event is sent: `(item, audio_ms)`.
    pub add_item: Option<(Value, u64)>,
    /// Audio carried by this event (for cancel/truncate bookkeeping): `(item_id, ms)`.
    pub audio: Option<(String, u64)>,
}

fn out(event: Value) -> Out {
    Out {
        delay_ms: 0,
        event,
        add_item: None,
        audio: None,
    }
}

/// What the model will produce in a response.
pub enum Content {
    /// Speech (or text) with this transcript and audio length.
    Say { text: String, audio_ms: u32 },
    /// Tool calls.
    Calls(Vec<ScriptedCall>),
}

/// Session facts the response needs.
pub struct Format {
    /// Output modality is audio.
    pub audio: bool,
    /// `audio/pcm`, `audio/pcmu` or `audio/pcma`.
    pub format: String,
    /// Audio per delta, ms.
    pub chunk_ms: u32,
    /// Delay between deltas, ms.
    pub interval_ms: u64,
}

fn audio_bytes(format: &str, ms: u64, offset_ms: u64) -> Vec<u8> {
    match format {
        // 8 kHz G.711: near-silent constant codes keep it simple.
        "audio/pcmu" => vec![0xFF; (ms * 8) as usize],
        "audio/pcma" => vec![0xD5; (ms * 8) as usize],
        _ => {
            // 24 kHz PCM16 220 Hz tone, continuous across chunks.
            let start = offset_ms * 24;
            let mut out = Vec::with_capacity((ms * 48) as usize);
            for i in 0..ms * 24 {
                let t = (start + i) as f64 / 24_000.0;
                let s = ((t * 220.0 * std::f64::consts::TAU).sin() * 3000.0) as i16;
                out.extend_from_slice(&s.to_le_bytes());
            }
            out
        }
    }
}

/// Builds the full queue for a response. Returns the queue and the final `response` object.
pub fn build(
    shared: &Shared,
    response_id: &str,
    content: Content,
    fmt: &Format,
    metadata: Value,
    in_conversation: bool,
) -> (VecDeque<Out>, Value) {
    let mut q = VecDeque::new();
    let mut outputs = Vec::new();
    let mut output_tokens = 0u64;
    q.push_back(out(json!({
        "type": "response.created",
        "response": {"object": "realtime.response", "id": response_id, "status": "in_progress",
                     "output": [], "conversation_id": if in_conversation { json!("conv_1") } else { Value::Null },
                     "metadata": metadata, "usage": null}
    })));
    match content {
        Content::Say { text, audio_ms } => {
            let item_id = shared.next_id("item");
            let empty_item = json!({"id": item_id, "object": "realtime.item", "type": "message",
                                    "status": "in_progress", "role": "assistant", "content": []});
            let final_part = if fmt.audio {
                json!({"type": "output_audio", "transcript": text})
            } else {
                json!({"type": "output_text", "text": text})
            };
            let final_item = json!({"id": item_id, "object": "realtime.item", "type": "message",
                                    "status": "completed", "role": "assistant", "content": [final_part]});
            let mut added = out(
                json!({"type": "response.output_item.added", "response_id": response_id,
                                       "output_index": 0, "item": empty_item}),
            );
            let total_ms = if fmt.audio { u64::from(audio_ms) } else { 0 };
            if in_conversation {
                added.add_item = Some((final_item.clone(), total_ms));
            }
            q.push_back(added);
            if in_conversation {
                q.push_back(out(json!({"type": "conversation.item.added", "previous_item_id": null, "item": empty_item})));
            }
            let empty_part = if fmt.audio {
                json!({"type": "output_audio", "transcript": ""})
            } else {
                json!({"type": "output_text", "text": ""})
            };
            q.push_back(out(json!({"type": "response.content_part.added", "response_id": response_id,
                                   "item_id": item_id, "output_index": 0, "content_index": 0, "part": empty_part})));
            let words: Vec<&str> = text.split_inclusive(' ').collect();
            output_tokens += words.len() as u64;
            if fmt.audio {
                let chunk = u64::from(fmt.chunk_ms.max(10));
                let chunks = total_ms.div_ceil(chunk).max(1) as usize;
                let per_chunk = words.len().div_ceil(chunks).max(1);
                let mut sent = 0u64;
                for c in 0..chunks {
                    let ms = chunk.min(total_ms - sent);
                    let delta = STANDARD.encode(audio_bytes(&fmt.format, ms, sent));
                    sent += ms;
                    output_tokens += 1;
                    q.push_back(Out {
                        delay_ms: fmt.interval_ms,
                        event: json!({"type": "response.output_audio.delta", "response_id": response_id,
                                      "item_id": item_id, "output_index": 0, "content_index": 0, "delta": delta}),
                        add_item: None,
                        audio: Some((item_id.clone(), ms)),
                    });
                    let slice = words
                        .iter()
                        .skip(c * per_chunk)
                        .take(per_chunk)
                        .copied()
                        .collect::<String>();
                    if !slice.is_empty() {
                        q.push_back(out(json!({"type": "response.output_audio_transcript.delta", "response_id": response_id,
                                               "item_id": item_id, "output_index": 0, "content_index": 0, "delta": slice})));
                    }
                }
                q.push_back(out(
                    json!({"type": "response.output_audio.done", "response_id": response_id,
                                       "item_id": item_id, "output_index": 0, "content_index": 0}),
                ));
                q.push_back(out(json!({"type": "response.output_audio_transcript.done", "response_id": response_id,
                                       "item_id": item_id, "output_index": 0, "content_index": 0, "transcript": text})));
            } else {
                for w in &words {
                    q.push_back(out(json!({"type": "response.output_text.delta", "response_id": response_id,
                                           "item_id": item_id, "output_index": 0, "content_index": 0, "delta": w})));
                }
                q.push_back(out(json!({"type": "response.output_text.done", "response_id": response_id,
                                       "item_id": item_id, "output_index": 0, "content_index": 0, "text": text})));
            }
            q.push_back(out(json!({"type": "response.content_part.done", "response_id": response_id,
                                   "item_id": item_id, "output_index": 0, "content_index": 0, "part": final_part})));
            q.push_back(out(
                json!({"type": "response.output_item.done", "response_id": response_id,
                                   "output_index": 0, "item": final_item}),
            ));
            if in_conversation {
                q.push_back(out(json!({"type": "conversation.item.done", "previous_item_id": null, "item": final_item})));
            }
            outputs.push(final_item);
        }
        Content::Calls(calls) => {
            for (index, call) in calls.into_iter().enumerate() {
                let item_id = shared.next_id("item");
                let call_id = shared.next_id("call");
                let empty = json!({"id": item_id, "object": "realtime.item", "type": "function_call", "status": "in_progress",
                                   "call_id": call_id, "name": call.name, "arguments": ""});
                let done = json!({"id": item_id, "object": "realtime.item", "type": "function_call", "status": "completed",
                                  "call_id": call_id, "name": call.name, "arguments": call.arguments});
                let mut added = out(
                    json!({"type": "response.output_item.added", "response_id": response_id,
                                           "output_index": index, "item": empty}),
                );
                if in_conversation {
                    added.add_item = Some((done.clone(), 0));
                }
                q.push_back(added);
                if in_conversation {
                    q.push_back(out(json!({"type": "conversation.item.added", "previous_item_id": null, "item": empty})));
                }
                let cut = call
                    .arguments
                    .char_indices()
                    .nth(call.arguments.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                for piece in [&call.arguments[..cut], &call.arguments[cut..]] {
                    if !piece.is_empty() {
                        q.push_back(out(json!({"type": "response.function_call_arguments.delta", "response_id": response_id,
                                               "item_id": item_id, "output_index": index, "call_id": call_id, "delta": piece})));
                    }
                }
                q.push_back(out(json!({"type": "response.function_call_arguments.done", "response_id": response_id,
                                       "item_id": item_id, "output_index": index, "call_id": call_id,
                                       "name": call.name, "arguments": call.arguments})));
                q.push_back(out(
                    json!({"type": "response.output_item.done", "response_id": response_id,
                                       "output_index": index, "item": done}),
                ));
                if in_conversation {
                    q.push_back(out(json!({"type": "conversation.item.done", "previous_item_id": null, "item": done})));
                }
                output_tokens += 5;
                outputs.push(done);
            }
        }
    }
    let response = json!({"object": "realtime.response", "id": response_id, "status": "completed",
        "status_details": null, "output": outputs, "metadata": metadata,
        "conversation_id": if in_conversation { json!("conv_1") } else { Value::Null },
        "usage": {"total_tokens": 100 + output_tokens, "input_tokens": 100, "output_tokens": output_tokens,
                  "input_token_details": {"cached_tokens": 0, "text_tokens": 100, "audio_tokens": 0},
                  "output_token_details": {"text_tokens": output_tokens, "audio_tokens": 0}}});
    (q, response)
}
