//! The assistant's output as the user hears it: which audio item is playing and how much of it
//! arrived or was played, the text of items still being spoken, time to first audio, and
//! barge-in (cutting the item at what the user heard when they talk over it).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use relay_core::voice::{AudioFormat, TurnDetection, VoiceEvent, VoiceSessionConfig};
use tokio::time::Instant;

use super::barge_in::{Cut, decide, heard_text, position_now};
use super::connection::Connection;
use super::replay::{Entry, Transcript};
use super::shared::Reporter;
use crate::protocol::ClientEvent;

/// The assistant audio item being played.
#[derive(Debug)]
struct Playing {
    item_id: String,
    response_id: String,
    /// Audio bytes received so far.
    bytes: usize,
    /// When its first chunk arrived (the wall-clock playback estimate starts here).
    first_at: Instant,
    /// What the application said it played, in ms.
    reported_ms: Option<u64>,
    /// When that report arrived (the position is extrapolated from it at a barge-in).
    reported_at: Instant,
    /// How many reports arrived: more than one means the application reports while it plays.
    reports: u32,
    /// All of its audio arrived.
    complete: bool,
    /// It belongs to an out-of-band status response (not in the conversation).
    status: bool,
}

/// Whether the service cancels the response itself when its detection hears the user start.
fn service_interrupts(detection: &Option<TurnDetection>) -> bool {
    match detection {
        Some(TurnDetection::ServerVad {
            interrupt_response, ..
        })
        | Some(TurnDetection::SemanticVad {
            interrupt_response, ..
        }) => *interrupt_response,
        None => false,
    }
}

/// What the user has heard of the assistant.
pub(super) struct Playback {
    reporter: Reporter,
    /// Converts received bytes to ms of audio.
    output_format: AudioFormat,
    /// The service cancels the response itself when speech starts, so Relay must not.
    server_interrupts: bool,
    playing: Option<Playing>,
    /// Text of assistant items whose transcript is not done yet, for cutting them mid-sentence.
    partial_text: HashMap<String, String>,
    /// When the time to first audio started counting (end of the user's turn or a request).
    ttfa_from: Option<Instant>,
}

impl Playback {
    /// Nothing played yet.
    pub(super) fn new(reporter: Reporter, session_cfg: &VoiceSessionConfig) -> Self {
        Playback {
            reporter,
            output_format: session_cfg.output_format,
            server_interrupts: service_interrupts(&session_cfg.turn_detection),
            playing: None,
            partial_text: HashMap::new(),
            ttfa_from: None,
        }
    }

    /// Turn detection changed (see [`SessionCommand::TurnDetection`]).
    ///
    /// [`SessionCommand::TurnDetection`]: relay_core::voice::SessionCommand::TurnDetection
    pub(super) fn turn_detection_changed(&mut self, detection: &Option<TurnDetection>) {
        self.server_interrupts = service_interrupts(detection);
    }

    /// Whether an audio item is being played (its audio arriving or still queued at the
    /// application).
    pub(super) fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    /// The user's turn ended: time to first audio counts from now.
    pub(super) fn turn_ended(&mut self) {
        self.ttfa_from = Some(Instant::now());
    }

    /// A response was requested: time to first audio counts from now unless a turn end already
    /// started it.
    pub(super) fn response_requested(&mut self) {
        if self.ttfa_from.is_none() {
            self.ttfa_from = Some(Instant::now());
        }
    }

    /// Whether no audio is on its way: nothing plays, or all of the playing item arrived.
    pub(super) fn audio_received(&self) -> bool {
        self.playing.as_ref().is_none_or(|p| p.complete)
    }

    /// The connection was replaced on purpose between responses: the old items are gone.
    pub(super) fn forget(&mut self) {
        self.playing = None;
        self.partial_text.clear();
    }

    /// The connection dropped: the audio of the playing item will not continue. The transcript
    /// keeps that reply as far as the user heard it, so the replay into the next connection
    /// holds what they heard and nothing they did not: up to the playback position the
    /// application reported, else all audio that arrived (the application keeps playing what
    /// it holds; a dropped socket does not stop it), as the same share of its text.
    pub(super) fn connection_lost(&mut self, transcript: &mut Transcript) {
        let partial = std::mem::take(&mut self.partial_text);
        let Some(p) = self.playing.take() else {
            return;
        };
        // Status lines are out of band: never part of the conversation.
        if p.status {
            return;
        }
        let received_ms = self.output_format.duration_ms(p.bytes);
        let heard_ms = p.reported_ms.unwrap_or(received_ms).min(received_ms);
        match transcript.assistant_text(&p.item_id).map(str::to_string) {
            // The whole transcript arrived: keep the heard share of it.
            Some(full) => {
                let heard = heard_text(&full, heard_ms, received_ms);
                transcript.cut_assistant(&p.item_id, heard);
            }
            // Cut mid-reply: the transcript so far goes with the audio so far.
            None => {
                let so_far = partial.get(&p.item_id).cloned().unwrap_or_default();
                let heard = heard_text(so_far.trim(), heard_ms, received_ms);
                if !heard.is_empty() {
                    transcript.push(Entry::Assistant(p.item_id.clone(), heard));
                }
            }
        }
    }

