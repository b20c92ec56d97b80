//! Events an agent run streams while it works. Plain serde data, so they cross FFI unchanged.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One thing that happened during an agent run.
///
/// Serialized with a `type` tag in snake_case, e.g. `{"type": "tool_started", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// The agent session started (Claude Code's `system/init` frame).
    SessionStarted {
        /// Session id, usable to resume.
        session_id: String,
        /// Model in use.
        model: Option<String>,
        /// Working directory the agent reported.
        cwd: Option<String>,
        /// Tools available to the agent.
        tools: Vec<String>,
        /// Permission mode in force.
        permission_mode: Option<String>,
        /// Version of the agent program.
        agent_version: Option<String>,
    },
    /// A complete assistant message (the CLI's per-block frames merged by message id).
    AssistantMessage {
        /// Message id from the API.
        message_id: String,
        /// Model that wrote it.
        model: Option<String>,
        /// Content blocks in order.
        content: Vec<ContentBlock>,
        /// Set when the message belongs to a sub-agent's tool use.
        parent_tool_use_id: Option<String>,
        /// Set when the CLI reported an API error as this message (e.g. `authentication_failed`).
        error: Option<String>,
    },
    /// The agent is about to use a tool.
    ToolStarted {
        /// Tool use id.
        tool_use_id: String,
        /// Tool name (`Write`, `Bash`, ...; `shell` for the shell agent).
        name: String,
        /// Tool input.
        input: Value,
    },
    /// A tool finished and its result went back to the model.
    ToolFinished {
        /// Tool use id.
        tool_use_id: String,
        /// Whether the tool failed (or was denied).
        is_error: bool,
        /// The result text.
        output: String,
    },
    /// A line of output from a command (shell agent).
    Output {
        /// `stdout` or `stderr`.
        stream: String,
        /// The line, without its newline.
        line: String,
    },
    /// The agent asks permission to use a tool; the permission policy is deciding.
    PermissionRequested {
        /// Tool name.
        tool_name: String,
        /// Tool input.
        input: Value,
        /// Question for a person when the policy asked one (the voice layer speaks it).
        question: Option<String>,
    },
    /// The permission policy decided.
    PermissionDecided {
        /// Tool name.
        tool_name: String,
        /// Whether the tool may run.
        allowed: bool,
        /// The denial message given to the agent, if denied.
        message: Option<String>,
    },
    /// An API call failed and the agent retries it.
    ApiRetry {
        /// Attempt number.
        attempt: u32,
        /// Maximum retries.
        max_retries: u32,
        /// Delay before the retry.
        retry_delay_ms: u64,
        /// HTTP status of the failure.
        error_status: Option<u16>,
        /// Error kind.
        error: Option<String>,
    },
    /// A rate limit notice from the agent.
    RateLimit {
        /// The agent's rate limit details, as reported.
        info: Value,
    },
    /// A partial message stream event (only when partial messages were asked for).
    PartialMessage {
        /// The Messages API stream event, kept as JSON text until read.
        event: RawJson,
    },
    /// A system notice other than `init` and `api_retry` (e.g. `compact_boundary`, `status`).
    System {
        /// The frame's subtype.
        subtype: String,
        /// The whole frame, kept as JSON text until read.
        data: RawJson,
    },
    /// The interrupt request was sent to the agent.
    InterruptRequested,
    /// The agent's final result frame arrived.
    Result {
        /// Result subtype (`success`, `error_max_turns`, `error_during_execution`,
        /// `error_max_budget_usd`, ...).
        subtype: String,
        /// Whether the run failed.
        is_error: bool,
        /// Turns used.
        num_turns: u32,
        /// Cost of this run in USD.
        cost_usd: f64,
        /// The final text, when any.
        text: Option<String>,
    },
    /// A frame type this version of Relay does not know, passed on unchanged.
    Raw {
        /// The frame.
        frame: Value,
    },
    /// Something odd but harmless, e.g. a non-JSON line on the agent's stdout (skipped).
    Warning {
        /// What happened.
        message: String,
    },
}

/// A block of an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// Extended thinking.
    Thinking {
        /// The thinking text.
        thinking: String,
    },
    /// A tool call.
    ToolUse {
        /// Tool use id.
        id: String,
        /// Tool name.
        name: String,
        /// Tool input.
        input: Value,
    },
    /// Any other block, unchanged.
    Other {
        /// The block.
        block: Value,
    },
}

/// JSON kept as its text until someone looks inside. Partial stream events arrive by the hundred
/// and are often ignored, so building a [`Value`] for each would be wasted work. It serializes
/// as the JSON it holds (with any serde serializer) and compares by text.
#[derive(Clone, PartialEq, Eq)]
pub struct RawJson(String);

impl RawJson {
    /// Wraps JSON text the caller has already parsed or checked (the agent decoders hold the
    /// frame they parsed). Nothing is checked here: text that is not JSON reads as `null`
    /// through [`to_value`](Self::to_value) and serializes as it is.
    pub fn from_valid_text(text: String) -> Self {
        RawJson(text)
    }
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Parses the JSON.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> Self {
        RawJson(value.to_string())
    }
}

impl std::fmt::Debug for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|v| RawJson(v.to_string()))
    }
}
