//! Shared sessions across hosts: the owner's conversation runs on one `relay serve`, a guest
//! connects to another, and both processes share one store with a [`RoomBus`] (Redis pub/sub).
//!
//! - The owner's host ([`host`]): an invite registers its code on the bus (`relay:invite:CODE`
//!   with a time to live the host refreshes while the conversation runs, deleted at its end)
//!   and listens on the room's input channel. A remote guest is a participant of the room like
//!   a local one, whose send queue publishes to the guest's own channel
//!   ([`Outbox::remote`](super::outbox::Outbox::remote)).
//! - The guest's host ([`visit`]): `?join=CODE` with no room here looks the code up on the bus,
//!   checks the guest (auth, Origin, role) as for any socket, and relays: the guest's audio and
//!   frames to the room's input channel, the guest's channel to the socket.
//! - Each side sends `alive` every heartbeat; a side not heard from for three heartbeats is
//!   gone: the remote guest gets `error` (`owner_unreachable`) and `closed`, or the owner's
//!   room sees the guest leave.
//!
//! The wire format is [`wire`].
//!
//! [`RoomBus`]: relay_core::store::RoomBus

pub(crate) mod host;
pub(crate) mod visit;
pub(crate) mod wire;

pub(crate) use host::Bridge;

/// How many heartbeats without a word from the other side mean it is gone.
pub(crate) const MISSED_HEARTBEATS: u32 = 3;

/// This process, for the invite record and logs: `HOST:PID`.
pub(crate) fn this_host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{name}:{}", std::process::id())
}