    /// The application reports it played `played_ms` of `item_id`.
    pub(super) fn played(&mut self, item_id: &str, played_ms: u64) {
        if let Some(p) = self.playing.as_mut().filter(|p| p.item_id == item_id) {
            p.reported_ms = Some(played_ms);
            p.reported_at = Instant::now();
            p.reports += 1;
        }
    }

    /// More transcript or text of assistant item `item_id`.
    pub(super) fn text_delta(&mut self, item_id: String, delta: String) {
        self.partial_text
            .entry(item_id.clone())
            .or_default()
            .push_str(&delta);
        self.reporter
            .emit(VoiceEvent::AssistantTextDelta { item_id, delta });
    }

    /// The full text of `item_id` arrived; the partial copy is no longer needed.
    pub(super) fn text_done(&mut self, item_id: &str) {
        self.partial_text.remove(item_id);
    }

    /// A chunk of assistant audio (base64 `delta`) of `item_id`; `status` marks an out-of-band
    /// status response.
    pub(super) fn audio_delta(
        &mut self,
        item_id: String,
        response_id: String,
        delta: &str,
        status: bool,
    ) {
        let Ok(audio) = STANDARD.decode(delta.as_bytes()) else {
            self.reporter.emit(VoiceEvent::Error {
                code: "malformed_server_event".into(),
                message: "response.output_audio.delta carried invalid base64".into(),
            });
            return;
        };
        if let Some(from) = self.ttfa_from.take() {
            let ms = from.elapsed().as_millis() as u64;
            self.reporter
                .metrics(|m| m.last_time_to_first_audio_ms = Some(ms));
        }
        match self.playing.as_mut().filter(|p| p.item_id == item_id) {
            Some(p) => p.bytes += audio.len(),
            None => {
                self.playing = Some(Playing {
                    item_id: item_id.clone(),
                    response_id,
                    bytes: audio.len(),
                    first_at: Instant::now(),
                    reported_ms: None,
                    reported_at: Instant::now(),
                    reports: 0,
                    complete: false,
                    status,
                });
            }
        }
        let n = audio.len() as u64;
        self.reporter.metrics(|m| m.audio_bytes_out += n);
        self.reporter
            .emit(VoiceEvent::AssistantAudio { item_id, audio });
    }

    /// All audio of `item_id` arrived.
    pub(super) fn audio_done(&mut self, item_id: &str) {
        if let Some(p) = self.playing.as_mut().filter(|p| p.item_id == item_id) {
            p.complete = true;
        }
    }

    /// The user started speaking over the assistant: cut the playing item at what was heard.
    ///
    /// `running_response` is the response still generating, cancelled here if it produced the
    /// item (unless the service does that itself: its own voice activity detection noticed the
    /// speech, `by_service`). The transcript keeps only the heard text, so a replay matches what
    /// the user heard; the service's copy is truncated or deleted alike. The position is the
    /// application's latest report, carried forward to now when the service detected the
    /// speech and the application reports periodically (see [`position_now`]).
    pub(super) async fn barge_in(
        &mut self,
        running_response: Option<&str>,
        by_service: bool,
        connection: &mut Connection,
        transcript: &mut Transcript,
    ) {
        let Some(p) = self.playing.take() else { return };
        let received_ms = self.output_format.duration_ms(p.bytes);
        let elapsed_ms = p.first_at.elapsed().as_millis() as u64;
        // The service heard the speech before the application knew of it: carry the latest
        // report forward when the application reports as it plays (more than one report). A
        // single report is a position the application gave on purpose, and an application's
        // own interrupt comes right after its final report: both are exact as they are.
        let reported = p.reported_ms.map(|ms| {
            if by_service && p.reports > 1 {
                position_now(ms, p.reported_at.elapsed().as_millis() as u64)
            } else {
                ms
            }
        });
        let cut = decide(received_ms, reported, elapsed_ms, p.complete);
        if cut == Cut::Keep {
            return;
        }
        let response_running = running_response == Some(p.response_id.as_str());
        if response_running && !(by_service && self.server_interrupts) {
            connection
                .send(ClientEvent::ResponseCancel { response_id: None })
                .await;
        }
        let end_ms = match cut {
            Cut::Truncate(ms) => ms,
            _ => 0,
        };
        // Status lines are out of band: nothing to fix in the conversation.
        if !p.status {
            let full = transcript
                .assistant_text(&p.item_id)
                .map(str::to_string)
                .or_else(|| self.partial_text.remove(&p.item_id))
                .unwrap_or_default();
            let heard = heard_text(&full, end_ms, received_ms);
            if transcript.assistant_text(&p.item_id).is_some() {
                transcript.cut_assistant(&p.item_id, heard);
            } else if !heard.is_empty() {
                transcript.push(Entry::Assistant(p.item_id.clone(), heard));
            }
            match cut {
                Cut::Delete => {
                    connection
                        .send(ClientEvent::ConversationItemDelete {
                            item_id: p.item_id.clone(),
                        })
                        .await;
                }
                _ => {
                    connection
                        .send(ClientEvent::ConversationItemTruncate {
                            item_id: p.item_id.clone(),
                            content_index: 0,
                            audio_end_ms: end_ms,
                        })
                        .await;
                }
            }
        }
        self.reporter.emit(VoiceEvent::Interrupted {
            item_id: p.item_id,
            audio_end_ms: end_ms,
        });
    }
}
