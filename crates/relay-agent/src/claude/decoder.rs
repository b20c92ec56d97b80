//! Turns stdout lines into [`AgentEvent`]s, control requests and the final result.
//!
//! The CLI writes one `assistant` frame per content block, all with the same message id; the
//! decoder merges them into one [`AgentEvent::AssistantMessage`], emitted when a frame of another
//! message (or kind) arrives. Tool calls are announced at once as [`AgentEvent::ToolStarted`], so
//! progress is live even while the merged message waits for its end.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::wire::{WireBlock, WireFrame, tool_result_text};
use relay_core::agent::{AgentEvent, ContentBlock, PermissionDenial, RawJson, TokenUsage};

/// The final `result` frame, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultFrame {
    /// `success`, `error_max_turns`, `error_during_execution`, `error_max_budget_usd`, ...
    pub subtype: String,
    /// Whether the CLI flags the run as failed.
    pub is_error: bool,
    /// Session id.
    pub session_id: Option<String>,
    /// Turns used.
    pub num_turns: u32,
    /// Duration reported by the CLI.
    pub duration_ms: u64,
    /// Cumulative session cost as reported (`total_cost_usd`).
    pub total_cost_usd: f64,
    /// Cost since the previous result, when the CLI reports it per model.
    pub cost_since_last_result: Option<f64>,
    /// Final text.
    pub result: Option<String>,
    /// Token usage.
    pub usage: TokenUsage,
    /// Denied tool uses.
    pub permission_denials: Vec<PermissionDenial>,
    /// HTTP status of an API error that ended the run.
    pub api_error_status: Option<u16>,
    /// API error type.
    pub api_error_type: Option<String>,
    /// Error strings (`error_during_execution`).
    pub errors: Vec<String>,
    /// Why the loop ended (`completed`, `api_error`, `aborted`, ...).
    pub terminal_reason: Option<String>,
}

/// A `can_use_tool` (or other) control request from the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlRequest {
    /// Id to answer with.
    pub request_id: String,
    /// The request body (`subtype` plus fields).
    pub request: Value,
}

/// What one line decoded into.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// An event for the embedding app.
    Event(AgentEvent),
    /// The CLI asks us something (permission); must be answered.
    ControlRequest(ControlRequest),
    /// The CLI answered one of our control requests.
    ControlResponse {
        /// The id of our request.
        request_id: String,
        /// `None` when it succeeded, else the CLI's error message.
        error: Option<String>,
    },
    /// The CLI abandoned one of its control requests.
    ControlCancel(String),
    /// The run's result.
    Result(ResultFrame),
}

struct PendingMessage {
    message_id: String,
    model: Option<String>,
    content: Vec<ContentBlock>,
    parent_tool_use_id: Option<String>,
    error: Option<String>,
}

/// Stateful decoder for one CLI process's stdout.
#[derive(Default)]
pub struct FrameDecoder {
    pending: Option<PendingMessage>,
}

