//! One client conversation over protocol 1: connect, wait for `ready`, wait for the signal to
//! start, then do the planned turns — typed text, or speech (a tone then silence, sent in real
//! time as PCM16 frames) — each until its reply's `response_done`, recording when every frame
//! went out and came in.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;

/// What a turn sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnKind {
    /// A `text` frame.
    Text,
    /// Speech then silence as binary audio frames; the service's voice activity detection ends
    /// the turn.
    Speech,
}

/// What happened in one turn, as the client saw it.
#[derive(Debug, Clone)]
pub struct TurnRecord {
    /// What the turn sent.
    pub kind: TurnKind,
    /// The typed text (text turns).
    pub text: Option<String>,
    /// When the turn's first frame went out.
    pub started: std::time::Instant,
    /// When the `text` frame went out (text turns).
    pub text_sent: Option<std::time::Instant>,
    /// The turn's audio frames: indices into [`ConversationRecord::frames_sent`].
    pub frames: std::ops::Range<usize>,
    /// When the reply's first audio frame arrived.
    pub first_audio: Option<std::time::Instant>,
    /// That frame's index in [`ConversationRecord::frames_received`].
    pub first_audio_frame: Option<usize>,
    /// Reply audio received, bytes.
    pub audio_bytes: usize,
    /// The reply's transcript (`assistant_text`).
    pub reply_text: Option<String>,
    /// The `response_done` status (`completed`, ...); `None` when it never came.
    pub status: Option<String>,
    /// When `response_done` arrived.
    pub done: Option<std::time::Instant>,
}

impl TurnRecord {
    /// The turn got reply audio and a completed response.
    pub fn answered(&self) -> bool {
        self.audio_bytes > 0 && self.status.as_deref() == Some("completed")
    }
}

/// Everything one conversation recorded.
#[derive(Debug, Clone, Default)]
pub struct ConversationRecord {
    /// 0-based conversation number.
    pub id: usize,
    /// The tag its text turns carry (`[load c7]`), which finds its Realtime connection.
    pub marker: String,
    /// It got `ready`.
    pub ready: bool,
    /// Why it stopped early, if it did.
    pub failure: Option<String>,
    /// `error` frames received (`code: message`).
    pub errors: Vec<String>,
    /// When each audio frame went out, in order.
    pub frames_sent: Vec<std::time::Instant>,
    /// When each audio frame came in, in order.
    pub frames_received: Vec<std::time::Instant>,
    /// The turns, in order.
    pub turns: Vec<TurnRecord>,
}

/// What each conversation does.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub turns: usize,
    pub frame_ms: u32,
    pub speech_ms: u32,
    pub silence_ms: u32,
    pub turn_timeout: Duration,
    /// The run's deadline: the conversation stops there, whatever it was doing.
    pub deadline: Instant,
}

