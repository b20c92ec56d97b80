//! Configuration of the OpenAI Realtime transport.

use std::fmt;
use std::time::Duration;

use relay_core::voice::VoiceError;

/// The OpenAI Realtime WebSocket endpoint.
pub const DEFAULT_URL: &str = "wss://api.openai.com/v1/realtime";
/// The default GA model.
pub const DEFAULT_MODEL: &str = "gpt-realtime";

/// An API key that never appears in `Debug` output, logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Reconnect behaviour: bounded attempts with exponential backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Attempts before giving up (0 disables reconnecting).
    pub max_attempts: u32,
    /// Delay before the first attempt.
    pub initial_backoff: Duration,
    /// Upper bound of the delay.
    pub max_backoff: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl ReconnectPolicy {
    /// Delay before attempt `n` (1-based): `initial * 2^(n-1)`, capped at `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Settings of [`RealtimeTransport`](super::RealtimeTransport). Build with
/// [`RealtimeConfig::builder`].
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    /// WebSocket URL (`wss://` or `ws://`), without the `model` query (added from `model`).
    pub url: String,
    /// Model name.
    pub model: String,
    /// API key sent as `Authorization: Bearer`.
    pub api_key: Option<ApiKey>,
    /// Reconnect policy.
    pub reconnect: ReconnectPolicy,
    /// Recycle the connection after this long (the service ends sessions at 60 minutes).
    pub max_session_age: Duration,
    /// Limit for opening the connection and receiving `session.created`.
    pub connect_timeout: Duration,
    /// Extra handshake headers, e.g. Azure's `api-key`; values are secrets (redacted in `Debug`).
    pub headers: Vec<(String, ApiKey)>,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        RealtimeConfig {
            url: DEFAULT_URL.into(),
            model: DEFAULT_MODEL.into(),
            api_key: None,
            reconnect: ReconnectPolicy::default(),
            max_session_age: Duration::from_secs(55 * 60),
            connect_timeout: Duration::from_secs(15),
            headers: Vec::new(),
        }
    }
}

impl RealtimeConfig {
    /// A builder with the defaults.
    pub fn builder() -> RealtimeConfigBuilder {
        RealtimeConfigBuilder(RealtimeConfig::default())
    }

    /// The URL with the `model` query parameter.
    pub fn endpoint(&self) -> String {
        if self.url.contains("model=") {
            self.url.clone()
        } else if self.url.contains('?') {
            format!("{}&model={}", self.url, self.model)
        } else {
            format!("{}?model={}", self.url, self.model)
        }
    }

    /// Warnings about beta-era configuration.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.model.contains("-preview") {
            w.push(format!(
                "model `{}` is a beta-era preview model; the GA protocol expects `gpt-realtime` (or a dated GA snapshot)",
                self.model
            ));
        }
        if self.url.to_ascii_lowercase().contains("openai-beta") {
            w.push("the URL carries an `OpenAI-Beta` parameter; the GA protocol needs none — remove it".into());
        }
        w
    }

    /// Checks that the configuration can work: a key is required for the OpenAI endpoint.
    pub fn validate(&self) -> Result<(), VoiceError> {
        if !(self.url.starts_with("ws://") || self.url.starts_with("wss://")) {
            return Err(VoiceError::InvalidConfig(format!(
                "URL `{}` must start with ws:// or wss://",
                self.url
            )));
        }
        if let Some((name, _)) = self.headers.iter().find(|(n, _)| {
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(n.as_bytes()).is_err()
        }) {
            return Err(VoiceError::InvalidConfig(format!(
                "`{name}` is not a valid HTTP header name"
            )));
        }
        if self.api_key.is_none() && self.url == DEFAULT_URL {
            return Err(VoiceError::MissingConfig {
                what: "OPENAI_API_KEY".into(),
                hint: "Set the OPENAI_API_KEY environment variable to your OpenAI API key, or pass --url to use another Realtime-compatible server.".into(),
            });
        }
        Ok(())
    }
}

/// Builder for [`RealtimeConfig`].
#[derive(Debug, Clone)]
pub struct RealtimeConfigBuilder(RealtimeConfig);

impl RealtimeConfigBuilder {
    /// Sets the URL (tests, proxies, Azure).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.0.url = url.into();
        self
    }
    /// Sets the model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.0.model = model.into();
        self
    }
    /// Sets the API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.0.api_key = Some(ApiKey::new(key));
        self
    }
    /// Reads the API key from `OPENAI_API_KEY` when set and non-empty.
    pub fn api_key_from_env(mut self) -> Self {
        if let Ok(k) = std::env::var("OPENAI_API_KEY")
            && !k.trim().is_empty()
        {
            self.0.api_key = Some(ApiKey::new(k.trim()));
        }
        self
    }
    /// Adds a handshake header (for proxies or Azure's `api-key`); the value is kept secret.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.headers.push((name.into(), ApiKey::new(value)));
        self
    }
    /// Sets the reconnect policy.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.0.reconnect = policy;
        self
    }
    /// Sets the connection recycle age.
    pub fn max_session_age(mut self, age: Duration) -> Self {
        self.0.max_session_age = age;
        self
    }
    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.0.connect_timeout = t;
        self
    }
    /// Finishes, validating the configuration.
    pub fn build(self) -> Result<RealtimeConfig, VoiceError> {
        self.0.validate()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_for_openai_says_what_to_do() {
        let err = RealtimeConfig::builder().build().unwrap_err().to_string();
        assert!(err.contains("OPENAI_API_KEY"), "{err}");
        assert!(err.contains("--url"), "{err}");
        assert!(
            RealtimeConfig::builder()
                .url("ws://127.0.0.1:9/v1/realtime")
                .build()
                .is_ok()
        );
    }

    #[test]
    fn key_is_redacted_and_backoff_is_bounded() {
        let c = RealtimeConfig::builder()
            .api_key("sk-secret-123")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("sk-secret"));
        let p = ReconnectPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(250));
        assert_eq!(p.backoff(3), Duration::from_millis(1000));
        assert_eq!(p.backoff(30), Duration::from_secs(8));
    }

    #[test]
    fn endpoint_adds_model_and_beta_models_warn() {
        let c = RealtimeConfig::builder()
            .url("ws://h/v1/realtime")
            .model("gpt-4o-realtime-preview")
            .build()
            .unwrap();
        assert_eq!(
            c.endpoint(),
            "ws://h/v1/realtime?model=gpt-4o-realtime-preview"
        );
        assert_eq!(c.warnings().len(), 1);
    }
}