impl FrameDecoder {
    /// A fresh decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one line, appending what it produced to `out`. Never fails: non-JSON lines
    /// become warnings and unknown or unreadable frames become raw events.
    pub fn decode_line(&mut self, line: &[u8], out: &mut Vec<Decoded>) {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            return;
        }
        if trimmed[0] != b'{' {
            out.push(Decoded::Event(AgentEvent::Warning {
                message: format!(
                    "skipped a non-JSON line on the agent's stdout: {}",
                    preview(trimmed)
                ),
            }));
            return;
        }
        match serde_json::from_slice::<WireFrame>(trimmed) {
            Ok(frame) => self.decode_frame(frame, trimmed, out),
            Err(typed_err) => match serde_json::from_slice::<Value>(trimmed) {
                // Valid JSON in a shape we do not know: pass it on untouched.
                Ok(frame) => {
                    self.flush(out);
                    out.push(Decoded::Event(AgentEvent::Raw { frame }));
                }
                Err(_) => out.push(Decoded::Event(AgentEvent::Warning {
                    message: format!(
                        "skipped an unreadable JSON line on the agent's stdout ({typed_err}): {}",
                        preview(trimmed)
                    ),
                })),
            },
        }
    }

    /// Emits the assistant message still being merged (call at end of stream).
    pub fn flush(&mut self, out: &mut Vec<Decoded>) {
        if let Some(p) = self.pending.take() {
            out.push(Decoded::Event(AgentEvent::AssistantMessage {
                message_id: p.message_id,
                model: p.model,
                content: p.content,
                parent_tool_use_id: p.parent_tool_use_id,
                error: p.error,
            }));
        }
    }

    fn decode_frame(&mut self, frame: WireFrame<'_>, raw: &[u8], out: &mut Vec<Decoded>) {
        if frame.kind == "assistant" {
            return self.decode_assistant(frame, out);
        }
        // Control traffic does not interrupt a message being merged.
        match frame.kind.as_ref() {
            "control_request" => {
                if let (Some(request_id), Some(request)) = (frame.request_id, frame.request) {
                    out.push(Decoded::ControlRequest(ControlRequest {
                        request_id,
                        request,
                    }));
                }
                return;
            }
            "control_response" => {
                let response = frame.response;
                let failed = response
                    .as_ref()
                    .is_some_and(|r| r.subtype.as_deref() == Some("error"));
                out.push(Decoded::ControlResponse {
                    request_id: response
                        .as_ref()
                        .and_then(|r| r.request_id.clone())
                        .unwrap_or_default(),
                    error: if failed {
                        Some(
                            response
                                .and_then(|r| r.error)
                                .unwrap_or_else(|| "unspecified error".into()),
                        )
                    } else {
                        None
                    },
                });
                return;
            }
            "control_cancel_request" => {
                out.push(Decoded::ControlCancel(frame.request_id.unwrap_or_default()));
                return;
            }
            "stream_event" => {
                out.push(Decoded::Event(AgentEvent::PartialMessage {
                    event: RawJson::from_valid_text(
                        frame
                            .event
                            .map_or_else(|| "null".to_string(), |e| e.get().to_string()),
                    ),
                }));
                return;
            }
            _ => {}
        }
        self.flush(out);
        match frame.kind.as_ref() {
            "user" => decode_user(frame, out),
            "system" => decode_system(frame, raw, out),
            "rate_limit_event" => out.push(Decoded::Event(AgentEvent::RateLimit {
                info: frame.rate_limit_info.unwrap_or(Value::Null),
            })),
            "result" => out.push(Decoded::Result(result_frame(frame))),
            _ => out.push(Decoded::Event(AgentEvent::Raw {
                frame: serde_json::from_slice(raw).unwrap_or(Value::Null),
            })),
        }
    }

    fn decode_assistant(&mut self, frame: WireFrame<'_>, out: &mut Vec<Decoded>) {
        let Some(message) = frame.message else {
            return;
        };
        let message_id = message.id.unwrap_or_default();
        let same = self
            .pending
            .as_ref()
            .is_some_and(|p| p.message_id == message_id && !message_id.is_empty());
        if !same {
            self.flush(out);
            self.pending = Some(PendingMessage {
                message_id,
                model: message.model,
                content: Vec::with_capacity(message.content.len()),
                parent_tool_use_id: frame.parent_tool_use_id,
                error: None,
            });
        }
        let pending = self.pending.as_mut().expect("pending set above");
        if let Some(error) = frame.error {
            pending.error = Some(match error {
                Value::String(s) => s,
                other => other.to_string(),
            });
        }
        for block in message.content {
            let block = content_block(block);
            if let ContentBlock::ToolUse { id, name, input } = &block {
                out.push(Decoded::Event(AgentEvent::ToolStarted {
                    tool_use_id: id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                }));
            }
            pending.content.push(block);
        }
    }
}

