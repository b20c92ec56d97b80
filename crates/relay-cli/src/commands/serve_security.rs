//! `relay serve`'s security and operations flags (`--tls-cert`, `--tls-key`, `--behind-proxy`,
//! `--allowed-origin`) and the [`App`] they configure: users' tokens (or none on loopback
//! without a `team:`), `/readyz` (store, Realtime endpoint), `/metrics`, request logs.

use std::path::PathBuf;

use relay::Relay;
use relay::core::team::{Caller, Role};
use relay::server::{App, Origin, ReadyCheck, TlsConfig};

use crate::error::CliError;

/// Security and operations flags of `relay serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct SecurityArgs {
    /// Serve HTTPS and WSS with this PEM certificate chain (server certificate first); needs
    /// --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Trust X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host (set this only behind a
    /// reverse proxy that sets them; the last entry of each counts).
    #[arg(long)]
    pub behind_proxy: bool,
    /// Also accept WebSocket upgrades from pages of this origin (scheme://host[:port]);
    /// repeatable. The origin the server is reached as is always accepted.
    #[arg(long = "allowed-origin", value_name = "ORIGIN", value_parser = parse_origin)]
    pub allowed_origins: Vec<Origin>,
}

fn parse_origin(s: &str) -> Result<Origin, String> {
    Origin::parse(s).map_err(|e| e.to_string())
}

impl SecurityArgs {
    /// The TLS configuration, when --tls-cert/--tls-key were given (errors name the file).
    pub fn tls(&self) -> Result<Option<TlsConfig>, CliError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(
                TlsConfig::from_pem_files(cert, key).map_err(relay::Error::from)?,
            )),
            _ => Ok(None),
        }
    }

    /// The app of `relay serve` over `relay`: tokens per the workspace's `team:`, the store's
    /// readiness and job counts (and sign-ins, with tokens), the readiness of `realtime` — the
    /// Realtime URL the gateway's conversations will dial, when they use Realtime — these
    /// flags, and `mcp_token` accepted at `/mcp`.
    pub fn app(
        &self,
        relay: &Relay,
        mcp_token: Option<String>,
        realtime: Option<&str>,
    ) -> Result<App, CliError> {
        let mut app = relay
            .server_app()?
            .tls(self.tls_cert.is_some())
            .behind_proxy(self.behind_proxy);
        for origin in &self.allowed_origins {
            app = app.allowed_origin(origin.clone());
        }
        if let Some(token) = mcp_token {
            app = app.path_token("/mcp", token, Caller::new("mcp-client", Role::Developer));
        }
        if let Some(url) = realtime {
            let check = ReadyCheck::tcp("realtime", url).map_err(|e| {
                CliError::from(relay::Error::usage(format!(
                    "--realtime-url / OPENAI_REALTIME_URL: {e}"
                )))
            })?;
            app = app.ready_check(check);
        }
        Ok(app.build())
    }
}
