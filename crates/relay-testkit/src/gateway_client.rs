//! A WebSocket client for the voice gateway's tests (protocol 1, docs/serve.md): JSON text
//! frames and binary audio frames, read with a hang guard.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A frame the client received.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A text frame, parsed.
    Json(Value),
    /// A binary (audio) frame.
    Audio(Vec<u8>),
    /// The server closed the socket.
    Closed,
}

impl Frame {
    /// The frame's `type` (`<audio>` / `<closed>` for the others).
    pub fn kind(&self) -> &str {
        match self {
            Frame::Json(v) => v["type"].as_str().unwrap_or(""),
            Frame::Audio(_) => "<audio>",
            Frame::Closed => "<closed>",
        }
    }
    /// The JSON of a text frame; panics for the others.
    pub fn json(&self) -> &Value {
        match self {
            Frame::Json(v) => v,
            other => panic!("not JSON: {other:?}"),
        }
    }
}

/// A connected client.
pub struct Client {
    /// The socket.
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Connects to `url` (`ws://HOST:PORT/v1/conversation?...`); panics when the upgrade fails.
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the upgrade succeeds");
        Client { ws }
    }

    /// Connects to `url`, or the refusal: its HTTP status and JSON body (`Null` when not
    /// JSON). Status 0 is no HTTP answer at all (nobody listens, or the connection was reset),
    /// with the error as `{"error": ...}`.
    pub async fn try_connect(url: &str) -> Result<Client, (u16, Value)> {
        match tokio_tungstenite::connect_async(url).await {
            Ok((ws, _)) => Ok(Client { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = serde_json::from_slice(response.body().as_deref().unwrap_or_default())
                    .unwrap_or(Value::Null);
                Err((response.status().as_u16(), body))
            }
            Err(e) => Err((0, serde_json::json!({ "error": e.to_string() }))),
        }
    }

    /// Connects with `Authorization: Bearer TOKEN` (a server with a team); panics when the
    /// upgrade fails.
    pub async fn connect_with_token(url: &str, token: &str) -> Client {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().expect("a WebSocket URL");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("a header value"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the upgrade succeeds");
        Client { ws }
    }

    /// Sends a JSON text frame.
    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends a text frame as is.
    pub async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends one binary frame.
    pub async fn audio(&mut self, pcm: Vec<u8>) {
        self.ws.send(Message::Binary(pcm.into())).await.unwrap();
    }

    /// Sends `pcm` in 100 ms frames.
    pub async fn speak(&mut self, pcm: &[u8]) {
        for chunk in pcm.chunks(4800) {
            self.audio(chunk.to_vec()).await;
        }
    }

    /// The next frame (`Closed` once the socket is).
    pub async fn next(&mut self) -> Frame {
        loop {
            match self.ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Frame::Closed,
                Some(Ok(Message::Text(t))) => {
                    return Frame::Json(serde_json::from_str(t.as_str()).expect("JSON frame"));
                }
                Some(Ok(Message::Binary(b))) => return Frame::Audio(b.to_vec()),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Frames until `stop` matches (inclusive); fails after 60 s (a hang guard, no timing).
    pub async fn until(&mut self, mut stop: impl FnMut(&Frame) -> bool) -> Vec<Frame> {
        let mut seen = Vec::new();
        let result = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let frame = self.next().await;
                let done = stop(&frame) || frame == Frame::Closed;
                seen.push(frame);
                if done {
                    return;
                }
            }
        })
        .await;
        assert!(
            result.is_ok(),
            "timed out; frames so far: {:#?}",
            summary(&seen)
        );
        seen
    }

    /// Frames until one of type `kind`; returns them all (the last is it).
    pub async fn until_type(&mut self, kind: &str) -> Vec<Frame> {
        let frames = self.until(|f| f.kind() == kind).await;
        assert_eq!(
            frames.last().map(Frame::kind),
            Some(kind),
            "the socket closed first: {:#?}",
            summary(&frames)
        );
        frames
    }

    /// The next frame of type `kind`.
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.until_type(kind).await.last().unwrap().json().clone()
    }

    /// The first frame of each of `kinds`, in whatever order they come.
    ///
    /// # Panics
    /// When the socket closes before all of them came.
    pub async fn first_of_each<const N: usize>(&mut self, kinds: [&str; N]) -> [Value; N] {
        let mut found: [Option<Value>; N] = std::array::from_fn(|_| None);
        self.until(|f| {
            if let Some(i) = kinds.iter().position(|k| *k == f.kind())
                && found[i].is_none()
            {
                found[i] = Some(f.json().clone());
            }
            found.iter().all(Option::is_some)
        })
        .await;
        found.map(|f| f.expect("the socket closed first"))
    }
}

/// In a shared session on the echoing fake model ([`crate::realtime::Scenario::new`]):
/// `clients[0]` types `text`, and every client — the speaker too — sees it transcribed as
/// `speaker`'s and hears the model's spoken echo (`You said: TEXT`, with audio).
///
/// # Panics
/// When a client misses any of it (a socket that closes first included).
pub async fn typed_turn_reaches_everyone(clients: &mut [&mut Client], speaker: &str, text: &str) {
    clients[0]
        .send(serde_json::json!({"type": "text", "text": text}))
        .await;
    let reply = format!("You said: {text}");
    for client in clients.iter_mut() {
        let frames = client
            .until(|f| f.kind() == "assistant_text" && f.json()["text"] == reply.as_str())
            .await;
        let said = frames
            .iter()
            .find(|f| f.kind() == "user_transcript")
            .unwrap_or_else(|| panic!("no transcript of {text:?}: {:#?}", summary(&frames)))
            .json();
        assert_eq!(said["text"], text, "{said}");
        assert_eq!(said["speaker"], speaker, "{said}");
        assert!(
            frames.iter().any(|f| matches!(f, Frame::Audio(_))),
            "no reply audio: {:#?}",
            summary(&frames)
        );
    }
}

/// Frames without the audio bytes, for failure messages.
pub fn summary(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .map(|f| match f {
            Frame::Audio(a) => format!("<{} audio bytes>", a.len()),
            Frame::Json(v) => v.to_string(),
            Frame::Closed => "<closed>".into(),
        })
        .collect()
}
