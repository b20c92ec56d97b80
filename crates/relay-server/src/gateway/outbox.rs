//! The bounded send queue of one socket: a writer task drains it into the WebSocket, so a slow
//! client never stalls the conversation, and a client that falls too far behind is dropped
//! instead of growing memory without bound. A remote guest's queue (a shared session across
//! hosts) has the same bound; its writer publishes on the room bus instead of a socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use bytes::Bytes;
use futures::SinkExt;
use futures::stream::SplitSink;
use relay_core::store::RoomBus;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::share::wire::ToGuest;

/// Something to write to the socket.
#[derive(Debug)]
enum Out {
    Text(String),
    Binary(Bytes),
    /// Close the socket (after everything queued before it).
    Close,
}

impl Out {
    fn len(&self) -> usize {
        match self {
            Out::Text(t) => t.len(),
            Out::Binary(b) => b.len(),
            Out::Close => 0,
        }
    }
}

/// The queue was full: the client reads slower than the conversation produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// The sending half of a socket. Cloned into the conversation for every participant.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Out>,
    queued: Arc<AtomicUsize>,
    overflowed: Arc<AtomicBool>,
    limit: usize,
}

impl Outbox {
    /// Starts the writer task over `sink`; at most `limit` bytes wait in the queue.
    pub fn spawn(sink: SplitSink<WebSocket, Message>, limit: usize) -> (Outbox, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let writer = tokio::spawn(write(sink, rx, queued.clone()));
        (
            Outbox {
                tx,
                queued,
                overflowed: Arc::new(AtomicBool::new(false)),
                limit,
            },
            writer,
        )
    }

    /// A queue whose frames go to a guest on another host: published on the room bus's
    /// `channel` (see `share`), with an `alive` message after `heartbeat` without frames. The
    /// same bound applies: a guest whose host cannot keep up (the bus is too slow) is dropped.
    pub fn remote(
        bus: Arc<dyn RoomBus>,
        channel: String,
        limit: usize,
        heartbeat: Duration,
    ) -> Outbox {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        tokio::spawn(publish(bus, channel, rx, queued.clone(), heartbeat));
        Outbox {
            tx,
            queued,
            overflowed: Arc::new(AtomicBool::new(false)),
            limit,
        }
    }

    fn push(&self, out: Out) -> Result<(), Overflow> {
        if self.overflowed.load(Ordering::Relaxed) {
            return Err(Overflow);
        }
        let len = out.len();
        let before = self.queued.fetch_add(len, Ordering::Relaxed);
        if before + len > self.limit && before > 0 {
            self.queued.fetch_sub(len, Ordering::Relaxed);
            self.overflowed.store(true, Ordering::Relaxed);
            return Err(Overflow);
        }
        // The writer is gone only when the socket is: the reader notices that on its own.
        if self.tx.send(out).is_err() {
            self.queued.fetch_sub(len, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Queues a JSON frame.
    pub fn json(&self, frame: &Value) -> Result<(), Overflow> {
        self.push(Out::Text(frame.to_string()))
    }

    /// Queues a JSON frame already encoded (a frame relayed from another host).
    pub fn text(&self, text: String) -> Result<(), Overflow> {
        self.push(Out::Text(text))
    }

    /// Queues a binary (audio) frame.
    pub fn binary(&self, bytes: Vec<u8>) -> Result<(), Overflow> {
        self.push(Out::Binary(Bytes::from(bytes)))
    }

    /// Whether this socket fell too far behind (nothing more is queued for it).
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Queues the last frames (past the limit: they are small and the client should learn why
    /// it is dropped) and closes the socket after them.
    pub fn finish(&self, frames: &[Value]) {
        for frame in frames {
            let _ = self.tx.send(Out::Text(frame.to_string()));
        }
        let _ = self.tx.send(Out::Close);
    }
}

async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::UnboundedReceiver<Out>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(out) = rx.recv().await {
        queued.fetch_sub(out.len(), Ordering::Relaxed);
        let message = match out {
            Out::Text(text) => Message::Text(text.into()),
            Out::Binary(bytes) => Message::Binary(bytes),
            Out::Close => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code: close_code::NORMAL,
                        reason: "conversation closed".into(),
                    })))
                    .await;
                let _ = sink.close().await;
                return;
            }
        };
        if sink.send(message).await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

/// The writer of a remote guest's queue: publishes each frame on the bus, and `alive` when
/// nothing was sent for `heartbeat`.
async fn publish(
    bus: Arc<dyn RoomBus>,
    channel: String,
    mut rx: mpsc::UnboundedReceiver<Out>,
    queued: Arc<AtomicUsize>,
    heartbeat: Duration,
) {
    loop {
        let message = match tokio::time::timeout(heartbeat, rx.recv()).await {
            Err(_) => ToGuest::Alive,
            Ok(Some(out)) => {
                queued.fetch_sub(out.len(), Ordering::Relaxed);
                match out {
                    Out::Text(text) => ToGuest::Text(text),
                    Out::Binary(bytes) => ToGuest::Audio(bytes.to_vec()),
                    Out::Close => ToGuest::Close,
                }
            }
            // Every sender is gone: the guest's socket closes.
            Ok(None) => ToGuest::Close,
        };
        let last = message == ToGuest::Close;
        if let Err(e) = bus.publish(&channel, message.encode()).await {
            // The guest's host stops hearing from the room and ends the guest's socket.
            tracing::warn!(channel = %channel, "cannot reach a remote guest: {e}");
        }
        if last {
            return;
        }
    }
}
