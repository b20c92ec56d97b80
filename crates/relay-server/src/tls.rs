//! HTTPS: a certificate and key from PEM files ([`TlsConfig`]), and a listener that does the
//! TLS handshake of each connection in its own task (a slow client never holds up others).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::ServerError;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server certificate (with its chain) and private key, for serving HTTPS and WSS.
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

fn tls_error(what: &'static str, path: &Path, problem: impl Into<String>) -> ServerError {
    ServerError::Tls {
        what,
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

impl TlsConfig {
    /// The certificate chain in the PEM file `cert` (server certificate first) and the
    /// private key in the PEM file `key` (PKCS#8, PKCS#1 or SEC1). The errors name the file and
    /// what is wrong with it: missing, unreadable, not PEM, no certificate or key in it, or a
    /// key that does not belong to the certificate.
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, ServerError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let cert_pem = std::fs::read(cert)
            .map_err(|e| tls_error("certificate", cert, format!("cannot read it: {e}")))?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                tls_error(
                    "certificate",
                    cert,
                    format!("it is not a PEM certificate file: {e}"),
                )
            })?;
        if chain.is_empty() {
            return Err(tls_error(
                "certificate",
                cert,
                "there is no `BEGIN CERTIFICATE` block in it (is it the key?)",
            ));
        }
        let key_pem = std::fs::read(key)
            .map_err(|e| tls_error("private key", key, format!("cannot read it: {e}")))?;
        let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            let problem = match e {
                rustls::pki_types::pem::Error::NoItemsFound => {
                    "there is no `BEGIN PRIVATE KEY` block in it (is it the certificate?)"
                        .to_owned()
                }
                e => format!("it is not a PEM private key file: {e}"),
            };
            tls_error("private key", key, problem)
        })?;
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| tls_error("certificate", cert, e.to_string()))?
                .with_no_client_auth()
                .with_single_cert(chain, private)
                .map_err(|e| {
                    tls_error(
                        "private key",
                        key,
                        format!(
                            "it cannot be used with the certificate {}: {e}",
                            cert.display()
                        ),
                    )
                })?;
        Ok(Self::from_config(config))
    }

    /// An already built rustls configuration (its ALPN is set to HTTP/1.1).
    pub fn from_config(mut config: ServerConfig) -> Self {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsConfig {
            config: Arc::new(config),
        }
    }
}

/// Accepts TCP connections and hands over those whose handshake succeeded.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub(crate) fn new(listener: TcpListener, local: SocketAddr, tls: &TlsConfig) -> Self {
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(tls.config.clone());
        let accepting = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, sender) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
                if tx.is_closed() {
                    return;
                }
            }
        });
        TlsListener {
            ready,
            local,
            accepting,
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
