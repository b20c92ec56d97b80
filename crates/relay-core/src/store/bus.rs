//! The room bus: what lets a shared session span several Relay processes (the owner on one
//! `relay serve`, a guest on another) over one shared store. Messages are published to named
//! channels and heard by every live subscriber (Redis: pub/sub); invite codes are registered
//! with a time to live so a guest's host can find the owner's room. Delivery is best effort and
//! in order per channel; nothing is stored for a subscriber that was not listening.
//!
//! Only stores several processes share have one ([`Store::room_bus`](super::Store::room_bus)):
//! Redis does, SQLite does not (one process reads its own store, so its shared sessions stay
//! in that process).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::StoreError;

/// The version of [`InviteRecord`] and of the gateway's bus messages this build writes.
pub const BUS_VERSION: u32 = 1;

/// What an invite code leads to: a room running on some host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRecord {
    /// Version of this record and of the room's messages ([`BUS_VERSION`]).
    pub v: u32,
    /// The room's id: its channels are named after it.
    pub room: String,
    /// The session's owner.
    pub owner: String,
    /// The conversation's session id.
    pub session: String,
    /// Which process runs the room (host name and pid), for logs and errors.
    pub host: String,
}

/// A channel's messages as they arrive; `None` once the subscription is lost (the store's
/// connection closed). Dropping the receiver unsubscribes.
pub type BusMessages = mpsc::Receiver<Vec<u8>>;

/// Channels and invite codes shared by every process on one store: what lets a shared session
/// span several Relay processes (the owner on one `relay serve`, a guest on another).
/// Messages published to a channel are heard by every live subscriber (Redis: pub/sub), in
/// order per channel, best effort: nothing is kept for a subscriber that was not listening.
/// Invite codes are registered with a time to live so a guest's host finds the owner's room.
///
/// Only stores several processes share have one ([`Store::room_bus`](super::Store::room_bus)):
/// Redis does; SQLite does not (one process reads its own store, so its shared sessions stay
/// in that process).
#[async_trait]
pub trait RoomBus: Send + Sync + std::fmt::Debug {
    /// Sends `payload` to every current subscriber of `channel`.
    async fn publish(&self, channel: &str, payload: Vec<u8>) -> Result<(), StoreError>;

    /// Starts listening on `channel`: once this returns, every message published after it is
    /// delivered, in order.
    async fn subscribe(&self, channel: &str) -> Result<BusMessages, StoreError>;

    /// Registers (or refreshes) invite `code` for `ttl`.
    async fn put_invite(
        &self,
        code: &str,
        invite: &InviteRecord,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// The room invite `code` leads to, while it is registered.
    async fn invite(&self, code: &str) -> Result<Option<InviteRecord>, StoreError>;

    /// Forgets invite `code` (its conversation ended).
    async fn delete_invite(&self, code: &str) -> Result<(), StoreError>;
}
