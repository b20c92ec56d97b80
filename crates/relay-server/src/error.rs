//! [`ServerError`]: what can stop the server from starting or serving.

use std::net::SocketAddr;

/// An error of relay-server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No webhook secret: refusing to accept unsigned deliveries.
    #[error(
        "no webhook secret: set RELAY_WEBHOOK_SECRET to the secret configured on the GitHub webhook (or pass one with Webhooks::builder(..).secret(..))"
    )]
    NoSecret,
    /// The address could not be bound.
    #[error(
        "cannot listen on {addr}: {source} (is another server using the port? choose another address)"
    )]
    Bind {
        /// The address asked for.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The address is not `HOST:PORT`.
    #[error("`{0}` is not an address to listen on; use HOST:PORT, e.g. 127.0.0.1:8080")]
    BadAddress(String),
    /// Serving failed.
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    /// A TLS certificate or key file cannot be used.
    #[error("cannot use the TLS {what} {}: {problem}; --tls-cert takes a PEM certificate chain and --tls-key its PEM private key", path.display())]
    Tls {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Serving without tokens on an address other machines can reach.
    #[error(
        "refusing to serve {addr} without tokens: anyone who can reach it could act as you. Add a `team:` section to relay.yaml (and create a token with `relay team token create USER`), or bind 127.0.0.1"
    )]
    OpenToNetwork {
        /// The non-loopback address.
        addr: SocketAddr,
    },
    /// A setting of the server is wrong (e.g. an allowed origin that is not an origin).
    #[error("{0}")]
    Config(String),
}

impl ServerError {
    /// A stable code for programs: `no_secret`, `bind`, `bad_address`, `serve`, `tls`,
    /// `open_to_network`, `config`.
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::NoSecret => "no_secret",
            ServerError::Bind { .. } => "bind",
            ServerError::BadAddress(_) => "bad_address",
            ServerError::Serve(_) => "serve",
            ServerError::Tls { .. } => "tls",
            ServerError::OpenToNetwork { .. } => "open_to_network",
            ServerError::Config(_) => "config",
        }
    }

    /// Whether the caller asked for something that cannot work (fix the request, do not retry).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ServerError::NoSecret
                | ServerError::BadAddress(_)
                | ServerError::Tls { .. }
                | ServerError::OpenToNetwork { .. }
                | ServerError::Config(_)
        )
    }
}

/// Binds `addr` (`HOST:PORT`; port 0 picks a free one).
pub(crate) async fn bind(addr: &str) -> Result<(tokio::net::TcpListener, SocketAddr), ServerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::InvalidInput {
                ServerError::BadAddress(addr.to_owned())
            } else {
                ServerError::Bind {
                    addr: addr.to_owned(),
                    source,
                }
            }
        })?;
    let local = listener.local_addr().map_err(ServerError::Serve)?;
    Ok((listener, local))
}
