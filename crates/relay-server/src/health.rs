//! `GET /healthz`: the server is up.

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::webhooks::handler_reply;

/// The path of the health check.
pub const HEALTH_PATH: &str = "/healthz";

/// A router with `GET /healthz`, answering `{"status": "ok"}`.
pub(crate) fn router() -> Router {
    Router::new().route(HEALTH_PATH, get(health))
}

async fn health() -> Response {
    handler_reply(StatusCode::OK, "status", "ok")
}