/// An incoming frame and when it arrived.
enum Incoming {
    Audio(usize),
    Json(Value),
    Closed,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `ms` of PCM16 24 kHz mono: a 440 Hz tone at about -12 dBFS, or silence.
pub(crate) fn pcm16(ms: u32, loud: bool) -> Vec<u8> {
    let samples = 24 * ms as usize;
    let mut out = Vec::with_capacity(samples * 2);
    for i in 0..samples {
        let v = if loud {
            (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 24000.0).sin()) as i16
        } else {
            0
        };
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Runs conversation `id` against `url`: reports `Ok`/`Err` on `opened` once it is ready (or
/// could not be), waits until `go` turns true, sleeps `delay`, then does `plan`'s turns.
pub(crate) async fn converse(
    id: usize,
    url: String,
    plan: Plan,
    delay: Duration,
    opened: mpsc::UnboundedSender<bool>,
    mut go: watch::Receiver<bool>,
) -> ConversationRecord {
    let mut conv = Conversation {
        record: ConversationRecord {
            id,
            marker: format!("[load c{id}]"),
            ..ConversationRecord::default()
        },
        incoming: None,
        turn: None,
        global: plan.deadline,
    };
    let mut sink = match conv.open(&url, plan.turn_timeout).await {
        Ok(sink) => sink,
        Err(e) => {
            conv.record.failure = Some(e);
            let _ = opened.send(false);
            return conv.record;
        }
    };
    let _ = opened.send(true);
    if go.wait_for(|go| *go).await.is_err() {
        conv.record.failure = Some("the run ended before the turns started".into());
        return conv.record;
    }
    tokio::time::sleep(delay).await;
    for n in 0..plan.turns {
        let kind = if n % 2 == 0 {
            TurnKind::Text
        } else {
            TurnKind::Speech
        };
        if let Err(e) = conv.turn(&mut sink, &plan, n, kind).await {
            conv.record.failure = Some(format!("turn {n}: {e}"));
            break;
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    // Whatever is still in flight, until the server closes (briefly).
    let _ = timeout(Duration::from_secs(2), conv.drain_until_closed()).await;
    conv.record
}

struct Conversation {
    record: ConversationRecord,
    incoming: Option<mpsc::UnboundedReceiver<(std::time::Instant, Incoming)>>,
    /// The turn in progress.
    turn: Option<TurnRecord>,
    /// The run's deadline.
    global: Instant,
}

type Sink = futures::stream::SplitSink<Socket, Message>;

impl Conversation {
    /// Connects and waits for `ready`; returns the write half (the read half feeds `incoming`).
    async fn open(&mut self, url: &str, within: Duration) -> Result<Sink, String> {
        let (socket, _) = timeout(within, tokio_tungstenite::connect_async(url))
            .await
            .map_err(|_| format!("no WebSocket connection within {within:?}"))?
            .map_err(|e| format!("cannot connect: {e}"))?;
        let (sink, mut stream) = socket.split();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(msg) = stream.next().await {
                let at = std::time::Instant::now();
                let incoming = match msg {
                    Ok(Message::Binary(b)) => Incoming::Audio(b.len()),
                    Ok(Message::Text(t)) => match serde_json::from_str(t.as_str()) {
                        Ok(v) => Incoming::Json(v),
                        Err(_) => Incoming::Json(
                            json!({"type": "error", "code": "not_json", "message": t.as_str()}),
                        ),
                    },
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                if tx.send((at, incoming)).is_err() {
                    return;
                }
            }
            let _ = tx.send((std::time::Instant::now(), Incoming::Closed));
        });
        self.incoming = Some(rx);
        let deadline = Instant::now() + within;
        while !self.record.ready {
            if !self.next_until(deadline).await? {
                return Err(format!("no `ready` within {within:?}"));
            }
        }
        Ok(sink)
    }

    /// Handles the next incoming frame, or returns `Ok(false)` at `deadline`.
    async fn next_until(&mut self, deadline: Instant) -> Result<bool, String> {
        let global = self.global;
        let rx = self.incoming.as_mut().expect("opened");
        let next = tokio::select! {
            next = rx.recv() => next,
            _ = sleep_until(deadline.min(global)) => {
                if Instant::now() >= global {
                    return Err("the run's deadline passed".into());
                }
                return Ok(false);
            }
        };
        match next {
            None | Some((_, Incoming::Closed)) => Err(format!(
                "the server closed the conversation; errors: {:?}",
                self.record.errors
            )),
            Some((at, Incoming::Audio(len))) => {
                self.record.frames_received.push(at);
                let index = self.record.frames_received.len() - 1;
                if let Some(turn) = self.turn.as_mut() {
                    if turn.first_audio.is_none() {
                        turn.first_audio = Some(at);
                        turn.first_audio_frame = Some(index);
                    }
                    turn.audio_bytes += len;
                }
                Ok(true)
            }
            Some((at, Incoming::Json(frame))) => {
                self.frame(at, &frame);
                Ok(true)
            }
        }
    }

    /// A JSON frame from the server.
    fn frame(&mut self, at: std::time::Instant, frame: &Value) {
        match frame["type"].as_str().unwrap_or("") {
            "ready" => self.record.ready = true,
            "error" => self.record.errors.push(format!(
                "{}: {}",
                frame["code"].as_str().unwrap_or("?"),
                frame["message"].as_str().unwrap_or("")
            )),
            "assistant_text" => {
                if let Some(turn) = self.turn.as_mut() {
                    turn.reply_text = frame["text"].as_str().map(str::to_string);
                }
            }
            "response_done" if frame["out_of_band"] != true => {
                if let Some(turn) = self.turn.as_mut()
                    && turn.status.is_none()
                {
                    turn.status = frame["status"].as_str().map(str::to_string);
                    turn.done = Some(at);
                }
            }
            _ => {}
        }
    }

    /// Does turn `n`: sends it, then waits for its `response_done`.
    async fn turn(
        &mut self,
        sink: &mut Sink,
        plan: &Plan,
        n: usize,
        kind: TurnKind,
    ) -> Result<(), String> {
        let first_frame = self.record.frames_sent.len();
        self.turn = Some(TurnRecord {
            kind,
            text: None,
            started: std::time::Instant::now(),
            text_sent: None,
            frames: first_frame..first_frame,
            first_audio: None,
            first_audio_frame: None,
            audio_bytes: 0,
            reply_text: None,
            status: None,
            done: None,
        });
        let deadline = Instant::now() + plan.turn_timeout;
        match kind {
            TurnKind::Text => {
                let text = format!("{} t{n}: how are the builds?", self.record.marker);
                let frame = json!({"type": "text", "text": text}).to_string();
                let turn = self.turn.as_mut().expect("turn");
                turn.text = Some(text);
                turn.text_sent = Some(std::time::Instant::now());
                sink.send(Message::text(frame))
                    .await
                    .map_err(|e| format!("send: {e}"))?;
            }
            TurnKind::Speech => {
                let speech = pcm16(plan.frame_ms, true);
                let silence = pcm16(plan.frame_ms, false);
                let loud = plan.speech_ms.div_ceil(plan.frame_ms);
                let quiet = plan.silence_ms.div_ceil(plan.frame_ms);
                let start = Instant::now();
                for k in 0..loud + quiet {
                    let due = start + Duration::from_millis(u64::from(k * plan.frame_ms));
                    while self.next_until(due).await? {}
                    let bytes = if k < loud { &speech } else { &silence };
                    self.record.frames_sent.push(std::time::Instant::now());
                    sink.send(Message::binary(bytes.clone()))
                        .await
                        .map_err(|e| format!("send: {e}"))?;
                }
                let sent = self.record.frames_sent.len();
                self.turn.as_mut().expect("turn").frames = first_frame..sent;
            }
        }
        while self.turn.as_ref().is_some_and(|t| t.done.is_none()) {
            if !self.next_until(deadline).await? {
                let turn = self.turn.take().expect("turn");
                let audio = turn.audio_bytes;
                self.record.turns.push(turn);
                return Err(format!(
                    "no response_done within {:?} ({audio} bytes of reply audio; errors: {:?})",
                    plan.turn_timeout, self.record.errors
                ));
            }
        }
        self.record.turns.push(self.turn.take().expect("turn"));
        Ok(())
    }

    /// Reads until the server closes the socket (or the run's deadline).
    async fn drain_until_closed(&mut self) {
        let far = Instant::now() + Duration::from_secs(3600);
        while let Ok(true) = self.next_until(far).await {}
    }
}
