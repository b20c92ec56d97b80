use serde::{Deserialize, Serialize};

use crate::event::Progress;

/// Something that happened in a voice session. Serialized with a `type` tag in snake case.
///
/// Audio travels as raw bytes in the session's output format; serialized as base64 in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VoiceEvent {
    /// The session is connected and configured.
    SessionStarted {
        /// The service's session id.
        session_id: String,
        /// The model in use.
        model: String,
    },
    /// The user started speaking (from voice activity detection).
    UserSpeechStarted {
        /// Position in the input audio stream, ms.
        audio_start_ms: u64,
    },
    /// The user stopped speaking.
    UserSpeechStopped {
        /// Position in the input audio stream, ms.
        audio_end_ms: u64,
    },
    /// A transcript of what the user said (or the text they typed).
    UserTranscript {
        /// Conversation item id.
        item_id: String,
        /// The text.
        text: String,
    },
    /// A piece of the assistant's reply text or audio transcript.
    AssistantTextDelta {
        /// Conversation item id.
        item_id: String,
        /// The new text.
        delta: String,
    },
    /// The assistant finished one message; `text` is the full transcript.
    AssistantText {
        /// Conversation item id.
        item_id: String,
        /// Complete text.
        text: String,
    },
    /// A chunk of the assistant's audio, in the session's output format.
    AssistantAudio {
        /// Conversation item id.
        item_id: String,
        /// Encoded audio.
        #[serde(with = "base64_bytes")]
        audio: Vec<u8>,
    },
    /// The model asked for a tool.
    ToolCallStarted {
        /// The model's call id.
        call_id: String,
        /// Tool name.
        name: String,
        /// Arguments as JSON text, exactly as the model sent them.
        arguments: String,
    },
    /// A long tool reported progress (or the session acknowledged a long tool: then only
    /// `message` is set).
    ToolProgress {
        /// The call id.
        call_id: String,
        /// Tool name.
        name: String,
        /// The report; flattened, so `message` (suitable for speaking) sits beside `call_id`.
        #[serde(flatten)]
        progress: Progress,
    },
    /// A tool finished; `output` is what the model receives.
    ToolCallFinished {
        /// The call id.
        call_id: String,
        /// Tool name.
        name: String,
        /// Whether the tool succeeded (bad arguments and failures are `false`).
        ok: bool,
        /// Output JSON text sent to the model.
        output: String,
    },
    /// The assistant's reply was cut short because the user spoke over it.
    Interrupted {
        /// The assistant item that was interrupted.
        item_id: String,
        /// Audio kept, ms (0 means the item was deleted).
        audio_end_ms: u64,
    },
    /// One model response ended.
    ResponseDone {
        /// Response id.
        response_id: String,
        /// `completed`, `cancelled`, `failed` or `incomplete`.
        status: String,
        /// Tokens used by this response.
        usage: TokenUsage,
        /// A status line (acknowledgement or progress) outside the conversation, not a reply.
        out_of_band: bool,
    },
    /// The service reported rate limits.
    RateLimits {
        /// Current limits.
        limits: Vec<RateLimit>,
    },
    /// The connection dropped; Relay is reconnecting.
    Reconnecting {
        /// Attempt number, from 1.
        attempt: u32,
        /// Backoff before this attempt, ms.
        delay_ms: u64,
        /// Why the connection ended.
        reason: String,
    },
    /// The connection is back and the conversation was replayed.
    Reconnected {
        /// Items replayed into the new session.
        replayed_items: u32,
    },
    /// A warning that does not stop the session (e.g. beta-era configuration).
    Warning {
        /// What is wrong and what to do.
        message: String,
    },
    /// An error reported by the service or the transport. Non-fatal unless followed by `closed`.
    Error {
        /// Error code, e.g. `invalid_request_error` or `malformed_server_event`.
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// A service event Relay does not model, passed on as JSON text.
    Raw {
        /// The event's `type`.
        event_type: String,
        /// The whole event as JSON text.
        json: String,
    },
    /// The session ended; no more events follow.
    Closed {
        /// Why it ended.
        reason: String,
        /// Whether the application ended it (`close()`, dropping the session), as opposed to
        /// the connection or the service giving out.
        #[serde(default)]
        by_application: bool,
    },
}

/// Token counts from a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Total tokens.
    pub total_tokens: u64,
}

impl TokenUsage {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// One rate limit reported by the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// `requests` or `tokens`.
    pub name: String,
    /// The limit.
    pub limit: u64,
    /// Remaining.
    pub remaining: u64,
    /// Seconds until reset.
    pub reset_seconds: f64,
}

/// Per-session measurements.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionMetrics {
    /// Sum of token usage over all responses.
    pub usage: TokenUsage,
    /// Responses completed (any status).
    pub responses: u64,
    /// Time from the last request for a response (or end of user speech) to its first audio, ms.
    pub last_time_to_first_audio_ms: Option<u64>,
    /// Latest rate limits.
    pub rate_limits: Vec<RateLimit>,
    /// Reconnects performed.
    pub reconnects: u32,
    /// Tool calls answered.
    pub tool_calls: u64,
    /// Audio bytes sent / received.
    pub audio_bytes_in: u64,
    /// Audio bytes received from the service.
    pub audio_bytes_out: u64,
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_progress_is_flat() {
        let event = VoiceEvent::ToolProgress {
            call_id: "c1".into(),
            name: "sync".into(),
            progress: Progress::message("synced 1 of 3").done(1).total(3),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "tool_progress", "call_id": "c1", "name": "sync",
                "message": "synced 1 of 3", "done": 1, "total": 3, "repo": null})
        );
        assert_eq!(serde_json::from_value::<VoiceEvent>(json).unwrap(), event);
        // The older shape, message only, still reads.
        let old = serde_json::json!({"type": "tool_progress", "call_id": "c1", "name": "sync",
            "message": "working"});
        assert_eq!(
            serde_json::from_value::<VoiceEvent>(old).unwrap(),
            VoiceEvent::ToolProgress {
                call_id: "c1".into(),
                name: "sync".into(),
                progress: Progress::message("working"),
            }
        );
    }

    #[test]
    fn closed_says_who_ended_the_session() {
        let event = VoiceEvent::Closed {
            reason: "the service went away".into(),
            by_application: false,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "closed", "reason": "the service went away",
                "by_application": false})
        );
        // Events recorded before the field existed read as not ended by the application.
        let old = serde_json::json!({"type": "closed", "reason": "closed by the application"});
        assert!(matches!(
            serde_json::from_value::<VoiceEvent>(old).unwrap(),
            VoiceEvent::Closed {
                by_application: false,
                ..
            }
        ));
    }
}
