//! Server events of the GA Realtime protocol (what the service sends).
//!
//! Every event carries an `event_id`; it is not modelled per variant (the fake server adds it and
//! parsing ignores it). Events whose `type` Relay does not know are kept as
//! [`ParsedServerEvent::Unknown`] and surfaced raw.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ContentPart, Item, Session};

/// The `error` object of an `error` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Error class, e.g. `invalid_request_error`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Machine code, e.g. `conversation_already_has_active_response`.
    #[serde(default)]
    pub code: Option<String>,
    /// Message.
    #[serde(default)]
    pub message: String,
    /// Offending parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// The client event that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
}

/// Token details of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Usage {
    /// Total tokens.
    #[serde(default)]
    pub total_tokens: u64,
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
}

/// A response object (`response.created`, `response.done`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Response id.
    pub id: String,
    /// `in_progress`, `completed`, `cancelled`, `failed` or `incomplete`.
    #[serde(default)]
    pub status: String,
    /// Why it ended that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<Value>,
    /// Items produced.
    #[serde(default)]
    pub output: Vec<Item>,
    /// Token usage (on `response.done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// `auto` or `none` (out of band) — GA reports the conversation id or null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// Metadata from `response.create`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// A rate limit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitEntry {
    /// `requests` or `tokens`.
    pub name: String,
    /// Limit.
    #[serde(default)]
    pub limit: u64,
    /// Remaining.
    #[serde(default)]
    pub remaining: u64,
    /// Seconds to reset.
    #[serde(default)]
    pub reset_seconds: f64,
}

