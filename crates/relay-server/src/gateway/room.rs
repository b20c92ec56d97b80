//! The people in one conversation: the owner and the guests who joined with an invite, each
//! with their socket's send queue. Every frame goes to all of them.

use std::sync::Mutex;

use std::sync::Arc;

use relay_core::approval::{ApprovalEvent, ApprovalHub, ApprovalRequest};
use relay_core::team::Caller;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::frames::{self, ClientFrame, ParticipantInfo};
use super::guard::GuestGuard;
use super::outbox::Outbox;

/// One person's socket in a conversation.
#[derive(Debug, Clone)]
pub struct Participant {
    /// Unique within the room.
    pub id: u64,
    /// Who they are.
    pub caller: Caller,
    /// Their socket's send queue.
    pub outbox: Outbox,
}

/// Input from a guest's socket, handled by the owner's conversation loop.
#[derive(Debug)]
pub enum GuestInput {
    /// Microphone audio.
    Audio {
        /// The guest's participant id.
        id: u64,
        /// Who.
        user: String,
        /// PCM16.
        audio: Vec<u8>,
    },
    /// A text frame (pings and bad frames are answered by the guest's own socket task).
    Frame {
        /// The guest's participant id.
        id: u64,
        /// Who.
        user: String,
        /// The frame.
        frame: ClientFrame,
    },
    /// The guest's socket closed.
    Left {
        /// The guest's participant id.
        id: u64,
    },
}

/// A conversation's participants; the owner is always first.
#[derive(Debug)]
pub struct Room {
    /// The conversation's session id.
    pub session_id: String,
    /// The owner.
    pub owner: Caller,
    /// The conversation's tools, by name.
    pub tools: Vec<String>,
    hub: Arc<ApprovalHub>,
    guard: GuestGuard,
    participants: Mutex<Vec<Participant>>,
    /// Guests' input into the owner's loop.
    pub guests: mpsc::UnboundedSender<GuestInput>,
    /// Cancelled when the conversation ends: guests' sockets stop reading.
    pub ended: CancellationToken,
    /// The room on the room bus, once the owner invited with one (guests on other hosts).
    pub(crate) shared: std::sync::OnceLock<super::share::Bridge>,
}

impl Room {
    /// A room with its owner; the receiver is the owner loop's guest input.
    pub fn new(
        session_id: &str,
        owner: Participant,
        tools: Vec<String>,
        hub: Arc<ApprovalHub>,
        guard: GuestGuard,
    ) -> (Room, mpsc::UnboundedReceiver<GuestInput>) {
        let (guests, rx) = mpsc::unbounded_channel();
        (
            Room {
                session_id: session_id.to_string(),
                owner: owner.caller.clone(),
                tools,
                hub,
                guard,
                participants: Mutex::new(vec![owner]),
                guests,
                ended: CancellationToken::new(),
                shared: std::sync::OnceLock::new(),
            },
            rx,
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Participant>> {
        self.participants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Who is here, owner first.
    pub fn infos(&self) -> Vec<ParticipantInfo> {
        self.lock()
            .iter()
            .map(|p| ParticipantInfo::of(&p.caller))
            .collect()
    }

    /// The `ready` frame for `me`.
    pub fn ready(&self, me: &Caller) -> Value {
        frames::ready(
            &self.session_id,
            me,
            &self.owner.user,
            &self.infos(),
            &self.tools,
        )
    }

    /// Adds a guest; `false` when the conversation already ended.
    pub fn join(&self, guest: Participant) -> bool {
        let mut all = self.lock();
        if self.ended.is_cancelled() {
            return false;
        }
        self.guard.admit(&guest.caller);
        all.push(guest);
        true
    }

    /// Lets `guest` in: they get `ready`, everyone gets `participant_joined`, and they see the
    /// approval requests waiting now. `false` when the conversation already ended (the guest
    /// got `error` and `closed`).
    pub fn admit(&self, guest: Participant) -> bool {
        let caller = guest.caller.clone();
        let outbox = guest.outbox.clone();
        if !self.join(guest) {
            outbox.finish(&[
                frames::error("invite_expired", "the shared session has ended", None),
                frames::closed("the shared session has ended", false),
            ]);
            return false;
        }
        tracing::info!(session = %self.session_id, user = %caller.user, "guest joined");
        let _ = outbox.json(&self.ready(&caller));
        self.broadcast(&frames::participant(true, &ParticipantInfo::of(&caller)));
        for request in self.pending_approvals() {
            if let Ok(frame) = serde_json::to_value(ApprovalEvent::ApprovalRequested { request }) {
                let _ = outbox.json(&frame);
            }
        }
        true
    }

    /// Approval requests waiting now (shown to a guest who joins late).
    pub fn pending_approvals(&self) -> Vec<ApprovalRequest> {
        self.hub.pending()
    }

    /// Whether the owner's socket fell too far behind.
    pub fn owner_behind(&self) -> bool {
        self.lock().first().is_some_and(|p| p.outbox.overflowed())
    }

    /// Removes participant `id`, returning them when they were here.
    pub fn leave(&self, id: u64) -> Option<Participant> {
        let mut all = self.lock();
        let index = all.iter().position(|p| p.id == id)?;
        let gone = all.remove(index);
        // Still here on another socket: their requests stay guarded.
        if !all.iter().any(|p| p.caller.user == gone.caller.user) {
            self.guard.dismiss(&gone.caller.user);
        }
        Some(gone)
    }

    /// The participant `id`'s socket.
    pub fn outbox(&self, id: u64) -> Option<Outbox> {
        self.lock()
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.outbox.clone())
    }

    /// Sends a JSON frame to everyone. Returns whether the owner fell too far behind (the
    /// conversation must end); guests who fell behind are dropped here.
    pub fn broadcast(&self, frame: &Value) -> bool {
        self.each(|outbox| outbox.json(frame))
    }

    /// Sends audio to everyone; see [`broadcast`](Self::broadcast).
    pub fn broadcast_audio(&self, audio: &[u8]) -> bool {
        self.each(|outbox| outbox.binary(audio.to_vec()))
    }

    fn each(&self, send: impl Fn(&Outbox) -> Result<(), super::outbox::Overflow>) -> bool {
        let mut owner_behind = false;
        let mut dropped = Vec::new();
        {
            let all = self.lock();
            for (i, p) in all.iter().enumerate() {
                if send(&p.outbox).is_err() {
                    if i == 0 {
                        owner_behind = true;
                    } else {
                        dropped.push(p.id);
                    }
                }
            }
        }
        for id in dropped {
            if let Some(guest) = self.leave(id) {
                tracing::warn!(user = %guest.caller.user, "guest dropped: reads too slowly");
                guest
                    .outbox
                    .finish(&[too_slow(), frames::closed(TOO_SLOW, false)]);
                let _ = self.broadcast(&frames::participant(
                    false,
                    &ParticipantInfo::of(&guest.caller),
                ));
            }
        }
        owner_behind
    }

    /// Ends the room: every socket gets `frames`, then its close.
    pub fn finish(&self, frames: &[Value]) {
        let mut all = self.lock();
        self.ended.cancel();
        for p in all.drain(..) {
            p.outbox.finish(frames);
        }
    }
}

/// Why a slow client is dropped.
pub const TOO_SLOW: &str = "the client read too slowly: its send queue overflowed";

/// The `error` frame of a client that fell behind.
pub fn too_slow() -> Value {
    frames::error(
        "client_too_slow",
        TOO_SLOW,
        Some("reconnect with ?session=NAME to resume; the conversation was saved"),
    )
}
