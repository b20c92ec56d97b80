//! The WebSocket handshake: reads the `model` query parameter, checks the bearer key when the
//! scenario requires one (answering 401 like the service), and logs what it saw.

use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::super::Shared;
use super::conn::Ws;

/// Accepts the handshake on `stream` and records the model, bearer presence and header names
/// in log `idx` (also when the handshake fails). Returns the socket and the requested model.
pub(super) async fn accept(
    stream: TcpStream,
    shared: &Shared,
    idx: usize,
) -> Option<(Ws, Option<String>)> {
    let required = shared.scenario.api_key.clone();
    let refusing = shared.refusing.load(std::sync::atomic::Ordering::SeqCst);
    let mut model = None;
    let mut had_bearer = false;
    let mut header_names = Vec::new();
    // The signature is fixed by tungstenite's handshake callback.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        model = req
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("model=")))
            .map(str::to_string);
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        had_bearer = auth.starts_with("Bearer ");
        header_names = req
            .headers()
            .keys()
            .map(|k| k.as_str().to_string())
            .collect();
        if refusing {
            let body = json!({"error": {"type": "server_error", "code": "service_unavailable",
                              "message": "The server is temporarily unavailable."}})
            .to_string();
            let mut r = ErrorResponse::new(Some(body));
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return Err(r);
        }
        if let Some(key) = &required
            && auth != format!("Bearer {key}")
        {
            let body = json!({"error": {"type": "invalid_request_error", "code": "invalid_api_key",
                              "message": "Incorrect API key provided."}})
            .to_string();
            let mut r = ErrorResponse::new(Some(body));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            return Err(r);
        }
        Ok(resp)
    };
    let ws = tokio_tungstenite::accept_hdr_async(stream, callback).await;
    shared.with_log(idx, |l| {
        l.model = model.clone();
        l.had_bearer = had_bearer;
        l.header_names = header_names.clone();
    });
    let ws = ws.ok()?;
    Some((ws, model))
}
