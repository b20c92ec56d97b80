//! The scripted model turns, loadable from JSON for the `relay-testkit anthropic` binary.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The model's turns, answered in order, one per `POST /v1/messages`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Script {
    /// Turns in the order the CLI will request them.
    pub turns: Vec<Turn>,
}

impl Script {
    /// A script answering with `turns` in order.
    pub fn new(turns: Vec<Turn>) -> Self {
        Self { turns }
    }
}

/// One scripted answer to a Messages API request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Turn {
    /// A normal assistant message: optional text followed by tool calls.
    Reply {
        /// Assistant text (streamed as `text_delta`s).
        #[serde(default)]
        text: Option<String>,
        /// Tool calls after the text; a non-empty list makes `stop_reason` `tool_use`.
        #[serde(default)]
        tool_uses: Vec<ScriptedToolUse>,
        /// Token usage to report; defaults to 100 in / 20 out.
        #[serde(default)]
        usage: Option<TurnUsage>,
    },
    /// An HTTP error with Anthropic's error body shape.
    Error {
        /// HTTP status (401, 429, 500, 529, ...).
        status: u16,
        /// Anthropic error type, e.g. `authentication_error`, `overloaded_error`.
        error_type: String,
        /// Human-readable message.
        message: String,
    },
    /// Starts the SSE stream (`message_start`) and then sends nothing more, keeping the
    /// connection open: a hung API.
    Hang,
}

impl Turn {
    /// A text-only reply.
    pub fn text(text: impl Into<String>) -> Self {
        Turn::Reply {
            text: Some(text.into()),
            tool_uses: Vec::new(),
            usage: None,
        }
    }

    /// A reply with some text and one tool call.
    pub fn tool(text: impl Into<String>, name: impl Into<String>, input: Value) -> Self {
        Turn::Reply {
            text: Some(text.into()),
            tool_uses: vec![ScriptedToolUse {
                id: None,
                name: name.into(),
                input,
            }],
            usage: None,
        }
    }

    /// An HTTP error turn.
    pub fn error(status: u16, error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Turn::Error {
            status,
            error_type: error_type.into(),
            message: message.into(),
        }
    }

    /// Replaces the usage reported for a reply turn (no effect on other turns).
    pub fn with_usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        if let Turn::Reply { usage, .. } = &mut self {
            *usage = Some(TurnUsage {
                input_tokens,
                output_tokens,
            });
        }
        self
    }
}

/// One scripted `tool_use` block.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptedToolUse {
    /// Tool use id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Tool name as the CLI knows it (`Write`, `Edit`, `Bash`, ...).
    pub name: String,
    /// Tool input object.
    pub input: Value,
}

/// Token usage reported for a turn.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TurnUsage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
}

impl Default for TurnUsage {
    fn default() -> Self {
        Self {
            input_tokens: 100,
            output_tokens: 20,
        }
    }
}
