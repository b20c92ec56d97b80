//! Renders a scripted reply as the Messages API's streaming events (or one JSON message).

use serde_json::{Value, json};

use super::script::{ScriptedToolUse, TurnUsage};

/// The content of one reply, with ids resolved.
pub(crate) struct Reply<'a> {
    pub message_id: String,
    pub model: String,
    pub text: Option<&'a str>,
    pub tool_uses: Vec<(String, &'a ScriptedToolUse)>,
    pub usage: TurnUsage,
}

impl Reply<'_> {
    fn stop_reason(&self) -> &'static str {
        if self.tool_uses.is_empty() {
            "end_turn"
        } else {
            "tool_use"
        }
    }

    /// The whole SSE body: message_start, one block per text/tool, message_delta, message_stop.
    pub(crate) fn sse_events(&self) -> Vec<u8> {
        let mut out = Vec::new();
        event(&mut out, "message_start", &self.message_start());
        let mut index = 0;
        if let Some(text) = self.text {
            event(
                &mut out,
                "content_block_start",
                &json!({"type": "content_block_start", "index": index,
                        "content_block": {"type": "text", "text": ""}}),
            );
            for piece in chunks(text, 48) {
                event(
                    &mut out,
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": index,
                            "delta": {"type": "text_delta", "text": piece}}),
                );
            }
            event(
                &mut out,
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            );
            index += 1;
        }
        for (id, tool) in &self.tool_uses {
            event(
                &mut out,
                "content_block_start",
                &json!({"type": "content_block_start", "index": index,
                        "content_block": {"type": "tool_use", "id": id, "name": tool.name, "input": {}}}),
            );
            event(
                &mut out,
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": tool.input.to_string()}}),
            );
            event(
                &mut out,
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            );
            index += 1;
        }
        event(
            &mut out,
            "message_delta",
            &json!({"type": "message_delta",
                    "delta": {"stop_reason": self.stop_reason(), "stop_sequence": null},
                    "usage": {"output_tokens": self.usage.output_tokens}}),
        );
        event(&mut out, "message_stop", &json!({"type": "message_stop"}));
        out
    }

    /// Only the opening `message_start` event (what a hung stream sends before going silent).
    pub(crate) fn message_start_event(&self) -> Vec<u8> {
        let mut out = Vec::new();
        event(&mut out, "message_start", &self.message_start());
        out
    }

    fn message_start(&self) -> Value {
        json!({"type": "message_start", "message": {
            "id": self.message_id, "type": "message", "role": "assistant", "model": self.model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": self.usage.input_tokens, "output_tokens": 1,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}})
    }

    /// The non-streaming form: one complete message object.
    pub(crate) fn message_json(&self) -> Value {
        let mut content = Vec::new();
        if let Some(text) = self.text {
            content.push(json!({"type": "text", "text": text}));
        }
        for (id, tool) in &self.tool_uses {
            content.push(
                json!({"type": "tool_use", "id": id, "name": tool.name, "input": tool.input}),
            );
        }
        json!({"id": self.message_id, "type": "message", "role": "assistant", "model": self.model,
               "content": content, "stop_reason": self.stop_reason(), "stop_sequence": null,
               "usage": {"input_tokens": self.usage.input_tokens, "output_tokens": self.usage.output_tokens,
                         "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
    }
}

fn event(out: &mut Vec<u8>, name: &str, data: &Value) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(data.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
}

/// Splits text into pieces of about `size` bytes on char boundaries, like a model's deltas.
fn chunks(text: &str, size: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        pieces.push(&text[start..end]);
        start = end;
    }
    if pieces.is_empty() {
        pieces.push("");
    }
    pieces
}
