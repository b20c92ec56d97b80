//! The OpenAI Realtime transport (GA protocol) over WebSocket.

pub mod barge_in;
mod config;
mod connect;
mod connection;
mod dial;
mod driver;
mod playback;
pub mod replay;
mod responses;
mod shared;
mod tool_calls;
mod tool_runner;

use std::sync::Arc;

use async_trait::async_trait;
use relay_core::tools::{SessionContext, ToolRegistry};
use relay_core::voice::{VoiceError, VoiceSession, VoiceSessionConfig, VoiceTransport};

pub use config::{
    ApiKey, DEFAULT_MODEL, DEFAULT_URL, RealtimeConfig, RealtimeConfigBuilder, ReconnectPolicy,
};

/// The default [`VoiceTransport`]: OpenAI Realtime, GA protocol, over tokio-tungstenite + rustls.
///
/// Runs the model's tool calls through the [`ToolRegistry`], keeps one response active at a time,
/// truncates interrupted speech at what was played, reconnects with bounded backoff and replays
/// the conversation, and recycles the connection before the service's 60-minute limit.
///
/// ```no_run
/// # async fn demo() -> Result<(), relay_core::voice::VoiceError> {
/// use std::sync::Arc;
/// use relay_core::tools::ToolRegistry;
/// use relay_core::voice::{VoiceSessionConfig, VoiceTransport};
/// use relay_voice::{RealtimeConfig, RealtimeTransport};
///
/// let config = RealtimeConfig::builder().api_key_from_env().build()?;
/// let transport = RealtimeTransport::new(config, Arc::new(ToolRegistry::new()));
/// let session = transport.start(VoiceSessionConfig::default()).await?;
/// session.send_text("What is the status of my projects?")?;
/// while let Some(event) = session.next_event().await {
///     println!("{}", serde_json::to_string(&event).unwrap());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RealtimeTransport {
    config: RealtimeConfig,
    registry: Arc<ToolRegistry>,
    context: Arc<SessionContext>,
}

impl RealtimeTransport {
    /// A transport with `config` whose sessions use the tools in `registry`.
    pub fn new(config: RealtimeConfig, registry: Arc<ToolRegistry>) -> Self {
        RealtimeTransport {
            config,
            registry,
            context: SessionContext::new(),
        }
    }

    /// Shares `context` (primary project and related repos) with the tools.
    pub fn with_context(mut self, context: Arc<SessionContext>) -> Self {
        self.context = context;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &RealtimeConfig {
        &self.config
    }
}

#[async_trait]
impl VoiceTransport for RealtimeTransport {
    fn name(&self) -> &str {
        "openai-realtime"
    }

    async fn start(&self, config: VoiceSessionConfig) -> Result<VoiceSession, VoiceError> {
        self.config.validate()?;
        driver::Driver::start(
            self.config.clone(),
            config,
            self.registry.clone(),
            self.context.clone(),
        )
        .await
    }
}
