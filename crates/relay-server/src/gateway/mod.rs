//! The voice gateway: `GET /v1/conversation`, one WebSocket per conversation (protocol 1,
//! docs/serve.md).
//!
//! Binary frames carry PCM16 24 kHz mono audio both ways; text frames carry JSON (transcripts,
//! tool calls and their progress, approvals, errors). Each conversation gets its own voice
//! session through the application's [`ConversationFactory`] (tools with the caller's
//! permissions, a Realtime transport, the stored session), its own [`ApprovalHub`] (questions
//! spoken and shown; answered by a button or the user's own speech) and, with an invite, guests
//! (shared sessions: in this process, or from other processes on one store with a room bus,
//! see [`GatewayBuilder::bus`]). The page people talk from is served by [`page::router`].
//!
//! ```no_run
//! # async fn example(factory: std::sync::Arc<dyn relay_server::gateway::ConversationFactory>) -> Result<(), relay_server::ServerError> {
//! use relay_core::team::{Caller, Role};
//! use relay_server::gateway::Gateway;
//!
//! let gateway = Gateway::builder(factory, Caller::new("ana", Role::Admin)).build();
//! let app = axum::Router::new().merge(gateway.router());
//! let server = relay_server::Server::bind("127.0.0.1:8080").await?;
//! server.serve(app, async { /* until SIGTERM */ }).await?;
//! // WebSockets outlive the HTTP server's graceful shutdown: end the conversations.
//! gateway.shutdown(std::time::Duration::from_secs(10)).await;
//! # Ok(()) }
//! ```
//!
//! [`ApprovalHub`]: relay_core::approval::ApprovalHub

mod approver;
mod conversation;
mod factory;
pub mod frames;
mod guard;
mod guest;
mod outbox;
pub mod page;
mod room;
mod share;
mod turns;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use relay_core::store::{BUS_VERSION, RoomBus};
use relay_core::team::Caller;
use relay_core::voice::VoiceSessionConfig;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use approver::{ConversationApprover, Speaker};
pub use factory::{
    ConversationFactory, ConversationParts, ConversationRequest, OpenError, StoredConversation,
};
pub use frames::PROTOCOL;
pub use guard::GuestGuard;

use room::Room;

/// The conversation endpoint's path.
pub const CONVERSATION_PATH: &str = "/v1/conversation";

/// Default bound of a socket's send queue: 2 MiB, about 40 s of reply audio.
pub const DEFAULT_SEND_QUEUE_BYTES: usize = 2 << 20;

/// How long conversations get to close after a shutdown's grace period ran out (their tool runs
/// cancelled, their voice sessions closing, their last frames flushed).
pub const HAND_BACK_WAIT: Duration = Duration::from_secs(10);
/// How long looking an invite up in the store may take before the upgrade is refused.
const INVITE_LOOKUP: Duration = Duration::from_secs(5);

/// The largest frame a client may send (1 MiB: 20 s of audio).
const MAX_CLIENT_FRAME: usize = 1 << 20;

/// The socket's read buffer. tungstenite's default (128 KiB) is allocated per socket and
/// zero-filled on every read, so it is all resident: 128 KiB per conversation, and a 128 KiB
/// memset per client frame. Clients send 20–100 ms audio frames (1–5 KB); a larger frame
/// just grows the buffer for itself.
const READ_BUFFER: usize = 16 << 10;

/// Builds a [`Gateway`].
pub struct GatewayBuilder {
    factory: Arc<dyn ConversationFactory>,
    local_caller: Caller,
    voice: VoiceSessionConfig,
    send_queue_bytes: usize,
    bus: Option<Arc<dyn RoomBus>>,
    heartbeat: Duration,
}

/// Default interval of a shared session's heartbeats across hosts: 2 s (a side not heard from
/// for three of them is gone).
pub const DEFAULT_SHARE_HEARTBEAT: Duration = Duration::from_secs(2);

