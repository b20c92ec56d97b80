//! The input audio buffer: `input_audio_buffer.append` (decoding PCM16 or G.711 and running
//! server or semantic VAD, which interrupts and starts responses), `.commit` (which turns the
//! buffer into a user item, transcribed when the session asks for it) and `.clear`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::super::vad::{VadEvent, alaw_level, mulaw_level};
use super::conn::{Conn, ConvItem, Flow, Ws, client_event_id};

impl Conn {
    fn input_format(&self) -> String {
        self.session["audio"]["input"]["format"]["type"]
            .as_str()
            .unwrap_or("audio/pcm")
            .to_string()
    }

    /// `input_audio_buffer.append`: buffers the audio and feeds it to VAD when turn detection
    /// is on.
    pub(super) async fn append(&mut self, ws: &mut Ws, event: &Value) -> Result<Flow, ()> {
        let eid = client_event_id(event);
        let Some(bytes) = event["audio"]
            .as_str()
            .and_then(|a| STANDARD.decode(a).ok())
        else {
            self.error_for(
                ws,
                "invalid_request_error",
                "invalid_value",
                "Invalid 'audio'. Expected base64-encoded audio bytes.",
                eid,
            )
            .await?;
            return Ok(Flow::Continue);
        };
        let samples: Vec<i16> = match self.input_format().as_str() {
            "audio/pcmu" => bytes.iter().flat_map(|&b| [mulaw_level(b); 3]).collect(),
            "audio/pcma" => bytes.iter().flat_map(|&b| [alaw_level(b); 3]).collect(),
            _ => bytes
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect(),
        };
        self.buffer_ms += samples.len() as u64 / 24;
        let td = self.session["audio"]["input"]["turn_detection"].clone();
        if td.is_null() {
            self.vad.position_ms += samples.len() as u64 / 24;
            return Ok(Flow::Continue);
        }
        let silence = match (td["type"].as_str(), td["eagerness"].as_str()) {
            (Some("semantic_vad"), Some("high")) => 250,
            (Some("semantic_vad"), Some("low")) => 1000,
            (Some("semantic_vad"), _) => 500,
            _ => td["silence_duration_ms"].as_u64().unwrap_or(500),
        };
        let padding = td["prefix_padding_ms"].as_u64().unwrap_or(300);
        let threshold = self.shared.scenario.vad_energy;
        for ev in self.vad.feed(&samples, threshold, padding, silence) {
            match ev {
                VadEvent::Started(ms) => {
                    let id = self.shared.next_id("item");
                    self.pending_user_item = Some(id.clone());
                    self.send(ws, json!({"type": "input_audio_buffer.speech_started", "audio_start_ms": ms, "item_id": id})).await?;
                    if td["interrupt_response"].as_bool().unwrap_or(true) && self.active.is_some() {
                        self.cancel(ws, "turn_detected").await?;
                    }
                }
                VadEvent::Stopped(ms) => {
                    let id = self
                        .pending_user_item
                        .take()
                        .unwrap_or_else(|| self.shared.next_id("item"));
                    self.send(ws, json!({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": ms, "item_id": id})).await?;
                    self.commit(ws, id).await?;
                    if td["create_response"].as_bool().unwrap_or(true) && self.active.is_none() {
                        let flow = self.start_from_turns(ws, &json!({}), true).await?;
                        if let Flow::Drop = flow {
                            return Ok(Flow::Drop);
                        }
                    }
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// `input_audio_buffer.commit`: refuses less than 100 ms of audio, else commits.
    pub(super) async fn commit_request(&mut self, ws: &mut Ws, event: &Value) -> Result<(), ()> {
        if self.buffer_ms < 100 {
            let msg = format!(
                "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has {}.00ms of audio.",
                self.buffer_ms
            );
            self.error_for(
                ws,
                "invalid_request_error",
                "input_audio_buffer_commit_empty",
                &msg,
                client_event_id(event),
            )
            .await
        } else {
            let id = self.shared.next_id("item");
            self.commit(ws, id).await
        }
    }

    /// `input_audio_buffer.clear`: drops the buffered audio.
    pub(super) async fn clear_input(&mut self, ws: &mut Ws) -> Result<(), ()> {
        self.buffer_ms = 0;
        self.send(ws, json!({"type": "input_audio_buffer.cleared"}))
            .await
    }

    /// Turns the buffered audio into user item `item_id`, with a scripted transcript when
    /// transcription is on.
    async fn commit(&mut self, ws: &mut Ws, item_id: String) -> Result<(), ()> {
        let duration_ms = self.buffer_ms;
        self.buffer_ms = 0;
        let previous = self.last_item_id();
        self.send(ws, json!({"type": "input_audio_buffer.committed", "previous_item_id": previous, "item_id": item_id})).await?;
        let mut item = json!({"id": item_id, "object": "realtime.item", "type": "message", "status": "completed",
                              "role": "user", "content": [{"type": "input_audio", "transcript": null}]});
        self.send_item_added(ws, &previous, &item).await?;
        if !self.session["audio"]["input"]["transcription"].is_null() {
            let transcript = self
                .shared
                .transcripts
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or_else(|| format!("({duration_ms} ms of speech)"));
            item["content"][0]["transcript"] = Value::from(transcript.clone());
            self.send(ws, json!({"type": "conversation.item.input_audio_transcription.delta", "item_id": item_id,
                                 "content_index": 0, "delta": transcript})).await?;
            self.send(ws, json!({"type": "conversation.item.input_audio_transcription.completed", "item_id": item_id,
                                 "content_index": 0, "transcript": transcript,
                                 "usage": {"type": "duration", "seconds": duration_ms as f64 / 1000.0}})).await?;
        }
        self.items.push(ConvItem {
            item,
            audio_ms: duration_ms,
        });
        Ok(())
    }
}
