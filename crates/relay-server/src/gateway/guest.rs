//! A guest's socket in a shared session: frames go to the owner's conversation loop; the
//! guest gets every frame of the conversation through its own send queue.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures::StreamExt;
use relay_core::team::Caller;

use super::Inner;
use super::conversation::flush;
use super::frames::{self, ClientFrame};
use super::outbox::Outbox;
use super::room::{GuestInput, Participant, Room};

/// Serves a guest who joined `room` with an invite.
pub(crate) async fn run_guest(
    inner: Arc<Inner>,
    socket: WebSocket,
    caller: Caller,
    room: Arc<Room>,
) {
    let _socket = inner.counters.socket();
    let (sink, mut stream) = socket.split();
    let (outbox, writer) = Outbox::spawn(sink, inner.send_queue_bytes);
    let id = inner.next_id();
    let joined = room.admit(Participant {
        id,
        caller: caller.clone(),
        outbox: outbox.clone(),
    });
    if !joined {
        flush(writer).await;
        return;
    }
    loop {
        tokio::select! {
            // The owner's loop already queued the last frames and the close.
            _ = room.ended.cancelled() => break,
            message = stream.next() => {
                let Some(Ok(message)) = message else {
                    let _ = room.guests.send(GuestInput::Left { id });
                    break;
                };
                let input = match message {
                    Message::Binary(audio) => GuestInput::Audio { id, user: caller.user.clone(), audio: audio.to_vec() },
                    Message::Text(text) => match ClientFrame::parse(text.as_str()) {
                        Ok(ClientFrame::Ping { id: ping }) => {
                            let _ = outbox.json(&frames::pong(ping));
                            continue;
                        }
                        Ok(frame) => GuestInput::Frame { id, user: caller.user.clone(), frame },
                        Err(message) => {
                            let _ = outbox.json(&frames::error("bad_client_frame", &message, None));
                            continue;
                        }
                    },
                    Message::Close(_) => {
                        let _ = room.guests.send(GuestInput::Left { id });
                        break;
                    }
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                if room.guests.send(input).is_err() {
                    break;
                }
            }
        }
    }
    drop(outbox);
    flush(writer).await;
}
