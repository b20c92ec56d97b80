//! `POST /webhooks/github`: size, signature, headers, payload, redelivery, queue — in that order,
//! and nothing is acted on unless every check passed.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::mpsc::error::TrySendError;

use super::Shared;
use super::durable::Accepted;
use super::payload::parse;
use super::worker::Delivery;

/// Longest `X-GitHub-Delivery` accepted (GitHub sends a 36-character GUID).
const MAX_DELIVERY_ID: usize = 128;

/// Seconds GitHub (or a person pressing "Redeliver") is asked to wait when the queue is full.
const RETRY_AFTER_SECS: &str = "10";

pub(super) async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (event, outcome, response) = check_and_queue(&shared, &headers, body).await;
    shared.metrics.webhook_delivery(event, outcome);
    response
}

/// The event's name for metrics: GitHub's (a short snake_case word) once the signature is
/// verified, else `unverified` — so that unsigned requests cannot invent label values.
fn event_label(headers: &HeaderMap, verified: bool) -> &str {
    match header_str(headers, "x-github-event") {
        Some(e)
            if verified
                && e.len() <= 40
                && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
        {
            e
        }
        Some(_) if verified => "other",
        _ if verified => "none",
        _ => "unverified",
    }
}

/// The answer, and the event and outcome to count.
async fn check_and_queue<'h>(
    shared: &Shared,
    headers: &'h HeaderMap,
    body: Body,
) -> (&'h str, &'static str, Response) {
    let unverified = event_label(headers, false);
    let limit = shared.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return (unverified, "too_large", too_large(limit));
    }
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return (unverified, "too_large", too_large(limit));
    };
    let signature = headers.get("x-hub-signature-256").map(|v| v.as_bytes());
    if let Err(e) = shared.secret.verify(&body, signature) {
        tracing::warn!(error = %e, "webhook delivery refused");
        return (
            unverified,
            "bad_signature",
            reply(StatusCode::UNAUTHORIZED, "error", &e.to_string()),
        );
    }
    let label = event_label(headers, true);
    let Some(event) = header_str(headers, "x-github-event") else {
        return (
            label,
            "bad_request",
            bad_request("missing X-GitHub-Event header: is this a GitHub webhook delivery?"),
        );
    };
    let Some(id) =
        header_str(headers, "x-github-delivery").filter(|id| id.len() <= MAX_DELIVERY_ID)
    else {
        return (
            label,
            "bad_request",
            bad_request(
                "missing or overlong X-GitHub-Delivery header: is this a GitHub webhook delivery?",
            ),
        );
    };
    let payload = match json_of(headers, &body) {
        Ok(payload) => payload,
        Err(message) => return (label, "bad_request", bad_request(&message)),
    };
    let event = match parse(event, &payload) {
        Ok(event) => event,
        Err(e) => return (label, "bad_request", bad_request(&e.to_string())),
    };
    if let Some(durable) = &shared.durable {
        let (outcome, response) = queue_in_store(shared, durable, id, &event).await;
        return (label, outcome, response);
    }
    if !shared.log.insert(id) {
        tracing::info!(delivery = %id, "redelivery of an accepted delivery; not acted on again");
        return (
            label,
            "duplicate",
            reply(StatusCode::OK, "status", "already received"),
        );
    }
    match shared.queue.try_send(Delivery {
        id: id.to_owned(),
        event,
    }) {
        Ok(()) => (
            label,
            "accepted",
            reply(StatusCode::ACCEPTED, "status", "accepted"),
        ),
        Err(e) => {
            shared.log.remove(id);
            let (outcome, why) = match e {
                TrySendError::Full(_) => ("queue_full", "the webhook queue is full; retry later"),
                TrySendError::Closed(_) => {
                    ("shutting_down", "the server is shutting down; retry later")
                }
            };
            (label, outcome, unavailable(id, why))
        }
    }
}

/// Records the delivery and queues its job in the store (see `durable`); the outcome to count
/// and the answer.
async fn queue_in_store(
    shared: &Shared,
    durable: &super::Durable,
    id: &str,
    event: &super::payload::WebhookEvent,
) -> (&'static str, Response) {
    if shared.queue.is_closed() {
        return (
            "shutting_down",
            unavailable(id, "the server is shutting down; retry later"),
        );
    }
    let workspace = durable.graph.workspace();
    match super::durable::accept(&durable.store, workspace, &durable.ci, id, event).await {
        Ok(Accepted::Queued(job)) => {
            tracing::info!(delivery = %id, job = ?job, "webhook delivery queued in the store");
            (
                "accepted",
                reply(StatusCode::ACCEPTED, "status", "accepted"),
            )
        }
        Ok(Accepted::Redelivery) => {
            tracing::info!(delivery = %id, "redelivery of an accepted delivery; not acted on again");
            (
                "duplicate",
                reply(StatusCode::OK, "status", "already received"),
            )
        }
        Err(e) => {
            tracing::error!(delivery = %id, error = %e, "the delivery could not be queued in the store");
            (
                "store_unavailable",
                unavailable(id, "the store could not queue the delivery; retry later"),
            )
        }
    }
}

fn unavailable(id: &str, why: &str) -> Response {
    tracing::warn!(delivery = %id, "{why}");
    let mut response = reply(StatusCode::SERVICE_UNAVAILABLE, "error", why);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    response
}

/// The JSON payload: the body itself, or its `payload` field when GitHub was set to send
/// `application/x-www-form-urlencoded`.
fn json_of(headers: &HeaderMap, body: &Bytes) -> Result<Bytes, String> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok(body.clone());
    }
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| Bytes::from(v.into_owned()))
        .ok_or_else(|| "a form-encoded delivery without a `payload` field; set the webhook's content type to application/json".to_owned())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn too_large(limit: usize) -> Response {
    reply(
        StatusCode::PAYLOAD_TOO_LARGE,
        "error",
        &format!("the body is larger than {limit} bytes, GitHub's limit for webhook payloads"),
    )
}

fn bad_request(message: &str) -> Response {
    tracing::warn!("webhook delivery refused: {message}");
    reply(StatusCode::BAD_REQUEST, "error", message)
}

/// `{"<key>": "<message>"}` with `status`.
pub(crate) fn reply(status: StatusCode, key: &str, message: &str) -> Response {
    let body = serde_json::json!({ key: message }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
