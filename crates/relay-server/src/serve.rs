//! [`Server`]: a bound listener that serves a router until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::serve::ListenerExt;

use crate::ServerError;
use crate::tls::{TlsConfig, TlsListener};

/// The address `relay serve` listens on by default.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// A listening socket, ready to serve a router over HTTP, or HTTPS with [`Server::tls`].
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    local: SocketAddr,
    tls: Option<TlsConfig>,
}

impl Server {
    /// Binds `addr` (`HOST:PORT`; port 0 picks a free port, see [`Server::local_addr`]).
    pub async fn bind(addr: &str) -> Result<Server, ServerError> {
        let (listener, local) = crate::error::bind(addr).await?;
        Ok(Server {
            listener,
            local,
            tls: None,
        })
    }

    /// Serves HTTPS (and WSS) with `tls` instead of plain HTTP.
    #[must_use]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// `https` with [`Server::tls`], else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves `router` until `shutdown` completes; then stops accepting connections and lets
    /// requests in flight finish (queued webhook deliveries are the caller's:
    /// [`Webhooks::shutdown`](crate::webhooks::Webhooks::shutdown)). Handlers see the peer's
    /// address as `ConnectInfo<SocketAddr>` (the auth layer's rate limit keys on it).
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        tracing::info!(addr = %self.local, scheme = self.scheme(), "relay server listening");
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        match self.tls {
            None => axum::serve(self.listener, app)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(ServerError::Serve),
            Some(tls) => {
                let listener = TlsListener::new(self.listener, self.local, &tls).tap_io(|_| {});
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await
                    .map_err(ServerError::Serve)
            }
        }
    }
}
