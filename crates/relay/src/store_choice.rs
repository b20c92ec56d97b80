//! Which store a [`Relay`](crate::Relay) keeps its memory in.

use relay_core::Workspace;
use relay_core::store::StoreUrl;

use crate::Error;

/// The environment variable naming the store (`sqlite:PATH` or `redis://HOST:PORT/DB`); it
/// wins over `store.url` in `relay.yaml`, and is where a Redis password belongs.
pub const STORE_URL_ENV: &str = "RELAY_STORE_URL";

/// Which store to open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StoreChoice {
    /// `RELAY_STORE_URL`, else `store.url` in `relay.yaml`, else `<workspace>/.relay/relay.db`.
    #[default]
    Configured,
    /// Exactly this store.
    Url(StoreUrl),
}

impl StoreChoice {
    /// The store `text` names (`sqlite:PATH` or `redis://HOST:PORT/DB`).
    pub fn url(text: &str) -> Result<Self, Error> {
        Ok(StoreChoice::Url(text.parse()?))
    }

    /// The URL to open for `workspace`.
    pub fn resolve(&self, workspace: Option<&Workspace>) -> Result<StoreUrl, Error> {
        let base = workspace
            .map(|w| w.root().to_path_buf())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        match self {
            StoreChoice::Url(url) => Ok(url.clone().resolve(&base)),
            StoreChoice::Configured => {
                if let Ok(text) = std::env::var(STORE_URL_ENV)
                    && !text.trim().is_empty()
                {
                    let url: StoreUrl = text
                        .parse()
                        .map_err(|e| Error::usage(format!("{STORE_URL_ENV}: {e}")))?;
                    return Ok(url.resolve(&base));
                }
                if let Some(url) = workspace.and_then(|w| w.store().url.clone()) {
                    return Ok(url);
                }
                match workspace {
                    Some(w) => Ok(StoreUrl::default_for(w.root())),
                    None => Err(Error::usage(format!(
                        "no store: without a workspace, set {STORE_URL_ENV} (sqlite:PATH or redis://HOST:PORT/DB)"
                    ))),
                }
            }
        }
    }
}
