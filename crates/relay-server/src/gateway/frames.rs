//! The JSON frames of protocol 1 (docs/serve.md): what clients send, and the gateway's own
//! frames beside the forwarded voice events.

use relay_core::approval::ApprovalDecision;
use relay_core::team::Caller;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The protocol this gateway speaks.
pub const PROTOCOL: u32 = 1;

/// The client frame types of protocol 1, for error messages.
const CLIENT_TYPES: &str = "text, commit, playback, barge_in, mode, approval_answer, invite, ping";

/// How the user's turns end (the `mode` frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TalkMode {
    /// The client ends each turn with `commit` (push-to-talk): the voice service's own turn
    /// detection is off, so a pause while the button is held ends nothing.
    PushToTalk,
    /// The voice service detects the end of each turn (the gateway's configured detection).
    HandsFree,
}

/// A text frame from a client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// A typed user message.
    Text {
        /// The message.
        text: String,
    },
    /// End of the user's spoken turn.
    Commit,
    /// How much of an assistant item the client has played.
    Playback {
        /// The assistant item.
        item_id: String,
        /// Milliseconds played.
        played_ms: u64,
    },
    /// The user started talking over the reply (a push-to-talk press): the item playing is cut
    /// at `played_ms` and a reply still being generated is cancelled.
    BargeIn {
        /// The assistant item that was playing, if any.
        #[serde(default)]
        item_id: Option<String>,
        /// Milliseconds of it played.
        #[serde(default)]
        played_ms: Option<u64>,
    },
    /// How the user's turns end from now on.
    Mode {
        /// `push_to_talk` or `hands_free`.
        mode: TalkMode,
    },
    /// A button answer to an approval request.
    ApprovalAnswer {
        /// The request's id.
        id: String,
        /// The decision.
        decision: ApprovalDecision,
    },
    /// Create an invite to this session.
    Invite,
    /// Answered by `pong`.
    Ping {
        /// Echoed back.
        #[serde(default)]
        id: Option<Value>,
    },
}

impl ClientFrame {
    /// Parses one text frame; the error says what is wrong in words for an `error` frame.
    pub fn parse(text: &str) -> Result<ClientFrame, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("a text frame must be one JSON object: {e}"))?;
        let Some(kind) = value.get("type").and_then(Value::as_str) else {
            return Err(format!(
                "a text frame needs a string `type`; protocol {PROTOCOL} knows {CLIENT_TYPES}"
            ));
        };
        let kind = kind.to_string();
        if !CLIENT_TYPES.split(", ").any(|known| known == kind) {
            return Err(format!(
                "unknown frame type `{kind}`; protocol {PROTOCOL} knows {CLIENT_TYPES}"
            ));
        }
        serde_json::from_value(value)
            .map_err(|e| format!("bad `{kind}` frame: {e} (see docs/serve.md)"))
    }
}

/// One participant as frames show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantInfo {
    /// User name.
    pub user: String,
    /// Role (`developer`, `team_lead`, `admin`).
    pub role: String,
}

impl ParticipantInfo {
    /// The participant `caller` is.
    pub fn of(caller: &Caller) -> Self {
        ParticipantInfo {
            user: caller.user.clone(),
            role: caller.role.as_str().to_string(),
        }
    }
}

/// `ready`: the conversation is set up.
pub fn ready(
    session_id: &str,
    me: &Caller,
    owner: &str,
    participants: &[ParticipantInfo],
    tools: &[String],
) -> Value {
    json!({
        "type": "ready",
        "protocol": PROTOCOL,
        "session_id": session_id,
        "user": me.user,
        "role": me.role.as_str(),
        "owner": owner,
        "participants": participants,
        "tools": tools,
    })
}

/// `error`: what went wrong, with an optional hint.
pub fn error(code: &str, message: &str, hint: Option<&str>) -> Value {
    let mut frame = json!({"type": "error", "code": code, "message": message});
    if let Some(hint) = hint {
        frame["hint"] = json!(hint);
    }
    frame
}

/// `closed`: the conversation ended.
pub fn closed(reason: &str, by_application: bool) -> Value {
    json!({"type": "closed", "reason": reason, "by_application": by_application})
}

