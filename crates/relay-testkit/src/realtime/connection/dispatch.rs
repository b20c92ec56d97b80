//! Routes each client text frame: parses and records it, hands it to the handler for its
//! `type`, answers unsupported or unknown types with the service's errors, and saves the
//! conversation to the log afterwards.

use serde_json::Value;

use super::conn::{Conn, Flow, Ws, client_event_id};

/// Client event types the GA service knows (listed in its "unknown type" error).
const CLIENT_EVENTS: &[&str] = &[
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.retrieve",
    "conversation.item.truncate",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
];

impl Conn {
    /// Handles one client text frame.
    pub(super) async fn handle(&mut self, ws: &mut Ws, text: &str) -> Result<Flow, ()> {
        let Ok(event) = serde_json::from_str::<Value>(text) else {
            self.error(
                ws,
                "invalid_request_error",
                "invalid_json",
                "We could not parse the JSON body of your request. Send valid JSON events.",
            )
            .await?;
            return Ok(Flow::Continue);
        };
        self.record(&event);
        let kind = event["type"].as_str().unwrap_or("").to_string();
        match kind.as_str() {
            "session.update" => self.session_update(ws, &event).await?,
            "input_audio_buffer.append" => return self.append(ws, &event).await,
            "input_audio_buffer.commit" => self.commit_request(ws, &event).await?,
            "input_audio_buffer.clear" => self.clear_input(ws).await?,
            "conversation.item.create" => self.item_create(ws, &event).await?,
            "conversation.item.retrieve" => self.item_retrieve(ws, &event).await?,
            "conversation.item.truncate" => self.truncate(ws, &event).await?,
            "conversation.item.delete" => self.item_delete(ws, &event).await?,
            "response.create" => return self.response_create(ws, &event).await,
            "response.cancel" => self.cancel_request(ws, &event).await?,
            "output_audio_buffer.clear" => {
                self.error_for(
                    ws,
                    "invalid_request_error",
                    "invalid_value",
                    "output_audio_buffer.clear is only supported for WebRTC and SIP connections.",
                    client_event_id(&event),
                )
                .await?;
            }
            other => {
                let msg = format!(
                    "Invalid value: '{other}'. Supported values are: {}.",
                    CLIENT_EVENTS.join(", ")
                );
                self.error_for(
                    ws,
                    "invalid_request_error",
                    "invalid_value",
                    &msg,
                    client_event_id(&event),
                )
                .await?;
            }
        }
        self.save_conversation();
        Ok(Flow::Continue)
    }
}
