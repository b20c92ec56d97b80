//! Streaming a response: building its event queue, pacing it out (adding output items to the
//! conversation as they start), finishing with `response.done` and rate limits, and
//! cancelling it (by the client or by detected speech), keeping only the audio already sent.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::super::response::{self, Content, Format};
use super::conn::{Active, Conn, ConvItem, CutPoint, Ws, client_event_id};

impl Conn {
    /// Makes `content` the active response and sends its first events: up to the first paced
    /// one when `pump`, else only `response.created`.
    pub(super) async fn start(
        &mut self,
        ws: &mut Ws,
        content: Content,
        opts: &Value,
        pump: bool,
        cut: Option<CutPoint>,
    ) -> Result<(), ()> {
        let modalities = opts
            .get("output_modalities")
            .unwrap_or(&self.session["output_modalities"]);
        let fmt = Format {
            audio: modalities
                .as_array()
                .is_some_and(|m| m.iter().any(|x| x == "audio")),
            format: self.session["audio"]["output"]["format"]["type"]
                .as_str()
                .unwrap_or("audio/pcm")
                .to_string(),
            chunk_ms: self.shared.scenario.audio_chunk_ms,
            interval_ms: self.shared.scenario.chunk_interval_ms,
        };
        let in_conversation = opts["conversation"].as_str() != Some("none");
        let id = self.shared.next_id("resp");
        let metadata = opts.get("metadata").cloned().unwrap_or(Value::Null);
        let (queue, response) =
            response::build(&self.shared, &id, content, &fmt, metadata, in_conversation);
        self.requests += 1;
        self.active = Some(Active {
            id,
            queue,
            response,
            next_at: Instant::now(),
            audio_sent: HashMap::new(),
            started_items: Vec::new(),
            cut,
            held: false,
        });
        if pump {
            // Send everything up to the first paced event right away.
            self.pump(ws).await
        } else {
            // Only announce the response; the rest follows from the connection loop.
            self.pump_one(ws).await
        }
    }

    /// Sends queued events of the active response until the next paced one, finishing the
    /// response when the queue is empty.
    pub(super) async fn pump(&mut self, ws: &mut Ws) -> Result<(), ()> {
        loop {
            let Some(active) = self.active.as_mut() else {
                return Ok(());
            };
            let Some(out) = active.queue.pop_front() else {
                let response = active.response.clone();
                let mut cut = active.cut.take();
                self.active = None;
                self.finish(ws, response).await?;
                // A cut after `response.done` leaves the response's tool calls running.
                return match cut.as_mut().is_some_and(|c| c.reached("response.done")) {
                    true => Err(()),
                    false => Ok(()),
                };
            };
            if let Some((item, audio_ms)) = out.add_item {
                active.started_items.push(item.clone());
                self.items.push(ConvItem { item, audio_ms });
            }
            let active = self.active.as_mut().expect("active");
            let is_audio = out.audio.is_some();
            if let Some((item_id, ms)) = out.audio {
                *active.audio_sent.entry(item_id).or_default() += ms;
            }
            let next_delay = active.queue.front().map(|o| o.delay_ms).unwrap_or(0);
            let kind = out.event["type"].as_str().unwrap_or("").to_string();
            self.send(ws, out.event).await?;
            if self.cut_reached(&kind)? {
                return Ok(());
            }
            if is_audio {
                let now = std::time::Instant::now();
                self.shared
                    .with_log(self.idx, |l| l.audio_sent_times.push(now));
            }
            if next_delay > 0 {
                let active = self.active.as_mut().expect("active");
                active.next_at = Instant::now() + Duration::from_millis(next_delay);
                return Ok(());
            }
        }
    }

    /// Sends only the next queued event of the active response.
    async fn pump_one(&mut self, ws: &mut Ws) -> Result<(), ()> {
        let Some(active) = self.active.as_mut() else {
            return Ok(());
        };
        if let Some(out) = active.queue.pop_front() {
            let kind = out.event["type"].as_str().unwrap_or("").to_string();
            self.send(ws, out.event).await?;
            self.cut_reached(&kind)?;
        }
        Ok(())
    }

    /// Counts a sent event of type `kind` against the active response's cut point: `Err` drops
    /// the socket, `Ok(true)` means the response is now held.
    fn cut_reached(&mut self, kind: &str) -> Result<bool, ()> {
        let Some(active) = self.active.as_mut() else {
            return Ok(false);
        };
        let Some(cut) = active.cut.as_mut() else {
            return Ok(false);
        };
        if !cut.reached(kind) {
            return Ok(false);
        }
        if !cut.hold {
            return Err(());
        }
        active.held = true;
        Ok(true)
    }

    /// Sends `response.done` and the updated rate limits.
    async fn finish(&mut self, ws: &mut Ws, response: Value) -> Result<(), ()> {
        self.send(ws, json!({"type": "response.done", "response": response}))
            .await?;
        let remaining = 1000u64.saturating_sub(self.requests);
        self.send(ws, json!({"type": "rate_limits.updated", "rate_limits": [
            {"name": "requests", "limit": 1000, "remaining": remaining, "reset_seconds": 60.0},
            {"name": "tokens", "limit": 40000, "remaining": 40000u64.saturating_sub(self.requests * 150), "reset_seconds": 0.5}
        ]})).await
    }

    /// `response.cancel`: cancels the active response, or errors when there is none.
    pub(super) async fn cancel_request(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        if self.active.is_some() {
            self.cancel(ws, "client_cancelled").await
        } else {
            self.error_for(
                ws,
                "invalid_request_error",
                "response_cancel_not_active",
                "Cancellation failed: no active response found.",
                client_event_id(event),
            )
            .await
        }
    }

    /// Ends the active response as `cancelled` with `reason`; its started items become
    /// `incomplete` and keep only the audio sent.
    pub(super) async fn cancel(&mut self, ws: &mut Ws, reason: &str) -> Result<(), ()> {
        let Some(active) = self.active.take() else {
            return Ok(());
        };
        let mut outputs = Vec::new();
        for mut item in active.started_items {
            let id = item["id"].as_str().unwrap_or("").to_string();
            if let Some(sent) = active.audio_sent.get(&id)
                && let Some(entry) = self.items.iter_mut().find(|i| i.item["id"] == id.as_str())
            {
                // Only the audio actually generated before the cancel exists server-side.
                entry.audio_ms = *sent;
                entry.item["status"] = Value::from("incomplete");
            }
            item["status"] = Value::from("incomplete");
            self.send(
                ws,
                json!({"type": "response.output_item.done", "response_id": active.id,
                                 "output_index": outputs.len(), "item": item}),
            )
            .await?;
            outputs.push(item);
        }
        let mut response = active.response;
        response["status"] = Value::from("cancelled");
        response["status_details"] = json!({"type": "cancelled", "reason": reason});
        response["output"] = Value::from(outputs);
        self.send(ws, json!({"type": "response.done", "response": response}))
            .await
    }
}
