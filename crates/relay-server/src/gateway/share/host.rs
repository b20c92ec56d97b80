//! The owner's side of a shared session across hosts: the room's [`Bridge`] registers its
//! invites on the bus, keeps them alive, and turns remote guests' messages into the same
//! [`GuestInput`] a local guest's socket produces.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use relay_core::store::{BUS_VERSION, BusMessages, InviteRecord, RoomBus, StoreError};
use tokio::sync::mpsc;

use super::super::Inner;
use super::super::frames::{self, ClientFrame};
use super::super::outbox::Outbox;
use super::super::room::{GuestInput, Participant, Room};
use super::MISSED_HEARTBEATS;
use super::wire::{ToRoom, guest_channel, room_channel};

/// A room on the bus: its task's requests.
#[derive(Debug)]
pub(crate) struct Bridge {
    invites: mpsc::UnboundedSender<Invite>,
}

/// Register `code`; tell participant `to` how it went.
struct Invite {
    code: String,
    to: u64,
}

/// Registers `code` (already usable on this host) on the bus for `room`; the inviter
/// (`participant`) gets the `invite` frame once it is, or an `error` saying it works here only.
pub(crate) fn invite(
    inner: &Arc<Inner>,
    bus: &Arc<dyn RoomBus>,
    room: &Arc<Room>,
    code: String,
    participant: u64,
) {
    let bridge = room.shared.get_or_init(|| {
        let (invites, rx) = mpsc::unbounded_channel();
        let id = super::super::random_code();
        tokio::spawn(run(inner.clone(), bus.clone(), room.clone(), id, rx));
        Bridge { invites }
    });
    let _ = bridge.invites.send(Invite {
        code,
        to: participant,
    });
}

/// A remote guest as the room knows them.
struct Remote {
    id: u64,
    user: String,
    heard: Instant,
}

async fn run(
    inner: Arc<Inner>,
    bus: Arc<dyn RoomBus>,
    room: Arc<Room>,
    id: String,
    mut invites: mpsc::UnboundedReceiver<Invite>,
) {
    let record = InviteRecord {
        v: BUS_VERSION,
        room: id.clone(),
        owner: room.owner.user.clone(),
        session: room.session_id.clone(),
        host: super::this_host(),
    };
    let patience = inner.heartbeat * MISSED_HEARTBEATS;
    let mut input: Option<BusMessages> = None;
    let mut codes: Vec<String> = Vec::new();
    let mut guests: HashMap<String, Remote> = HashMap::new();
    let mut tick = tokio::time::interval(inner.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = room.ended.cancelled() => break,
            Some(request) = invites.recv() => {
                let registered = match &input {
                    Some(_) => Ok(()),
                    None => bus.subscribe(&room_channel(&id)).await.map(|rx| input = Some(rx)),
                };
                let registered = match registered {
                    Ok(()) => bus.put_invite(&request.code, &record, patience).await,
                    Err(e) => Err(e),
                };
                reply(&room, request, registered, &mut codes);
            }
            _ = tick.tick() => {
                for code in &codes {
                    if let Err(e) = bus.put_invite(code, &record, patience).await {
                        tracing::warn!(session = %room.session_id, "cannot refresh an invite on the store: {e}");
                    }
                }
                if input.is_none() && !codes.is_empty() {
                    match bus.subscribe(&room_channel(&id)).await {
                        Ok(rx) => input = Some(rx),
                        Err(e) => tracing::warn!(session = %room.session_id, "cannot listen to remote guests: {e}"),
                    }
                }
                guests.retain(|_, guest| {
                    if room.outbox(guest.id).is_none() {
                        return false; // dropped by the room (too slow)
                    }
                    if guest.heard.elapsed() > patience {
                        tracing::warn!(session = %room.session_id, user = %guest.user, "a remote guest's server stopped answering; the guest left");
                        let _ = room.guests.send(GuestInput::Left { id: guest.id });
                        return false;
                    }
                    true
                });
            }
            message = async {
                match input.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => match message {
                Some(bytes) => match ToRoom::decode(&bytes) {
                    Ok(message) => handle(&inner, &bus, &room, &id, &mut guests, message),
                    Err(e) => tracing::warn!(session = %room.session_id, "a bus message was ignored: {e}"),
                },
                None => {
                    tracing::warn!(session = %room.session_id, "lost the store's pub/sub connection; listening again");
                    input = None;
                }
            },
        }
    }
    for code in codes {
        if let Err(e) = bus.delete_invite(&code).await {
            tracing::warn!("cannot delete an invite from the store (it expires on its own): {e}");
        }
    }
}

/// Tells the inviter how registering went.
fn reply(
    room: &Room,
    request: Invite,
    registered: Result<(), StoreError>,
    codes: &mut Vec<String>,
) {
    let Some(outbox) = room.outbox(request.to) else {
        return;
    };
    match registered {
        Ok(()) => codes.push(request.code.clone()),
        Err(e) => {
            tracing::warn!(session = %room.session_id, "an invite is not shared across servers: {e}");
            let _ = outbox.json(&frames::error(
                "invite_not_shared",
                &format!(
                    "guests on other servers cannot join with this invite: the store could not be reached ({e})"
                ),
                Some("guests connecting to this server can still join with it; invite again once the store is back"),
            ));
        }
    }
    let _ = outbox.json(&frames::invite(
        &request.code,
        &format!("/?join={}", request.code),
    ));
}

/// One message from a remote guest's host.
fn handle(
    inner: &Arc<Inner>,
    bus: &Arc<dyn RoomBus>,
    room: &Arc<Room>,
    id: &str,
    guests: &mut HashMap<String, Remote>,
    message: ToRoom,
) {
    if let ToRoom::Join { link, caller } = message {
        if guests.contains_key(&link) {
            return;
        }
        let outbox = Outbox::remote(
            bus.clone(),
            guest_channel(id, &link),
            inner.send_queue_bytes,
            inner.heartbeat,
        );
        let participant = inner.next_id();
        let user = caller.user.clone();
        if room.admit(Participant {
            id: participant,
            caller,
            outbox,
        }) {
            tracing::info!(session = %room.session_id, user = %user, "a guest joined from another server");
            guests.insert(
                link,
                Remote {
                    id: participant,
                    user,
                    heard: Instant::now(),
                },
            );
        }
        return;
    }
    let Some(guest) = guests.get_mut(message.link()) else {
        return; // left already, or never joined
    };
    guest.heard = Instant::now();
    let (id, user) = (guest.id, guest.user.clone());
    let input = match message {
        ToRoom::Audio { audio, .. } => GuestInput::Audio { id, user, audio },
        // Checked by the guest's host (pings and bad frames are answered there).
        ToRoom::Frame { text, .. } => match ClientFrame::parse(&text) {
            Ok(frame) => GuestInput::Frame { id, user, frame },
            Err(e) => {
                tracing::warn!("a remote guest's frame was ignored: {e}");
                return;
            }
        },
        ToRoom::Left { link } => {
            guests.remove(&link);
            GuestInput::Left { id }
        }
        ToRoom::Alive { .. } | ToRoom::Join { .. } => return,
    };
    let _ = room.guests.send(input);
}
