//! A fake OpenAI Realtime server that speaks the GA WebSocket protocol, owned by the tests.
//!
//! It keeps a real conversation per connection: session lifecycle (`session.created`,
//! `session.update` → `session.updated`, refusing what the GA service refuses, in its error
//! shape), an input audio buffer with voice activity detection driven by the energy of the
//! audio it receives, commits and transcriptions, responses that stream audio and transcript
//! deltas or make tool calls, `response.cancel`, `conversation.item.truncate/delete` with the
//! service's bounds checks, the `conversation_already_has_active_response` error, rate limits,
//! forced disconnects (also in the middle of a response), outages and session expiry. What the
//! "model" says is scripted per test with a [`Scenario`].
//!
//! It records every client event per connection so tests can assert what Relay sent.

mod connection;
mod response;
mod scenario;
mod vad;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

pub use scenario::{Scenario, ScriptedCall, Turn};

/// What the server saw on one connection.
#[derive(Debug, Clone, Default)]
pub struct ConnectionLog {
    /// The `model` query parameter.
    pub model: Option<String>,
    /// Whether an `Authorization: Bearer` header was present.
    pub had_bearer: bool,
    /// Names of every handshake header (values are not kept: they may be secrets).
    pub header_names: Vec<String>,
    /// Every client event received, in order (audio payloads replaced by their length unless
    /// [`Scenario::record_audio`]).
    pub client_events: Vec<Value>,
    /// The conversation items at the end of the connection (or now, while open).
    pub conversation: Vec<Value>,
    /// Truncations performed: `(item_id, audio_end_ms)`.
    pub truncations: Vec<(String, u64)>,
    /// Items deleted.
    pub deletions: Vec<String>,
    /// Errors the server sent: `(code, message)`.
    pub errors_sent: Vec<(String, String)>,
    /// When each client event was received (parallel to `client_events`), for latency benches.
    pub client_event_times: Vec<std::time::Instant>,
    /// When each `response.output_audio.delta` was written to the socket.
    pub audio_sent_times: Vec<std::time::Instant>,
    /// Every other server event written: `(type, when)`.
    pub sent_times: Vec<(String, std::time::Instant)>,
}

pub(crate) struct Shared {
    pub scenario: Scenario,
    pub turns: Mutex<VecDeque<Turn>>,
    pub transcripts: Mutex<VecDeque<String>>,
    pub logs: Mutex<Vec<ConnectionLog>>,
    pub kill: broadcast::Sender<()>,
    pub ids: AtomicU64,
    /// While set, handshakes are answered `503 Service Unavailable` (an outage).
    pub refusing: AtomicBool,
}

impl Shared {
    pub fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}_{:06}", self.ids.fetch_add(1, Ordering::Relaxed))
    }

    pub fn with_log<R>(&self, conn: usize, f: impl FnOnce(&mut ConnectionLog) -> R) -> R {
        let mut logs = self.logs.lock().expect("log lock");
        f(&mut logs[conn])
    }
}

/// A running fake Realtime server on a loopback port. Dropping it stops the server.
pub struct FakeRealtime {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeRealtime {
    /// Starts a server on `127.0.0.1` with a free port.
    pub async fn start(scenario: Scenario) -> std::io::Result<FakeRealtime> {
        Self::start_on("127.0.0.1:0", scenario).await
    }

    /// Starts a server on `addr` (e.g. `127.0.0.1:8765`).
    pub async fn start_on(addr: &str, scenario: Scenario) -> std::io::Result<FakeRealtime> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (kill, _) = broadcast::channel(4);
        let shared = Arc::new(Shared {
            turns: Mutex::new(scenario.turns.iter().cloned().collect()),
            transcripts: Mutex::new(scenario.transcripts.iter().cloned().collect()),
            scenario,
            logs: Mutex::new(Vec::new()),
            kill,
            ids: AtomicU64::new(1),
            refusing: AtomicBool::new(false),
        });
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let shared = accept_shared.clone();
                tokio::spawn(connection::serve(stream, shared));
            }
        });
        Ok(FakeRealtime { addr, shared, task })
    }

    /// The WebSocket URL (`ws://127.0.0.1:PORT/v1/realtime`).
    pub fn url(&self) -> String {
        format!("ws://{}/v1/realtime", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far (including rejected handshakes that got past TCP).
    pub fn connection_count(&self) -> usize {
        self.shared.logs.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// The log of connection `n` (0-based).
    pub fn connection(&self, n: usize) -> ConnectionLog {
        self.shared.logs.lock().expect("log lock")[n].clone()
    }

    /// Client events of every connection, in connection order.
    pub fn all_client_events(&self) -> Vec<Value> {
        let logs = self.shared.logs.lock().expect("log lock");
        logs.iter().flat_map(|l| l.client_events.clone()).collect()
    }

    /// Client events of `event_type` over all connections.
    pub fn client_events_of(&self, event_type: &str) -> Vec<Value> {
        self.all_client_events()
            .into_iter()
            .filter(|e| e["type"] == event_type)
            .collect()
    }

    /// How many bytes of input audio (`input_audio_buffer.append`) the server received, over
    /// every connection.
    ///
    /// # Panics
    /// Unless the scenario kept the payloads ([`Scenario::record_audio`]).
    pub fn input_audio_bytes(&self) -> usize {
        use base64::Engine;
        self.client_events_of("input_audio_buffer.append")
            .iter()
            .map(|e| {
                let audio = e["audio"].as_str().unwrap_or_default();
                base64::engine::general_purpose::STANDARD
                    .decode(audio)
                    .unwrap_or_else(|_| {
                        panic!("input audio was not recorded ({audio}): set Scenario::record_audio")
                    })
                    .len()
            })
            .sum()
    }

    /// Drops every open connection abruptly (no close frame), like a network failure.
    pub fn disconnect_all(&self) {
        let _ = self.shared.kill.send(());
    }

    /// While `refuse` is set, new connections are turned away with `503 Service Unavailable`
    /// (open ones stay open; combine with [`disconnect_all`](Self::disconnect_all) for an
    /// outage).
    pub fn refuse_connections(&self, refuse: bool) {
        self.shared.refusing.store(refuse, Ordering::SeqCst);
    }

    /// Appends a scripted turn.
    pub fn push_turn(&self, turn: Turn) {
        self.shared.turns.lock().expect("turn lock").push_back(turn);
    }

    /// Turns not yet consumed.
    pub fn remaining_turns(&self) -> usize {
        self.shared.turns.lock().map(|t| t.len()).unwrap_or(0)
    }
}

impl Drop for FakeRealtime {
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.shared.kill.send(());
    }
}
