//! The server: binds loopback, answers each `POST /v1/messages` with the next scripted turn.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::http::{read_request, response, sse_head};
use super::script::{Script, Turn};
use super::sse::Reply;

/// One request the CLI sent, as received (auth headers are not kept).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path with query, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// Parsed JSON body (`Value::Null` when the body was empty or not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// Whether this is a model turn request (not `count_tokens` or a probe).
    pub fn is_messages(&self) -> bool {
        self.method == "POST"
            && (self.path == "/v1/messages" || self.path.starts_with("/v1/messages?"))
    }
}

#[derive(Default)]
struct State {
    script: Script,
    next_turn: usize,
    requests: Vec<RecordedRequest>,
}

/// A running fake Anthropic API. Dropping it stops the server and closes hung streams.
pub struct FakeAnthropic {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: watch::Sender<bool>,
}

impl FakeAnthropic {
    /// Starts a server on an ephemeral loopback port.
    pub async fn start(script: Script) -> std::io::Result<Self> {
        Self::start_on(script, 0).await
    }

    /// Starts a server on `port` of 127.0.0.1 (0 picks a free port).
    pub async fn start_on(script: Script, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            script,
            ..State::default()
        }));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept_state = state.clone();
        tokio::spawn(async move {
            let mut stop = shutdown_rx.clone();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let state = accept_state.clone();
                        let stop = shutdown_rx.clone();
                        tokio::spawn(async move { let _ = serve(stream, state, stop).await; });
                    }
                    _ = stop.changed() => break,
                }
            }
        });
        Ok(Self {
            addr,
            state,
            shutdown,
        })
    }

    /// The base URL to put in `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().expect("state lock").requests.clone()
    }

    /// Only the model turn requests (`POST /v1/messages`), in order.
    pub fn message_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_messages)
            .collect()
    }

    /// How many scripted turns have been served.
    pub fn turns_served(&self) -> usize {
        self.state.lock().expect("state lock").next_turn
    }
}

impl Drop for FakeAnthropic {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn serve(
    mut stream: TcpStream,
    state: Arc<Mutex<State>>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let recorded = RecordedRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        body,
    };
    let is_messages = recorded.is_messages();
    let is_count = request.path.starts_with("/v1/messages/count_tokens");
    let wants_stream = recorded.body.get("stream").and_then(Value::as_bool) == Some(true);
    let model = recorded
        .body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("claude-fake")
        .to_string();

    let (turn, turn_index) = {
        let mut st = state.lock().expect("state lock");
        st.requests.push(recorded);
        if is_messages {
            let index = st.next_turn;
            st.next_turn += 1;
            (st.script.turns.get(index).cloned(), Some(index))
        } else {
            (None, None)
        }
    };

    if is_count {
        let body = json!({"input_tokens": 100}).to_string();
        return stream
            .write_all(&response(200, "application/json", body.as_bytes()))
            .await;
    }
    let Some(index) = turn_index else {
        // Probes such as `HEAD /api/hello`: answer politely, nothing else is served here.
        let status = if request.method == "HEAD" { 200 } else { 404 };
        return stream.write_all(&response(status, "text/plain", b"")).await;
    };
    let Some(turn) = turn else {
        let total = index;
        return write_error(
            &mut stream,
            400,
            "invalid_request_error",
            &format!(
                "fake Anthropic API: the script has {total} turns and request {} is unscripted",
                index + 1
            ),
        )
        .await;
    };

    match turn {
        Turn::Error {
            status,
            error_type,
            message,
        } => write_error(&mut stream, status, &error_type, &message).await,
        Turn::Reply {
            text,
            tool_uses,
            usage,
        } => {
            let reply = Reply {
                message_id: format!("msg_fake_{index:04}"),
                model,
                text: text.as_deref(),
                tool_uses: tool_uses
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let id =
                            t.id.clone()
                                .unwrap_or_else(|| format!("toolu_fake_{index:04}_{i}"));
                        (id, t)
                    })
                    .collect(),
                usage: usage.unwrap_or_default(),
            };
            if wants_stream {
                stream.write_all(sse_head()).await?;
                stream.write_all(&reply.sse_events()).await?;
                stream.flush().await
            } else {
                let body = reply.message_json().to_string();
                stream
                    .write_all(&response(200, "application/json", body.as_bytes()))
                    .await
            }
        }
        Turn::Hang => {
            let reply = Reply {
                message_id: format!("msg_fake_{index:04}"),
                model,
                text: None,
                tool_uses: Vec::new(),
                usage: Default::default(),
            };
            stream.write_all(sse_head()).await?;
            stream.write_all(&reply.message_start_event()).await?;
            stream.flush().await?;
            // Keep the connection open and silent until the server is dropped.
            let _ = stop.wait_for(|stopped| *stopped).await;
            Ok(())
        }
    }
}

async fn write_error(
    stream: &mut TcpStream,
    status: u16,
    error_type: &str,
    message: &str,
) -> std::io::Result<()> {
    let body =
        json!({"type": "error", "error": {"type": error_type, "message": message}}).to_string();
    stream
        .write_all(&response(status, "application/json", body.as_bytes()))
        .await
}
