//! Conversation items: `conversation.item.create` (with the service's role, content-type and
//! call-id checks), `.retrieve`, `.truncate` (assistant audio only, within its length) and
//! `.delete`.

use serde_json::{Value, json};

use super::conn::{Conn, ConvItem, Rejection, Ws, client_event_id};

impl Conn {
    /// Sends the `item_not_found` error for item `id`.
    async fn item_not_found(
        &mut self,
        ws: &mut Ws,
        id: &str,
        eid: Option<Value>,
    ) -> Result<(), ()> {
        let msg = format!("Item with item_id not found: {id}");
        self.error_for(ws, "invalid_request_error", "item_not_found", &msg, eid)
            .await
    }

    /// `conversation.item.create`: validates the item, gives it an id if it has none and
    /// appends it.
    pub(super) async fn item_create(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let eid = client_event_id(event);
        let mut item = event["item"].clone();
        let problem = match item["type"].as_str() {
            Some("message") => {
                let role = item["role"].as_str().unwrap_or("");
                let allowed: &[&str] = match role {
                    "user" => &["input_text", "input_audio", "input_image"],
                    "assistant" => &["output_text", "output_audio"],
                    "system" => &["input_text"],
                    _ => &[],
                };
                if allowed.is_empty() {
                    Some(format!(
                        "Invalid value: '{role}'. Supported values are: 'user', 'assistant', and 'system'."
                    ))
                } else {
                    item["content"].as_array().into_iter().flatten().find_map(|c| {
                        let t = c["type"].as_str().unwrap_or("");
                        (!allowed.contains(&t)).then(|| format!("Invalid value: '{t}'. Supported values for a {role} message are: {}.", allowed.join(", ")))
                    })
                }
            }
            Some("function_call") => None,
            Some("function_call_output") => {
                let call_id = item["call_id"].as_str().unwrap_or("");
                let known = self
                    .items
                    .iter()
                    .any(|i| i.item["type"] == "function_call" && i.item["call_id"] == call_id);
                if !known {
                    let rejection = Rejection::invalid(
                        "item.call_id",
                        format!("Tool call ID '{call_id}' not found in conversation."),
                    );
                    return self.reject(ws, rejection, eid).await;
                }
                None
            }
            other => Some(format!(
                "Invalid value: '{}'. Supported values are: 'message', 'function_call', and 'function_call_output'.",
                other.unwrap_or("")
            )),
        };
        if let Some(msg) = problem {
            return self
                .error_for(ws, "invalid_request_error", "invalid_value", &msg, eid)
                .await;
        }
        if item.get("id").and_then(Value::as_str).is_none() {
            item["id"] = Value::from(self.shared.next_id("item"));
        }
        if self.items.iter().any(|i| i.item["id"] == item["id"]) {
            let msg = format!(
                "Item with id '{}' already exists.",
                item["id"].as_str().unwrap_or("")
            );
            return self
                .error_for(
                    ws,
                    "invalid_request_error",
                    "item_already_exists",
                    &msg,
                    eid,
                )
                .await;
        }
        item["object"] = Value::from("realtime.item");
        item["status"] = Value::from("completed");
        let previous = self.last_item_id();
        self.items.push(ConvItem {
            item: item.clone(),
            audio_ms: 0,
        });
        self.send_item_added(ws, &previous, &item).await
    }

    /// `conversation.item.retrieve`: answers with the item.
    pub(super) async fn item_retrieve(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let id = event["item_id"].as_str().unwrap_or("");
        match self.items.iter().find(|i| i.item["id"] == id) {
            Some(i) => {
                let item = i.item.clone();
                self.send(
                    ws,
                    json!({"type": "conversation.item.retrieved", "item": item}),
                )
                .await
            }
            None => self.item_not_found(ws, id, client_event_id(event)).await,
        }
    }

    /// `conversation.item.truncate`: cuts an assistant item's audio (and drops its transcript).
    pub(super) async fn truncate(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let eid = client_event_id(event);
        let id = event["item_id"].as_str().unwrap_or("").to_string();
        let end = match event.get("audio_end_ms") {
            None | Some(Value::Null) => {
                return self
                    .reject(ws, Rejection::missing("audio_end_ms"), eid)
                    .await;
            }
            Some(v) => match v.as_u64() {
                Some(end) => end,
                None => {
                    let msg = format!(
                        "Invalid value: {v}. 'audio_end_ms' must be a non-negative integer."
                    );
                    return self
                        .reject(ws, Rejection::invalid("audio_end_ms", msg), eid)
                        .await;
                }
            },
        };
        let Some(pos) = self.items.iter().position(|i| i.item["id"] == id.as_str()) else {
            return self.item_not_found(ws, &id, eid).await;
        };
        if self.items[pos].item["role"] != "assistant" {
            return self
                .error_for(
                    ws,
                    "invalid_request_error",
                    "invalid_value",
                    "Only assistant messages with audio can be truncated.",
                    eid,
                )
                .await;
        }
        // An item still being streamed holds only the audio sent so far.
        let sent = self
            .active
            .as_ref()
            .and_then(|a| a.audio_sent.get(&id).copied());
        let have = sent.map_or(self.items[pos].audio_ms, |s| {
            s.min(self.items[pos].audio_ms)
        });
        if end > have {
            let msg = format!("Audio content of {have}ms is already shorter than {end}ms");
            return self
                .reject(ws, Rejection::invalid("audio_end_ms", msg), eid)
                .await;
        }
        let entry = &mut self.items[pos];
        entry.audio_ms = end;
        // The service drops the transcript of truncated audio so the model cannot "remember"
        // words the user never heard.
        if let Some(part) = entry.item["content"].get_mut(0) {
            part["transcript"] = Value::from("");
        }
        self.shared
            .with_log(self.idx, |l| l.truncations.push((id.clone(), end)));
        self.send(ws, json!({"type": "conversation.item.truncated", "item_id": id, "content_index": 0, "audio_end_ms": end})).await
    }

    /// `conversation.item.delete`: removes the item.
    pub(super) async fn item_delete(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        let id = event["item_id"].as_str().unwrap_or("").to_string();
        match self.items.iter().position(|i| i.item["id"] == id.as_str()) {
            Some(pos) => {
                self.items.remove(pos);
                self.shared
                    .with_log(self.idx, |l| l.deletions.push(id.clone()));
                self.send(
                    ws,
                    json!({"type": "conversation.item.deleted", "item_id": id}),
                )
                .await
            }
            None => self.item_not_found(ws, &id, client_event_id(event)).await,
        }
    }
}