/// Every server event of the GA protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[allow(missing_docs)] // Field names are the protocol's own; each variant is documented.
pub enum ServerEvent {
    /// An error; usually not fatal.
    #[serde(rename = "error")]
    Error { error: ErrorDetail },
    /// First event on a connection.
    #[serde(rename = "session.created")]
    SessionCreated { session: Box<Session> },
    /// Answer to `session.update`.
    #[serde(rename = "session.updated")]
    SessionUpdated { session: Box<Session> },
    /// An item was added to the conversation.
    #[serde(rename = "conversation.item.added")]
    ConversationItemAdded {
        #[serde(default)]
        previous_item_id: Option<String>,
        item: Item,
    },
    /// An item is complete.
    #[serde(rename = "conversation.item.done")]
    ConversationItemDone {
        #[serde(default)]
        previous_item_id: Option<String>,
        item: Item,
    },
    /// Answer to `conversation.item.retrieve`.
    #[serde(rename = "conversation.item.retrieved")]
    ConversationItemRetrieved { item: Item },
    /// Input transcription finished.
    #[serde(rename = "conversation.item.input_audio_transcription.completed")]
    InputTranscriptionCompleted {
        item_id: String,
        #[serde(default)]
        content_index: u32,
        transcript: String,
    },
    /// Input transcription progress.
    #[serde(rename = "conversation.item.input_audio_transcription.delta")]
    InputTranscriptionDelta {
        item_id: String,
        #[serde(default)]
        content_index: u32,
        #[serde(default)]
        delta: String,
    },
    /// Diarized transcription segment.
    #[serde(rename = "conversation.item.input_audio_transcription.segment")]
    InputTranscriptionSegment {
        item_id: String,
        #[serde(default)]
        text: String,
        #[serde(default)]
        speaker: Option<String>,
        #[serde(default)]
        start: f64,
        #[serde(default)]
        end: f64,
    },
    /// Input transcription failed.
    #[serde(rename = "conversation.item.input_audio_transcription.failed")]
    InputTranscriptionFailed { item_id: String, error: ErrorDetail },
    /// Answer to `conversation.item.truncate`.
    #[serde(rename = "conversation.item.truncated")]
    ConversationItemTruncated {
        item_id: String,
        #[serde(default)]
        content_index: u32,
        audio_end_ms: u64,
    },
    /// Answer to `conversation.item.delete`.
    #[serde(rename = "conversation.item.deleted")]
    ConversationItemDeleted { item_id: String },
    /// The input buffer became a user item.
    #[serde(rename = "input_audio_buffer.committed")]
    InputAudioBufferCommitted {
        #[serde(default)]
        previous_item_id: Option<String>,
        item_id: String,
    },
    /// Answer to `input_audio_buffer.clear`.
    #[serde(rename = "input_audio_buffer.cleared")]
    InputAudioBufferCleared {},
    /// VAD detected speech.
    #[serde(rename = "input_audio_buffer.speech_started")]
    SpeechStarted {
        audio_start_ms: u64,
        item_id: String,
    },
    /// VAD detected the end of speech.
    #[serde(rename = "input_audio_buffer.speech_stopped")]
    SpeechStopped { audio_end_ms: u64, item_id: String },
    /// VAD idle timeout.
    #[serde(rename = "input_audio_buffer.timeout_triggered")]
    InputAudioBufferTimeoutTriggered {
        audio_start_ms: u64,
        audio_end_ms: u64,
        item_id: String,
    },
    /// A DTMF key was received (SIP).
    #[serde(rename = "input_audio_buffer.dtmf_event_received")]
    DtmfEventReceived {
        event: String,
        #[serde(default)]
        received_at: u64,
    },
    /// WebRTC/SIP output audio started.
    #[serde(rename = "output_audio_buffer.started")]
    OutputAudioBufferStarted { response_id: String },
    /// WebRTC/SIP output audio stopped.
    #[serde(rename = "output_audio_buffer.stopped")]
    OutputAudioBufferStopped { response_id: String },
    /// WebRTC/SIP output audio cleared.
    #[serde(rename = "output_audio_buffer.cleared")]
    OutputAudioBufferCleared { response_id: String },
    /// A response started.
    #[serde(rename = "response.created")]
    ResponseCreated { response: Response },
    /// A response ended (any status).
    #[serde(rename = "response.done")]
    ResponseDone { response: Response },
    /// A response output item started.
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded {
        response_id: String,
        output_index: u32,
        item: Item,
    },
    /// A response output item finished.
    #[serde(rename = "response.output_item.done")]
    OutputItemDone {
        response_id: String,
        output_index: u32,
        item: Item,
    },
    /// A content part started.
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded {
        response_id: String,
        item_id: String,
        output_index: u32,
        content_index: u32,
        part: ContentPart,
    },
    /// A content part finished.
    #[serde(rename = "response.content_part.done")]
    ContentPartDone {
        response_id: String,
        item_id: String,
        output_index: u32,
        content_index: u32,
        part: ContentPart,
    },
    /// Text output delta.
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        #[serde(default)]
        content_index: u32,
        delta: String,
    },
    /// Text output finished.
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        #[serde(default)]
        content_index: u32,
        text: String,
    },
    /// Audio transcript delta.
    #[serde(rename = "response.output_audio_transcript.delta")]
    OutputAudioTranscriptDelta {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        #[serde(default)]
        content_index: u32,
        delta: String,
    },
    /// Audio transcript finished.
    #[serde(rename = "response.output_audio_transcript.done")]
    OutputAudioTranscriptDone {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        #[serde(default)]
        content_index: u32,
        transcript: String,
    },
    /// Audio delta (base64).
    #[serde(rename = "response.output_audio.delta")]
    OutputAudioDelta {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        #[serde(default)]
        content_index: u32,
        delta: String,
    },
    /// Audio finished.
    #[serde(rename = "response.output_audio.done")]
    OutputAudioDone {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        #[serde(default)]
        content_index: u32,
    },
    /// Function call arguments delta.
    #[serde(rename = "response.function_call_arguments.delta")]
    FunctionCallArgumentsDelta {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        call_id: String,
        delta: String,
    },
    /// Function call arguments complete: the moment to run the tool.
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone {
        response_id: String,
        item_id: String,
        #[serde(default)]
        output_index: u32,
        call_id: String,
        #[serde(default)]
        name: Option<String>,
        arguments: String,
    },
    /// MCP call arguments delta.
    #[serde(rename = "response.mcp_call_arguments.delta")]
    McpCallArgumentsDelta {
        response_id: String,
        item_id: String,
        delta: String,
    },
    /// MCP call arguments complete.
    #[serde(rename = "response.mcp_call_arguments.done")]
    McpCallArgumentsDone {
        response_id: String,
        item_id: String,
        arguments: String,
    },
    /// MCP call running.
    #[serde(rename = "response.mcp_call.in_progress")]
    McpCallInProgress { item_id: String },
    /// MCP call completed.
    #[serde(rename = "response.mcp_call.completed")]
    McpCallCompleted { item_id: String },
    /// MCP call failed.
    #[serde(rename = "response.mcp_call.failed")]
    McpCallFailed { item_id: String },
    /// MCP tool listing running.
    #[serde(rename = "mcp_list_tools.in_progress")]
    McpListToolsInProgress { item_id: String },
    /// MCP tool listing completed.
    #[serde(rename = "mcp_list_tools.completed")]
    McpListToolsCompleted { item_id: String },
    /// MCP tool listing failed.
    #[serde(rename = "mcp_list_tools.failed")]
    McpListToolsFailed { item_id: String },
    /// Current rate limits.
    #[serde(rename = "rate_limits.updated")]
    RateLimitsUpdated { rate_limits: Vec<RateLimitEntry> },
}

