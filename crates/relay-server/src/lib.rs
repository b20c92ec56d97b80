//! # relay-server
//!
//! Relay's HTTP server: GitHub webhooks that drive `sync_rules` and CI notifications
//! (`POST /webhooks/github`) and a health check (`GET /healthz`), served by `relay serve` or
//! mounted as an [`axum::Router`] in your own service:
//!
//! ```no_run
//! # async fn example(graph: std::sync::Arc<dyn relay_core::RepoGraph>) -> Result<(), relay_server::ServerError> {
//! use relay_server::{Server, webhooks::{Webhooks, WebhookSecret}};
//!
//! let webhooks = Webhooks::builder(graph)
//!     .secret(WebhookSecret::new("from your secret store").expect("not empty"))
//!     .build()?;
//! let mut events = webhooks.subscribe();          // jobs' events: progress, notifications
//! tokio::spawn(async move {
//!     while let Ok(event) = events.recv().await {
//!         if let relay_core::EventKind::Notification(n) = &event.kind {
//!             println!("{}", n.sentence());     // "CI on backend is green again."
//!         }
//!     }
//! });
//! // Your own service: merge Relay's routes beside yours...
//! let app = axum::Router::new().merge(relay_server::router(&webhooks));
//! // ...or let Relay serve them.
//! let server = Server::bind("127.0.0.1:8080").await?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>(); // fire `stop` on SIGTERM
//! server.serve(app, async { let _ = stopped.await; }).await?;
//! let report = webhooks.shutdown(std::time::Duration::from_secs(30)).await;
//! # Ok(()) }
//! ```
//!
//! Other routes are routers of their own, merged or nested beside these with
//! [`axum::Router::merge`] / [`axum::Router::nest`]: the voice gateway
//! ([`gateway::Gateway::router`], `GET /v1/conversation`, protocol in docs/serve.md) and an MCP
//! service at `/mcp`.

mod error;
pub mod gateway;
mod health;
mod serve;
pub mod webhooks;

/// The axum version the routers are built with, for mounting them in your own service.
pub use axum;
pub use error::ServerError;
pub use health::HEALTH_PATH;
pub use serve::{DEFAULT_BIND, Server};

/// Relay's routes: `GET /healthz` and `POST /webhooks/github` (see [`webhooks`]).
pub fn router(webhooks: &webhooks::Webhooks) -> axum::Router {
    health::router().merge(webhooks.router())
}