/// `closed` when the server shuts down: the session to resume elsewhere (when it is stored)
/// and what was still running when the grace period ended (`handed_back`: empty when the turn
/// in progress finished).
pub fn closed_for_shutdown(session_id: &str, resumable: bool, handed_back: Vec<Value>) -> Value {
    let mut frame = closed("the server is shutting down", false);
    frame["session_id"] = json!(session_id);
    frame["resumable"] = json!(resumable);
    frame["handed_back"] = json!(handed_back);
    if resumable {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("session", session_id)
            .finish();
        frame["resume"] = json!(format!("?{query}"));
        frame["hint"] = json!(format!(
            "reconnect with ?{query} (to this server when it is back, or another one sharing its store) to go on"
        ));
    }
    frame
}

/// `assistant_audio_started`: binary frames that follow belong to `item_id`.
pub fn audio_started(item_id: &str) -> Value {
    json!({"type": "assistant_audio_started", "item_id": item_id})
}

/// `pong`.
pub fn pong(id: Option<Value>) -> Value {
    json!({"type": "pong", "id": id})
}

/// `participant_joined` / `participant_left`.
pub fn participant(joined: bool, who: &ParticipantInfo) -> Value {
    json!({
        "type": if joined { "participant_joined" } else { "participant_left" },
        "user": who.user,
        "role": who.role,
    })
}

/// `invite`.
pub fn invite(code: &str, url: &str) -> Value {
    json!({"type": "invite", "code": code, "url": url})
}

/// `briefing`.
pub fn briefing(briefing: Value) -> Value {
    json!({"type": "briefing", "briefing": briefing})
}

/// `turn_latency`: end of the user's turn → first reply audio, measured at the gateway.
pub fn turn_latency(item_id: &str, end_of_turn_at_ms: u64, first_audio_at_ms: u64) -> Value {
    json!({
        "type": "turn_latency",
        "item_id": item_id,
        "end_of_turn_at_ms": end_of_turn_at_ms,
        "first_audio_at_ms": first_audio_at_ms,
        "latency_ms": first_audio_at_ms.saturating_sub(end_of_turn_at_ms),
    })
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_client_frame() {
        assert_eq!(
            ClientFrame::parse(r#"{"type":"text","text":"hi"}"#),
            Ok(ClientFrame::Text { text: "hi".into() })
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"commit"}"#),
            Ok(ClientFrame::Commit)
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"playback","item_id":"i","played_ms":320}"#),
            Ok(ClientFrame::Playback {
                item_id: "i".into(),
                played_ms: 320
            })
        );
        assert_eq!(
            ClientFrame::parse(
                r#"{"type":"approval_answer","id":"a","decision":"allow_for_session"}"#
            ),
            Ok(ClientFrame::ApprovalAnswer {
                id: "a".into(),
                decision: ApprovalDecision::AllowForSession
            })
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"ping","id":7}"#),
            Ok(ClientFrame::Ping { id: Some(json!(7)) })
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"invite"}"#),
            Ok(ClientFrame::Invite)
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"mode","mode":"push_to_talk"}"#),
            Ok(ClientFrame::Mode {
                mode: TalkMode::PushToTalk
            })
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"barge_in","item_id":"i","played_ms":75}"#),
            Ok(ClientFrame::BargeIn {
                item_id: Some("i".into()),
                played_ms: Some(75)
            })
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"barge_in"}"#),
            Ok(ClientFrame::BargeIn {
                item_id: None,
                played_ms: None
            })
        );
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        let e = ClientFrame::parse("{not json").unwrap_err();
        assert!(e.contains("one JSON object"), "{e}");
        let e = ClientFrame::parse(r#"{"text":"hi"}"#).unwrap_err();
        assert!(e.contains("needs a string `type`"), "{e}");
        let e = ClientFrame::parse(r#"{"type":"dance"}"#).unwrap_err();
        assert!(
            e.contains("unknown frame type `dance`") && e.contains("playback"),
            "{e}"
        );
        let e = ClientFrame::parse(r#"{"type":"playback","item_id":"i"}"#).unwrap_err();
        assert!(
            e.contains("bad `playback` frame") && e.contains("played_ms"),
            "{e}"
        );
        let e = ClientFrame::parse(r#"{"type":"approval_answer","id":"a","decision":"maybe"}"#)
            .unwrap_err();
        assert!(e.contains("bad `approval_answer` frame"), "{e}");
        let e = ClientFrame::parse(r#"{"type":"mode","mode":"walkie"}"#).unwrap_err();
        assert!(
            e.contains("bad `mode` frame") && e.contains("push_to_talk"),
            "{e}"
        );
    }
}
