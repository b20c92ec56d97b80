//! Opening the WebSocket: TLS with rustls (ring provider), bearer auth, handshake errors.

use std::sync::Arc;

use relay_core::voice::VoiceError;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::RealtimeConfig;

/// The socket type of a Realtime connection.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The socket's read buffer. tungstenite's default (128 KiB) is zero-filled on every read, so it
/// is all resident for every session and costs a 128 KiB memset per read; the service's events
/// are a few KB (an audio delta of 100 ms is 6.4 KB of base64), and a larger one grows the
/// buffer for itself.
const READ_BUFFER: usize = 16 << 10;

fn tls_connector() -> Result<Connector, VoiceError> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Name the provider explicitly so the process-wide default (or its absence) never matters.
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| VoiceError::InvalidConfig(format!("TLS setup failed: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

/// Connects to the configured endpoint.
pub async fn open(config: &RealtimeConfig) -> Result<Socket, VoiceError> {
    let endpoint = config.endpoint();
    let mut request = endpoint
        .as_str()
        .into_client_request()
        .map_err(|e| VoiceError::InvalidConfig(format!("bad URL `{}`: {e}", config.url)))?;
    if let Some(key) = &config.api_key {
        let value = HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
            VoiceError::InvalidConfig(
                "the API key contains characters not allowed in a header".into(),
            )
        })?;
        request.headers_mut().insert("authorization", value);
    }
    for (name, value) in &config.headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| {
                VoiceError::InvalidConfig(format!("`{name}` is not a valid HTTP header name"))
            })?;
        let value = HeaderValue::from_str(value.expose()).map_err(|_| {
            VoiceError::InvalidConfig(format!(
                "the value of header `{name}` contains characters not allowed in a header"
            ))
        })?;
        request.headers_mut().insert(name, value);
    }
    let connector = if endpoint.starts_with("wss://") {
        Some(tls_connector()?)
    } else {
        None
    };
    let socket_config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let connect = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(socket_config),
        true,
        connector,
    );
    match tokio::time::timeout(config.connect_timeout, connect).await {
        Err(_) => Err(VoiceError::Connect {
            url: config.url.clone(),
            reason: format!("no answer within {} s", config.connect_timeout.as_secs()),
        }),
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp)))
            if resp.status().as_u16() == 401 || resp.status().as_u16() == 403 =>
        {
            Err(VoiceError::Unauthorized {
                url: config.url.clone(),
                status: resp.status().as_u16(),
            })
        }
        Ok(Err(e)) => Err(VoiceError::Connect {
            url: config.url.clone(),
            reason: e.to_string(),
        }),
    }
}
