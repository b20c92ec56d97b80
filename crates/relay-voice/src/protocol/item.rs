//! Conversation items and content parts of the GA Realtime protocol.

use serde::{Deserialize, Serialize};

/// A conversation item (`conversation.item.*`, `response.output_item.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// A system, user or assistant message.
    Message {
        /// Item id (server-assigned when omitted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `system`, `user` or `assistant`.
        role: String,
        /// Content parts.
        #[serde(default)]
        content: Vec<ContentPart>,
        /// `in_progress`, `completed` or `incomplete`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// A tool call made by the model.
    FunctionCall {
        /// Item id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Call id to answer with a `function_call_output`.
        call_id: String,
        /// Tool name.
        name: String,
        /// Arguments as JSON text.
        #[serde(default)]
        arguments: String,
        /// Item status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// The answer to a tool call.
    FunctionCallOutput {
        /// Item id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The call answered.
        call_id: String,
        /// Output text (JSON by convention).
        output: String,
    },
    /// Any other item kind (MCP calls, approvals), kept opaque.
    #[serde(other)]
    Other,
}

impl Item {
    /// The item's id, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Item::Message { id, .. }
            | Item::FunctionCall { id, .. }
            | Item::FunctionCallOutput { id, .. } => id.as_deref(),
            Item::Other => None,
        }
    }

    /// A user text message.
    pub fn user_text(text: impl Into<String>) -> Self {
        Item::Message {
            id: None,
            role: "user".into(),
            content: vec![ContentPart::InputText { text: text.into() }],
            status: None,
        }
    }

    /// An assistant message given as text (used to replay assistant turns).
    pub fn assistant_text(text: impl Into<String>) -> Self {
        Item::Message {
            id: None,
            role: "assistant".into(),
            content: vec![ContentPart::OutputText { text: text.into() }],
            status: None,
        }
    }

    /// A tool result.
    pub fn function_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        Item::FunctionCallOutput {
            id: None,
            call_id: call_id.into(),
            output: output.into(),
        }
    }
}

/// A part of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// Text typed by the user.
    InputText {
        /// The text.
        text: String,
    },
    /// Audio from the user, with its transcript once known.
    InputAudio {
        /// Base64 audio (omitted by the server in events).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<String>,
        /// Transcript.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
    },
    /// Assistant text.
    OutputText {
        /// The text.
        text: String,
    },
    /// Assistant audio with its transcript.
    OutputAudio {
        /// Base64 audio (usually omitted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<String>,
        /// Transcript.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
    },
    /// Any other part kind.
    #[serde(other)]
    Other,
}
