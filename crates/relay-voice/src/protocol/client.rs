//! Client events of the GA Realtime protocol (what Relay sends).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Session};

/// Options of a `response.create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResponseOptions {
    /// Per-response instructions (used for spoken acknowledgements and progress).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// `["audio"]` or `["text"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<String>>,
    /// Tool choice for this response (`"none"` for status updates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// `"auto"` (default conversation) or `"none"` (out of band).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// Free-form metadata echoed back in `response.created/done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// Every client event of the GA protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ClientEvent {
    /// Configure the session.
    #[serde(rename = "session.update")]
    SessionUpdate {
        /// Optional client event id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_id: Option<String>,
        /// The session.
        session: Box<Session>,
    },
    /// Append base64 audio to the input buffer.
    #[serde(rename = "input_audio_buffer.append")]
    InputAudioBufferAppend {
        /// Base64 audio in the input format.
        audio: String,
    },
    /// Commit the input buffer as a user message.
    #[serde(rename = "input_audio_buffer.commit")]
    InputAudioBufferCommit {},
    /// Discard the input buffer.
    #[serde(rename = "input_audio_buffer.clear")]
    InputAudioBufferClear {},
    /// Add an item to the conversation.
    #[serde(rename = "conversation.item.create")]
    ConversationItemCreate {
        /// Insert after this item (`root` for the start); appended when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_item_id: Option<String>,
        /// The item.
        item: Item,
    },
    /// Ask for an item's full content.
    #[serde(rename = "conversation.item.retrieve")]
    ConversationItemRetrieve {
        /// Item id.
        item_id: String,
    },
    /// Cut an assistant item's audio at `audio_end_ms`.
    #[serde(rename = "conversation.item.truncate")]
    ConversationItemTruncate {
        /// Assistant item id.
        item_id: String,
        /// Content part index (0).
        content_index: u32,
        /// Audio kept, ms.
        audio_end_ms: u64,
    },
    /// Remove an item.
    #[serde(rename = "conversation.item.delete")]
    ConversationItemDelete {
        /// Item id.
        item_id: String,
    },
    /// Ask the model to respond.
    #[serde(rename = "response.create")]
    ResponseCreate {
        /// Options.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response: Option<ResponseOptions>,
    },
    /// Cancel the active response.
    #[serde(rename = "response.cancel")]
    ResponseCancel {
        /// A specific response (the active one when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_id: Option<String>,
    },
    /// Clear output audio (WebRTC/SIP only; accepted for completeness).
    #[serde(rename = "output_audio_buffer.clear")]
    OutputAudioBufferClear {},
}

impl ClientEvent {
    /// Serializes to the JSON text sent on the socket.
    pub fn to_json(&self) -> String {
        // Serialization of these plain types cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}