impl GatewayBuilder {
    /// Shares sessions across processes over `bus` (the store's [`RoomBus`]: Redis, shared by
    /// every `relay serve` on it): an invite made here lets a guest join from any process on
    /// the same store. Without one (the default, and with SQLite), shared sessions stay in
    /// this process.
    pub fn bus(mut self, bus: Arc<dyn RoomBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// How often the two hosts of a shared session tell each other they are alive (and the
    /// owner's host refreshes its invites); three missed heartbeats end a remote guest's
    /// socket (`owner_unreachable`), or make the guest leave the owner's room. Default
    /// [`DEFAULT_SHARE_HEARTBEAT`].
    pub fn share_heartbeat(mut self, interval: Duration) -> Self {
        self.heartbeat = interval.max(Duration::from_millis(10));
        self
    }

    /// The voice session settings every conversation starts with (instructions, voice, turn
    /// detection, progress interval); a resumed session adds its history. Default:
    /// [`VoiceSessionConfig::default`] (server voice activity detection, input transcription).
    pub fn voice(mut self, config: VoiceSessionConfig) -> Self {
        self.voice = config;
        self
    }

    /// At most this many bytes wait to be written to one socket. A client that falls further
    /// behind (it reads slower than the conversation produces) gets a `client_too_slow` error
    /// and is disconnected: an owner's conversation ends (it was saved as it went), a guest
    /// leaves. Default [`DEFAULT_SEND_QUEUE_BYTES`].
    pub fn send_queue_bytes(mut self, bytes: usize) -> Self {
        self.send_queue_bytes = bytes.max(1);
        self
    }

    /// The gateway.
    pub fn build(self) -> Gateway {
        Gateway {
            inner: Arc::new(Inner {
                factory: self.factory,
                local_caller: self.local_caller,
                voice: self.voice,
                send_queue_bytes: self.send_queue_bytes,
                bus: self.bus,
                heartbeat: self.heartbeat,
                shutdown: CancellationToken::new(),
                draining: CancellationToken::new(),
                counters: Arc::new(Counters::default()),
                invites: Mutex::new(HashMap::new()),
                ids: AtomicU64::new(1),
            }),
        }
    }
}

/// The voice gateway: serve [`router`](Self::router), end it with
/// [`shutdown`](Self::shutdown). Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("local_caller", &self.inner.local_caller.user)
            .field("sockets", &self.active_sockets())
            .field("conversations", &self.active_conversations())
            .finish()
    }
}

impl Gateway {
    /// A gateway whose conversations `factory` makes. Requests without an authenticated
    /// [`Caller`] (an `axum::Extension<Caller>` put there by an auth layer) are `local_caller`'s:
    /// the developer on their own machine.
    pub fn builder(factory: Arc<dyn ConversationFactory>, local_caller: Caller) -> GatewayBuilder {
        GatewayBuilder {
            factory,
            local_caller,
            voice: VoiceSessionConfig::default(),
            send_queue_bytes: DEFAULT_SEND_QUEUE_BYTES,
            bus: None,
            heartbeat: DEFAULT_SHARE_HEARTBEAT,
        }
    }

    /// `GET /v1/conversation` (WebSocket upgrade).
    pub fn router(&self) -> Router {
        Router::new()
            .route(CONVERSATION_PATH, get(upgrade))
            .with_state(self.inner.clone())
    }

    /// Sockets being served now (owners and guests).
    pub fn active_sockets(&self) -> usize {
        self.inner.counters.sockets.load(Ordering::SeqCst)
    }

    /// Conversations running now (a voice session each).
    pub fn active_conversations(&self) -> usize {
        self.inner.counters.conversations.load(Ordering::SeqCst)
    }

    /// Starts a graceful shutdown without waiting for it: new conversations and new turns are
    /// refused from now on, turns in progress go on. Call it when the stop signal arrives,
    /// before the HTTP server stops listening, so that no turn starts in between;
    /// [`shutdown`](Self::shutdown) then waits for the turns in progress.
    pub fn drain(&self) {
        self.inner.draining.cancel();
    }

