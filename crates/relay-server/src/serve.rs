//! [`Server`]: a bound listener that serves a router until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;

use crate::ServerError;

/// The address `relay serve` listens on by default.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// A listening socket, ready to serve a router.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    local: SocketAddr,
}

impl Server {
    /// Binds `addr` (`HOST:PORT`; port 0 picks a free port, see [`Server::local_addr`]).
    pub async fn bind(addr: &str) -> Result<Server, ServerError> {
        let (listener, local) = crate::error::bind(addr).await?;
        Ok(Server { listener, local })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves `router` until `shutdown` completes; then stops accepting connections and lets
    /// requests in flight finish (queued webhook deliveries are the caller's:
    /// [`Webhooks::shutdown`](crate::webhooks::Webhooks::shutdown)).
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        tracing::info!(addr = %self.local, "relay server listening");
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServerError::Serve)
    }
}
