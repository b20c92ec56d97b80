//! Streamable HTTP: [`McpServer::http_router`] for an HTTP server to mount (`relay serve` at
//! `/mcp`), [`McpServer::serve_http`] to listen on an address by itself.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::{McpError, McpServer};

/// How the Streamable HTTP endpoint is served.
#[derive(Clone, Default)]
pub struct HttpOptions {
    token: Option<Arc<str>>,
    allowed_hosts: Vec<String>,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("allowed_hosts", &self.allowed_hosts)
            .finish()
    }
}

impl HttpOptions {
    /// No token, loopback `Host`s only (`localhost`, `127.0.0.1`, `::1`): what a local
    /// client needs and what stops DNS rebinding.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `Authorization: Bearer <token>` on every request (401 otherwise). Never
    /// logged.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Arc::from(token.into()));
        self
    }

    /// Also accepts requests whose `Host` is `host` (a name or `name:port`), for a server
    /// reached by a public name.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Ends every session and stops serving when `token` is cancelled.
    pub fn shutdown(mut self, token: CancellationToken) -> Self {
        self.shutdown = token;
        self
    }
}

impl McpServer {
    /// The Streamable HTTP endpoint as a router serving MCP at `/` — for an HTTP server to
    /// mount with `Router::nest_service("/mcp", ...)`. Each MCP session gets its own session
    /// context.
    pub fn http_router(&self, options: HttpOptions) -> Router {
        let mut config = StreamableHttpServerConfig::default();
        config.cancellation_token = options.shutdown.clone();
        config
            .allowed_hosts
            .extend(options.allowed_hosts.iter().cloned());
        let server = self.clone();
        let service = StreamableHttpService::new(
            move || Ok(server.for_connection()),
            Arc::new(LocalSessionManager::default()),
            config,
        );
        let router = Router::new().route_service("/", service);
        match options.token {
            Some(token) => router.layer(middleware::from_fn(move |req: Request, next: Next| {
                let token = token.clone();
                async move { bearer(&token, req, next).await }
            })),
            None => router,
        }
    }

    /// Listens on `addr` and serves MCP over Streamable HTTP at `/mcp` until `options`'
    /// shutdown token is cancelled. Calls `bound` with the address actually bound (port 0
    /// picks a free one).
    pub async fn serve_http(
        self,
        addr: SocketAddr,
        options: HttpOptions,
        bound: impl FnOnce(SocketAddr),
    ) -> Result<(), McpError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| McpError::Transport(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| McpError::Transport(e.to_string()))?;
        bound(local);
        self.serve_http_on(listener, options).await
    }

    /// Serves MCP over Streamable HTTP at `/mcp` on an already bound `listener` until
    /// `options`' shutdown token is cancelled.
    pub async fn serve_http_on(
        self,
        listener: tokio::net::TcpListener,
        options: HttpOptions,
    ) -> Result<(), McpError> {
        let shutdown = options.shutdown.clone();
        let app = Router::new().nest_service("/mcp", self.http_router(options));
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .map_err(|e| McpError::Transport(e.to_string()))
    }
}

async fn bearer(token: &str, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes())) {
        return next.run(req).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "missing or wrong bearer token: send `Authorization: Bearer <token>`",
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
