//! # relay-server
//!
//! Relay's HTTP server: GitHub webhooks that drive `sync_rules` and CI notifications
//! (`POST /webhooks/github`), a health check (`GET /healthz`), and the operations and security
//! layer every route passes ([`App`]: users' tokens and sign-in sessions, the WebSocket
//! `Origin` check, rate limiting of failures, `GET /readyz`, `GET /metrics`, request ids and
//! logs), served over HTTP or HTTPS by `relay serve` or mounted as an [`axum::Router`] in your
//! own service:
//!
//! ```no_run
//! # async fn example(graph: std::sync::Arc<dyn relay_core::RepoGraph>, auth: std::sync::Arc<dyn relay_server::auth::Authenticate>) -> Result<(), relay_server::ServerError> {
//! use relay_server::{Access, App, Server, TlsConfig, webhooks::{Webhooks, WebhookSecret}};
//!
//! let app = App::builder(Access::Tokens(auth)).tls(true).build();
//! let webhooks = Webhooks::builder(graph)
//!     .secret(WebhookSecret::new("from your secret store").expect("not empty"))
//!     .metrics(app.metrics())                      // relay_webhook_deliveries_total
//!     .build()?;
//! let mut events = webhooks.subscribe();          // jobs' events: progress, notifications
//! tokio::spawn(async move {
//!     while let Ok(event) = events.recv().await {
//!         if let relay_core::EventKind::Notification(n) = &event.kind {
//!             println!("{}", n.sentence());     // "CI on backend is green again."
//!         }
//!     }
//! });
//! // Relay's routes and yours, behind the same layers...
//! let routes = axum::Router::new().merge(relay_server::router(&webhooks));
//! let router = app.router(routes);
//! // ...served by Relay (or by axum::serve with connect info).
//! let server = Server::bind("0.0.0.0:8443").await?
//!     .tls(TlsConfig::from_pem_files("cert.pem", "key.pem")?);
//! app.check_bind(server.local_addr())?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>(); // fire `stop` on SIGTERM
//! server.serve(router, async { let _ = stopped.await; }).await?;
//! let report = webhooks.shutdown(std::time::Duration::from_secs(30)).await;
//! # Ok(()) }
//! ```
//!
//! Other routes are routers of their own, merged or nested into `routes` before
//! [`App::router`] wraps them: the voice gateway ([`gateway::Gateway::router`],
//! `GET /v1/conversation`, protocol in docs/serve.md), its page ([`gateway::page::router`],
//! `GET /`) and an MCP service at `/mcp`.

mod app;
pub mod auth;
mod client;
mod error;
pub mod gateway;
mod health;
pub mod metrics;
pub mod ready;
mod serve;
mod tls;
pub mod webhooks;

pub use app::{App, AppBuilder};
pub use auth::{Access, AuthError, Authenticate, Origin};
/// The axum version the routers are built with, for mounting them in your own service.
pub use axum;
pub use client::Client;
pub use error::ServerError;
pub use health::HEALTH_PATH;
pub use metrics::Metrics;
pub use ready::ReadyCheck;
pub use serve::{DEFAULT_BIND, Server};
pub use tls::TlsConfig;

/// Relay's routes: `GET /healthz` and `POST /webhooks/github` (see [`webhooks`]).
pub fn router(webhooks: &webhooks::Webhooks) -> axum::Router {
    health::router().merge(webhooks.router())
}

/// Relay's routes without a webhook receiver: `GET /healthz`, and `POST /webhooks/github`
/// answering 503 with a hint to set the secret ([`webhooks::disabled_router`]).
pub fn router_without_webhooks() -> axum::Router {
    health::router().merge(webhooks::disabled_router())
}
