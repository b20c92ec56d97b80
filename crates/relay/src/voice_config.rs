//! Voice sessions: which transport holds the conversation ([`VoiceConfig`]) over a tool
//! registry — OpenAI Realtime when a key or URL is there, else the offline text transport.

use std::sync::Arc;

use relay_core::tools::{SessionContext, ToolRegistry};
use relay_core::voice::{VoiceSession, VoiceSessionConfig, VoiceTransport};
use relay_voice::{RealtimeConfig, RealtimeTransport, TextTransport};

use crate::Error;

/// Which transport holds a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// OpenAI Realtime (or a compatible server) over WebSocket.
    Realtime,
    /// Typed utterances, understood offline without a model.
    Text,
}

impl TransportKind {
    /// `openai-realtime` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Realtime => "openai-realtime",
            TransportKind::Text => "text",
        }
    }
}

impl std::str::FromStr for TransportKind {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "realtime" | "openai-realtime" => Ok(TransportKind::Realtime),
            "text" => Ok(TransportKind::Text),
            other => Err(Error::usage(format!(
                "unknown voice transport `{other}`; use \"realtime\" (OpenAI Realtime) or \
                 \"text\" (offline)"
            ))),
        }
    }
}

/// How to hold a conversation. Everything is optional; `Debug` never shows the API key.
#[derive(Clone, Default)]
pub struct VoiceConfig {
    transport: Option<TransportKind>,
    url: Option<String>,
    model: Option<String>,
    api_key: Option<String>,
    session: VoiceSessionConfig,
}

impl VoiceConfig {
    /// Realtime when a URL or an API key (given or `OPENAI_API_KEY`) is there, else text.
    pub fn new() -> Self {
        Self::default()
    }

    /// Always this transport.
    pub fn transport(mut self, kind: TransportKind) -> Self {
        self.transport = Some(kind);
        self
    }

    /// Realtime WebSocket URL (a proxy, Azure, a test server). Default: OpenAI.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Realtime model. Default: `gpt-realtime`.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// API key from the embedding app; else `OPENAI_API_KEY`. Never logged.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The session's instructions, voice, audio format, turn detection.
    pub fn session(mut self, session: VoiceSessionConfig) -> Self {
        self.session = session;
        self
    }

    /// The transport this configuration picks.
    pub fn transport_kind(&self) -> TransportKind {
        self.transport.unwrap_or_else(|| {
            let key_in_env = std::env::var("OPENAI_API_KEY").is_ok_and(|k| !k.trim().is_empty());
            if self.url.is_some() || self.api_key.is_some() || key_in_env {
                TransportKind::Realtime
            } else {
                TransportKind::Text
            }
        })
    }

    /// The Realtime transport's settings (URL, model, key) without connecting: where a bad
    /// configuration shows before anything else is prepared.
    pub fn realtime_config(&self) -> Result<RealtimeConfig, Error> {
        let mut builder = RealtimeConfig::builder().api_key_from_env();
        if let Some(key) = &self.api_key {
            builder = builder.api_key(key.clone());
        }
        if let Some(url) = &self.url {
            builder = builder.url(url.clone());
        }
        if let Some(model) = &self.model {
            builder = builder.model(model.clone());
        }
        Ok(builder.build()?)
    }

    /// Connects (Realtime) or starts (text) a session whose model calls `registry`'s tools,
    /// sharing `context` (the primary project) with other sessions and calls.
    pub async fn start(
        &self,
        registry: Arc<ToolRegistry>,
        context: Arc<SessionContext>,
    ) -> Result<VoiceSession, Error> {
        let transport = self.build_transport(registry, context)?;
        Ok(transport.start(self.session.clone()).await?)
    }

    /// The transport this configuration picks, over `registry` and sharing `context`, not yet
    /// connected: each [`VoiceTransport::start`] opens one session (what the voice gateway of
    /// `relay serve` does per conversation).
    pub fn build_transport(
        &self,
        registry: Arc<ToolRegistry>,
        context: Arc<SessionContext>,
    ) -> Result<Arc<dyn VoiceTransport>, Error> {
        Ok(match self.transport_kind() {
            TransportKind::Realtime => Arc::new(
                RealtimeTransport::new(self.realtime_config()?, registry).with_context(context),
            ),
            TransportKind::Text => Arc::new(TextTransport::new(registry).with_context(context)),
        })
    }
}

impl std::fmt::Debug for VoiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceConfig")
            .field("transport", &self.transport)
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("session", &self.session)
            .finish()
    }
}
