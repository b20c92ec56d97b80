//! The guest's side of a shared session across hosts: the guest's socket is served here (it
//! was authenticated and checked here), the conversation runs on the owner's host. The guest's
//! input goes to the room's channel, the room's frames for the guest come from the guest's own
//! channel.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures::StreamExt;
use relay_core::store::{InviteRecord, RoomBus};
use relay_core::team::Caller;
use tokio::time::Instant;

use super::super::Inner;
use super::super::conversation::flush;
use super::super::frames::{self, ClientFrame};
use super::super::outbox::Outbox;
use super::super::room::{TOO_SLOW, too_slow};
use super::MISSED_HEARTBEATS;
use super::wire::{ToGuest, ToRoom, guest_channel, room_channel};

/// How the guest's socket ended.
enum End {
    /// The guest left (their socket closed): tell the room.
    Left,
    /// The room closed the guest's socket (the conversation ended, or the owner dropped them).
    Closed,
    /// This side ends it with these last frames; the room is told the guest left.
    Ended(Vec<serde_json::Value>),
}

/// Serves a guest whose shared session runs on another host (`invite`).
pub(crate) async fn run_remote_guest(
    inner: Arc<Inner>,
    bus: Arc<dyn RoomBus>,
    socket: WebSocket,
    caller: Caller,
    invite: InviteRecord,
) {
    let _socket = inner.counters.socket();
    let (sink, mut stream) = socket.split();
    let (outbox, writer) = Outbox::spawn(sink, inner.send_queue_bytes);
    let link = super::super::random_code();
    let to_room = room_channel(&invite.room);
    let publish = |message: ToRoom| {
        let bus = bus.clone();
        let to_room = to_room.clone();
        async move { bus.publish(&to_room, message.encode()).await }
    };
    // Listening first: nothing the room sends after the join is missed.
    let joined = match bus.subscribe(&guest_channel(&invite.room, &link)).await {
        Ok(rx) => publish(ToRoom::Join {
            link: link.clone(),
            caller: caller.clone(),
        })
        .await
        .map(|()| rx),
        Err(e) => Err(e),
    };
    let mut from_room = match joined {
        Ok(rx) => rx,
        Err(e) => {
            tracing::warn!(user = %caller.user, "a guest could not join across servers: {e}");
            outbox.finish(&[
                frames::error(
                    "store_unavailable",
                    &format!("the shared session runs on another server and the store could not be reached: {e}"),
                    Some("try again in a moment"),
                ),
                frames::closed("the shared session could not be reached", false),
            ]);
            flush(writer).await;
            return;
        }
    };
    tracing::info!(session = %invite.session, user = %caller.user, host = %invite.host, "guest joining a session on another server");
    let patience = inner.heartbeat * MISSED_HEARTBEATS;
    let mut deadline = Instant::now() + patience;
    let mut tick = tokio::time::interval(inner.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let end = loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => {
                break End::Ended(vec![frames::closed("the server is shutting down", false)]);
            }
            _ = tokio::time::sleep_until(deadline) => {
                tracing::warn!(session = %invite.session, host = %invite.host, "the shared session's server stopped answering");
                break End::Ended(owner_unreachable(&invite));
            }
            _ = tick.tick() => {
                let _ = publish(ToRoom::Alive { link: link.clone() }).await;
            }
            message = from_room.recv() => {
                let Some(bytes) = message else {
                    tracing::warn!(session = %invite.session, "lost the store's pub/sub connection: a remote guest's session ends");
                    break End::Ended(store_lost());
                };
                deadline = Instant::now() + patience;
                let sent = match ToGuest::decode(&bytes) {
                    Ok(ToGuest::Text(text)) => outbox.text(text),
                    Ok(ToGuest::Audio(audio)) => outbox.binary(audio),
                    Ok(ToGuest::Close) => break End::Closed,
                    Ok(ToGuest::Alive) => Ok(()),
                    Err(e) => {
                        tracing::warn!("a bus message was ignored: {e}");
                        Ok(())
                    }
                };
                if sent.is_err() {
                    tracing::warn!(user = %caller.user, "guest dropped: reads too slowly");
                    break End::Ended(vec![too_slow(), frames::closed(TOO_SLOW, false)]);
                }
            }
            message = stream.next() => {
                let Some(Ok(message)) = message else { break End::Left };
                let input = match message {
                    Message::Binary(audio) => ToRoom::Audio { link: link.clone(), audio: audio.to_vec() },
                    Message::Text(text) => match ClientFrame::parse(text.as_str()) {
                        Ok(ClientFrame::Ping { id }) => {
                            let _ = outbox.json(&frames::pong(id));
                            continue;
                        }
                        Ok(_) => ToRoom::Frame { link: link.clone(), text: text.to_string() },
                        Err(message) => {
                            let _ = outbox.json(&frames::error("bad_client_frame", &message, None));
                            continue;
                        }
                    },
                    Message::Close(_) => break End::Left,
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                if let Err(e) = publish(input).await {
                    tracing::warn!(user = %caller.user, "a guest's input did not reach the shared session: {e}");
                    break End::Ended(store_lost());
                }
            }
        }
    };
    match end {
        End::Closed => outbox.finish(&[]),
        End::Left => {
            let _ = publish(ToRoom::Left { link }).await;
        }
        End::Ended(last) => {
            let _ = publish(ToRoom::Left { link }).await;
            outbox.finish(&last);
        }
    }
    drop(outbox);
    flush(writer).await;
}

/// The last frames of a guest whose owner's server stopped answering.
fn owner_unreachable(invite: &InviteRecord) -> Vec<serde_json::Value> {
    vec![
        frames::error(
            "owner_unreachable",
            &format!(
                "the shared session's server ({}) stopped answering; the session ended for you",
                invite.host
            ),
            Some(&format!(
                "ask {} for a new invite once their session runs again",
                invite.owner
            )),
        ),
        frames::closed("the shared session's server stopped answering", false),
    ]
}

/// The last frames of a guest whose link to the shared session (the store) broke.
fn store_lost() -> Vec<serde_json::Value> {
    vec![
        frames::error(
            "store_unavailable",
            "the connection to the store that links this server to the shared session's server broke",
            Some("rejoin with the invite in a moment"),
        ),
        frames::closed("the shared session could not be reached", false),
    ]
}