/// Every `type` value [`ServerEvent`] models.
pub const KNOWN_SERVER_EVENTS: &[&str] = &[
    "error",
    "session.created",
    "session.updated",
    "conversation.item.added",
    "conversation.item.done",
    "conversation.item.retrieved",
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.delta",
    "conversation.item.input_audio_transcription.segment",
    "conversation.item.input_audio_transcription.failed",
    "conversation.item.truncated",
    "conversation.item.deleted",
    "input_audio_buffer.committed",
    "input_audio_buffer.cleared",
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.timeout_triggered",
    "input_audio_buffer.dtmf_event_received",
    "output_audio_buffer.started",
    "output_audio_buffer.stopped",
    "output_audio_buffer.cleared",
    "response.created",
    "response.done",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_audio_transcript.delta",
    "response.output_audio_transcript.done",
    "response.output_audio.delta",
    "response.output_audio.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.mcp_call_arguments.delta",
    "response.mcp_call_arguments.done",
    "response.mcp_call.in_progress",
    "response.mcp_call.completed",
    "response.mcp_call.failed",
    "mcp_list_tools.in_progress",
    "mcp_list_tools.completed",
    "mcp_list_tools.failed",
    "rate_limits.updated",
];

/// The result of reading one text frame from the service.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedServerEvent {
    /// A modelled event.
    Known(ServerEvent),
    /// A well-formed event of a type Relay does not model.
    Unknown {
        /// Its `type`.
        event_type: String,
        /// The whole event.
        value: Value,
    },
}

/// Why a frame could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed server event: {reason} (frame starts with {snippet:?})")]
pub struct MalformedEvent {
    /// What is wrong.
    pub reason: String,
    /// The first 80 characters of the frame.
    pub snippet: String,
}

impl ServerEvent {
    /// Parses one text frame.
    pub fn parse(text: &str) -> Result<ParsedServerEvent, MalformedEvent> {
        let malformed = |reason: String| MalformedEvent {
            reason,
            snippet: text.chars().take(80).collect(),
        };
        let value: Value =
            serde_json::from_str(text).map_err(|e| malformed(format!("not JSON ({e})")))?;
        let Some(kind) = value
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Err(malformed("no `type` field".into()));
        };
        if !KNOWN_SERVER_EVENTS.contains(&kind.as_str()) {
            return Ok(ParsedServerEvent::Unknown {
                event_type: kind,
                value,
            });
        }
        serde_json::from_value(value)
            .map(ParsedServerEvent::Known)
            .map_err(|e| malformed(format!("`{kind}` has unexpected shape ({e})")))
    }

    /// Serializes with an `event_id` (used by the fake server).
    pub fn to_json_with_id(&self, event_id: &str) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("event_id".into(), Value::from(event_id));
        }
        v.to_string()
    }
}
