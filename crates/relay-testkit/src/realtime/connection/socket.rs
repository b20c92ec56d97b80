//! The connection loop: accepts the socket, announces the session, then reads client events,
//! paces the active response, and ends on close, a forced disconnect or session expiry.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::super::{ConnectionLog, Shared};
use super::conn::{Conn, Flow};
use super::{handshake, session};

/// Serves one TCP connection until it ends, logging it as the next connection.
pub(crate) async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let idx = {
        let mut logs = shared.logs.lock().expect("log lock");
        logs.push(ConnectionLog::default());
        logs.len() - 1
    };
    let Some((mut ws, model)) = handshake::accept(stream, &shared, idx).await else {
        return;
    };
    let initial = session::initial(&shared, model.unwrap_or_else(|| "gpt-realtime".into()));
    let mut conn = Conn::new(shared.clone(), idx, initial);
    let created = json!({"type": "session.created", "session": conn.session});
    if conn.send(&mut ws, created).await.is_err() {
        return;
    }
    let expiry = shared
        .scenario
        .session_max_ms
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    let mut kill = shared.kill.subscribe();
    loop {
        let next_at = conn.active.as_ref().filter(|a| !a.held).map(|a| a.next_at);
        let flow = tokio::select! {
            _ = kill.recv() => Flow::Drop,
            _ = sleep_until(expiry.unwrap_or_else(Instant::now)), if expiry.is_some() => {
                let _ = conn.error(&mut ws, "invalid_request_error", "session_expired",
                    "Your session hit the maximum duration of 60 minutes.").await;
                let _ = ws.close(None).await;
                Flow::Drop
            }
            _ = sleep_until(next_at.unwrap_or_else(Instant::now)), if next_at.is_some() => {
                match conn.pump(&mut ws).await { Ok(()) => Flow::Continue, Err(()) => Flow::Drop }
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => conn.handle(&mut ws, text.as_str()).await.unwrap_or(Flow::Drop),
                Some(Ok(Message::Binary(_))) => {
                    let _ = conn.error(&mut ws, "invalid_request_error", "invalid_value",
                        "Binary frames are not supported; send JSON text events.").await;
                    Flow::Continue
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Flow::Drop,
                Some(Ok(_)) => Flow::Continue,
            },
        };
        if let Flow::Drop = flow {
            break;
        }
    }
    conn.save_conversation();
}