    /// Ends every conversation gracefully. New conversations are refused at once, and so are
    /// new turns (a `text` or `commit` gets `error` `shutting_down`; microphone audio is
    /// dropped); a turn in progress — the reply streaming, tool calls running, the answer after
    /// them — may finish within `grace`. Each conversation ends as soon as it is quiet, with
    /// `closed` carrying `resumable` and `resume` (`?session=NAME`, when the session is stored)
    /// so the client can go on with another server. When `grace` runs out, what still runs is
    /// cancelled and listed in `closed`'s `handed_back`; the conversations then get up to
    /// [`HAND_BACK_WAIT`] to close. Returns how many sockets were still open at the end (0: all
    /// ended).
    pub async fn shutdown(&self, grace: Duration) -> usize {
        self.drain();
        if tokio::time::timeout(grace, self.idle()).await.is_err() {
            self.inner.shutdown.cancel();
            let _ = tokio::time::timeout(HAND_BACK_WAIT, self.idle()).await;
        }
        self.inner.shutdown.cancel();
        self.active_sockets()
    }

    /// Resolves once no socket is open (e.g. after the clients disconnected).
    pub async fn idle(&self) {
        let counters = &self.inner.counters;
        loop {
            let idle = counters.idle.notified();
            if counters.sockets.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

pub(crate) struct Inner {
    factory: Arc<dyn ConversationFactory>,
    local_caller: Caller,
    voice: VoiceSessionConfig,
    send_queue_bytes: usize,
    /// Shared sessions across processes, when the store has a bus.
    bus: Option<Arc<dyn RoomBus>>,
    heartbeat: Duration,
    /// Cancelled when the grace period of a shutdown ends: conversations end now.
    shutdown: CancellationToken,
    /// Cancelled when a shutdown starts: no new conversations or turns; turns in progress
    /// finish.
    draining: CancellationToken,
    counters: Arc<Counters>,
    invites: Mutex<HashMap<String, Weak<Room>>>,
    ids: AtomicU64,
}

impl Inner {
    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// A name for a conversation started without `?session=`.
    fn fresh_session_name(&self) -> String {
        format!(
            "web-{:x}-{:x}-{}",
            frames::now_ms(),
            std::process::id(),
            self.next_id()
        )
    }

    fn invites(&self) -> std::sync::MutexGuard<'_, HashMap<String, Weak<Room>>> {
        self.invites.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new invite code for `room`, asked for by `participant`, who gets the `invite` frame:
    /// right away in-process, or once the code is registered on the bus.
    fn invite(self: &Arc<Self>, room: &Arc<Room>, participant: u64) {
        let code = random_code();
        self.invites().insert(code.clone(), Arc::downgrade(room));
        match &self.bus {
            Some(bus) => share::host::invite(self, bus, room, code, participant),
            None => {
                if let Some(outbox) = room.outbox(participant) {
                    let _ = outbox.json(&frames::invite(&code, &format!("/?join={code}")));
                }
            }
        }
    }

    /// The room an invite code leads to, while it runs.
    fn room(&self, code: &str) -> Option<Arc<Room>> {
        self.invites().get(code).and_then(Weak::upgrade)
    }

    /// Forgets `room`'s invites (it ended) and any dead ones.
    fn forget_invites(&self, room: &Arc<Room>) {
        self.invites().retain(|_, r| {
            r.upgrade()
                .is_some_and(|r| !Arc::ptr_eq(&r, room) && !r.ended.is_cancelled())
        });
    }
}

/// Counts sockets and conversations; wakes [`Gateway::shutdown`] when the last one ends.
#[derive(Default)]
struct Counters {
    sockets: AtomicUsize,
    conversations: AtomicUsize,
    idle: Notify,
}

/// Decrements its counter when dropped.
struct CountGuard {
    counters: Arc<Counters>,
    socket: bool,
}

impl Counters {
    fn socket(self: &Arc<Self>) -> CountGuard {
        self.sockets.fetch_add(1, Ordering::SeqCst);
        CountGuard {
            counters: self.clone(),
            socket: true,
        }
    }

    fn conversation(self: &Arc<Self>) -> CountGuard {
        self.conversations.fetch_add(1, Ordering::SeqCst);
        CountGuard {
            counters: self.clone(),
            socket: false,
        }
    }
}

impl Drop for CountGuard {
    fn drop(&mut self) {
        if self.socket {
            self.counters.sockets.fetch_sub(1, Ordering::SeqCst);
            self.counters.idle.notify_waiters();
        } else {
            self.counters.conversations.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn random_code() -> String {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 12];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // Never expected; a code from the clock and a counter still works in-process.
        let n = frames::now_ms().to_le_bytes();
        bytes[..8].copy_from_slice(&n);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A refusal before the upgrade: nothing was started.
fn refuse(status: StatusCode, error: &str, hint: &str) -> Response {
    let body = serde_json::json!({"error": error, "hint": hint}).to_string();
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn upgrade(
    State(inner): State<Arc<Inner>>,
    caller: Option<Extension<Caller>>,
    metrics: Option<Extension<crate::Metrics>>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    // Put there by the security layer (`App`); without it nothing is counted.
    let metrics = metrics.map(|Extension(m)| m);
    let caller = caller
        .map(|Extension(c)| c)
        .unwrap_or_else(|| inner.local_caller.clone());
    let mut session = None;
    let mut join = None;
    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "session" => session = Some(value.trim().to_string()),
            "join" => join = Some(value.to_string()),
            "protocol" if value != PROTOCOL.to_string() => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("this server speaks protocol {PROTOCOL}, not `{value}`"),
                    &format!("connect with ?protocol={PROTOCOL} (docs/serve.md)"),
                );
            }
            _ => {}
        }
    }
    if inner.draining.is_cancelled() {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
            "reconnect in a moment",
        );
    }
    if let Some(name) = &session
        && (name.is_empty() || name.len() > 100 || name.chars().any(char::is_control))
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a session name is 1 to 100 printable characters",
            "connect with ?session=NAME, e.g. ?session=morning, or without it for a new session",
        );
    }
    let ws = ws
        .read_buffer_size(READ_BUFFER)
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME);
    if let Some(code) = join {
        if session.is_some() {
            return refuse(
                StatusCode::BAD_REQUEST,
                "?join and ?session do not go together",
                "a guest joins the owner's session: connect with ?join=CODE only",
            );
        }
        if let Some(room) = inner.room(&code) {
            return ws.on_upgrade(move |socket| guest::run_guest(inner, socket, caller, room));
        }
        let not_found = || {
            refuse(
                StatusCode::NOT_FOUND,
                "no shared session has this invite code (it ended, or the code is wrong)",
                "ask the session's owner for a new invite",
            )
        };
        // Codes are ours (hex): anything else is not looked up in the store.
        let plausible =
            !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric());
        let Some(bus) = inner.bus.clone().filter(|_| plausible) else {
            return not_found();
        };
        // The room may run on another server on the same store.
        let found = tokio::time::timeout(INVITE_LOOKUP, bus.invite(&code))
            .await
            .unwrap_or_else(|_| {
                Err(relay_core::store::StoreError::Backend {
                    url: "the store".into(),
                    reason: format!("no answer within {INVITE_LOOKUP:?}"),
                })
            });
        return match found {
            Ok(Some(invite)) if invite.v == BUS_VERSION => ws.on_upgrade(move |socket| {
                share::visit::run_remote_guest(inner, bus, socket, caller, invite)
            }),
            Ok(Some(invite)) => refuse(
                StatusCode::CONFLICT,
                &format!(
                    "the shared session runs on a server that speaks room bus version {}, this one {BUS_VERSION}",
                    invite.v
                ),
                "run the same Relay version on every server of the store, or connect to the owner's server",
            ),
            Ok(None) => not_found(),
            Err(e) => refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the invite could not be looked up: {e}"),
                "try again in a moment, or connect to the owner's server",
            ),
        };
    }
    ws.on_upgrade(move |socket| conversation::run_owner(inner, socket, caller, session, metrics))
}
