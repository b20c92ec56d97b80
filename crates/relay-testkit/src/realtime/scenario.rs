//! What the fake Realtime server says, scripted per test.

use serde::{Deserialize, Serialize};

/// One tool call the fake model makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptedCall {
    /// Tool name.
    pub name: String,
    /// Arguments as JSON text (may be deliberately invalid).
    pub arguments: String,
}

/// The next thing the fake model does when a response starts (or, for `raw`, right away).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Turn {
    /// Reply with speech: `audio_ms` of audio with `text` as its transcript (text only when the
    /// session's output modality is text).
    Say {
        /// Transcript.
        text: String,
        /// Audio length, ms.
        audio_ms: u32,
    },
    /// Call one or more tools in a single response.
    Call {
        /// The calls, in order.
        calls: Vec<ScriptedCall>,
    },
    /// Send this frame as-is (e.g. malformed JSON), then go on with the next turn.
    Raw {
        /// The frame text.
        frame: String,
    },
    /// Drop the connection abruptly (no close frame) instead of responding.
    Disconnect,
    /// Respond with `turn` (a `say` or a `call`), but cut the connection partway through: once
    /// `count` server events of type `after` of this response were sent (e.g. `count: 3` of
    /// `response.output_audio.delta` is mid-audio, `1` of
    /// `response.function_call_arguments.delta` is mid-arguments, `1` of `response.done` leaves
    /// the model's tool calls running), the socket is dropped without a close frame. With
    /// `hold`, the response stops there instead and the socket stays open until the test calls
    /// [`FakeRealtime::disconnect_all`](super::FakeRealtime::disconnect_all), so the test can act
    /// at a known point (e.g. report playback) before the drop.
    DisconnectDuring {
        /// What the response was going to be.
        turn: Box<Turn>,
        /// The server event type to count.
        after: String,
        /// How many of them go out before the cut.
        count: u32,
        /// Stop sending and wait for the test to drop the socket.
        #[serde(default)]
        hold: bool,
    },
    /// Start a server-initiated response from the next turn at the moment the client's
    /// `response.create` arrives, so the client's create hits an active response (the race
    /// between server VAD and a client request).
    RaceNextCreate,
}

impl Turn {
    /// A spoken reply (see [`Turn::Say`]).
    pub fn say(text: impl Into<String>, audio_ms: u32) -> Turn {
        Turn::Say {
            text: text.into(),
            audio_ms,
        }
    }

    /// A response with tool calls `(name, arguments)` (see [`Turn::Call`]).
    pub fn call(calls: &[(&str, &str)]) -> Turn {
        Turn::Call {
            calls: calls
                .iter()
                .map(|(n, a)| ScriptedCall {
                    name: n.to_string(),
                    arguments: a.to_string(),
                })
                .collect(),
        }
    }
}

/// How the fake server behaves for a whole test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    /// Turns consumed in order; when empty the model echoes the user ("You said: ...") or the
    /// tool outputs ("Results: ...").
    pub turns: Vec<Turn>,
    /// What the user "said" in each committed audio turn, in order (for transcription).
    pub transcripts: Vec<String>,
    /// Audio per `response.output_audio.delta`, ms.
    pub audio_chunk_ms: u32,
    /// Wall time between audio deltas, ms (0 = as fast as possible; `audio_chunk_ms` = real time).
    pub chunk_interval_ms: u64,
    /// RMS level (0–1) above which input audio counts as speech.
    pub vad_energy: f32,
    /// Close the session with `session_expired` after this long, ms.
    pub session_max_ms: Option<u64>,
    /// When set, the handshake requires `Authorization: Bearer <api_key>`.
    pub api_key: Option<String>,
    /// Keep full audio payloads in the recorded client events (off: replaced by byte counts).
    pub record_audio: bool,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            turns: Vec::new(),
            transcripts: Vec::new(),
            audio_chunk_ms: 100,
            chunk_interval_ms: 0,
            vad_energy: 0.02,
            session_max_ms: None,
            api_key: None,
            record_audio: false,
        }
    }
}

impl Scenario {
    /// An empty scenario (echo replies).
    pub fn new() -> Self {
        Scenario::default()
    }
    /// Adds a spoken reply.
    pub fn say(mut self, text: impl Into<String>, audio_ms: u32) -> Self {
        self.turns.push(Turn::say(text, audio_ms));
        self
    }
    /// Adds a response with tool calls `(name, arguments)`.
    pub fn call(mut self, calls: &[(&str, &str)]) -> Self {
        self.turns.push(Turn::call(calls));
        self
    }
    /// Adds `turn` cut off after `count` events of type `after` (see [`Turn::DisconnectDuring`]).
    pub fn disconnect_during(mut self, turn: Turn, after: &str, count: u32, hold: bool) -> Self {
        self.turns.push(Turn::DisconnectDuring {
            turn: Box::new(turn),
            after: after.to_string(),
            count,
            hold,
        });
        self
    }
    /// Adds any turn.
    pub fn turn(mut self, turn: Turn) -> Self {
        self.turns.push(turn);
        self
    }
    /// Sets the pacing of audio deltas.
    pub fn pace(mut self, chunk_ms: u32, interval_ms: u64) -> Self {
        self.audio_chunk_ms = chunk_ms;
        self.chunk_interval_ms = interval_ms;
        self
    }
    /// Sets transcripts for committed audio turns.
    pub fn transcripts(mut self, t: &[&str]) -> Self {
        self.transcripts = t.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Requires this API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }
    /// Expires sessions after `ms`.
    pub fn session_max_ms(mut self, ms: u64) -> Self {
        self.session_max_ms = Some(ms);
        self
    }
}
