//! The session object: its initial GA shape and `session.update`, which refuses what the
//! service refuses (see `validate`), then deep-merges the patch.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::super::Shared;
use super::conn::{Conn, Ws, client_event_id};
use super::validate;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Deep-merges `patch` into `base`: objects key by key, anything else replaced.
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// The session a new connection starts with (sent in `session.created`): PCM16 at 24 kHz both
/// ways, server VAD, no transcription.
pub(super) fn initial(shared: &Shared, model: String) -> Value {
    json!({
        "type": "realtime", "object": "realtime.session", "id": shared.next_id("sess"),
        "model": model, "output_modalities": ["audio"], "instructions": "",
        "tools": [], "tool_choice": "auto", "max_output_tokens": "inf", "tracing": null,
        "truncation": "auto", "prompt": null, "expires_at": unix_now() + 3600, "include": null,
        "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": null,
                      "noise_reduction": null,
                      "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                                         "silence_duration_ms": 200, "idle_timeout_ms": null,
                                         "create_response": true, "interrupt_response": true}},
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0}
        }
    })
}

impl Conn {
    /// `session.update`: validates the patch, merges it and answers `session.updated`.
    pub(super) async fn session_update(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let eid = client_event_id(event);
        let Some(patch) = event.get("session").and_then(Value::as_object) else {
            return self
                .error_for(
                    ws,
                    "invalid_request_error",
                    "missing_required_parameter",
                    "Missing required parameter: 'session'.",
                    eid,
                )
                .await;
        };
        if let Err(rejection) = validate::session_patch(patch) {
            return self.reject(ws, rejection, eid).await;
        }
        merge(&mut self.session, &Value::Object(patch.clone()));
        let session = self.session.clone();
        self.send(ws, json!({"type": "session.updated", "session": session}))
            .await
    }
}