fn content_block(block: WireBlock) -> ContentBlock {
    match block.kind.as_str() {
        "text" => ContentBlock::Text {
            text: block.text.unwrap_or_default(),
        },
        "thinking" => ContentBlock::Thinking {
            thinking: block.thinking.unwrap_or_default(),
        },
        "tool_use" => ContentBlock::ToolUse {
            id: block.id.unwrap_or_default(),
            name: block.name.unwrap_or_default(),
            input: block.input.unwrap_or(Value::Null),
        },
        other => {
            let mut raw = json!({"type": other});
            let fields = [
                ("text", block.text.map(Value::String)),
                ("id", block.id.map(Value::String)),
                ("name", block.name.map(Value::String)),
                ("input", block.input),
                ("content", block.content),
            ];
            for (key, value) in fields {
                if let Some(value) = value {
                    raw[key] = value;
                }
            }
            ContentBlock::Other { block: raw }
        }
    }
}

fn decode_user(frame: WireFrame<'_>, out: &mut Vec<Decoded>) {
    let Some(message) = frame.message else {
        return;
    };
    for block in message.content {
        if block.kind == "tool_result" {
            out.push(Decoded::Event(AgentEvent::ToolFinished {
                tool_use_id: block.tool_use_id.unwrap_or_default(),
                is_error: block.is_error.unwrap_or(false),
                output: tool_result_text(block.content),
            }));
        }
    }
}

fn decode_system(frame: WireFrame<'_>, raw: &[u8], out: &mut Vec<Decoded>) {
    let subtype = frame.subtype.as_deref().unwrap_or_default().to_string();
    let event = match subtype.as_str() {
        "init" => AgentEvent::SessionStarted {
            session_id: frame.session_id.map(Cow::into_owned).unwrap_or_default(),
            model: frame.model,
            cwd: frame.cwd,
            tools: frame.tools.unwrap_or_default(),
            permission_mode: frame.permission_mode,
            agent_version: frame.claude_code_version,
        },
        "api_retry" => AgentEvent::ApiRetry {
            attempt: frame.attempt.unwrap_or(0),
            max_retries: frame.max_retries.unwrap_or(0),
            retry_delay_ms: frame.retry_delay_ms.unwrap_or(0),
            error_status: frame.error_status,
            error: frame.error.map(|e| match e {
                Value::String(s) => s,
                other => other.to_string(),
            }),
        },
        _ => AgentEvent::System {
            subtype,
            // The line parsed as JSON just before, so it is valid JSON (and so valid UTF-8).
            data: RawJson::from_valid_text(String::from_utf8_lossy(raw).into_owned()),
        },
    };
    out.push(Decoded::Event(event));
}

fn result_frame(frame: WireFrame<'_>) -> ResultFrame {
    let usage = frame.usage.unwrap_or_default();
    ResultFrame {
        subtype: frame
            .subtype
            .map_or_else(|| "unknown".to_string(), Cow::into_owned),
        is_error: frame.is_error.unwrap_or(false),
        session_id: frame.session_id.map(Cow::into_owned),
        num_turns: frame.num_turns.unwrap_or(0),
        duration_ms: frame.duration_ms.unwrap_or(0),
        total_cost_usd: frame.total_cost_usd.unwrap_or(0.0),
        cost_since_last_result: frame
            .model_usage_since_last_result
            .map(|models| models.values().map(|m| m.cost_usd).sum()),
        result: frame.result,
        usage: TokenUsage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens,
            cache_creation_input_tokens: usage.cache_creation_input_tokens,
        },
        permission_denials: frame
            .permission_denials
            .unwrap_or_default()
            .into_iter()
            .map(|d| PermissionDenial {
                tool_name: d.tool_name,
                tool_use_id: d.tool_use_id,
                tool_input: d.tool_input,
            })
            .collect(),
        api_error_status: frame.api_error_status,
        api_error_type: frame.api_error_type,
        errors: frame.errors.unwrap_or_default(),
        terminal_reason: frame.terminal_reason,
    }
}

fn preview(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(&line[..line.len().min(200)]);
    if line.len() > 200 {
        format!("{text}… ({} bytes)", line.len())
    } else {
        text.into_owned()
    }
}
