use thiserror::Error;

/// What can go wrong with a voice session. Each message says what happened and what to do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum VoiceError {
    /// Required configuration is missing (for example the API key).
    #[error("missing configuration: {what}. {hint}")]
    MissingConfig {
        /// What is missing, e.g. `OPENAI_API_KEY`.
        what: String,
        /// What to do about it.
        hint: String,
    },
    /// Configuration is present but unusable.
    #[error("invalid voice configuration: {0}")]
    InvalidConfig(String),
    /// The connection to the voice service could not be opened.
    #[error(
        "could not connect to {}: {}",
        crate::redact::redact_url_credentials(.url),
        crate::redact::redact_url_credentials(.reason)
    )]
    Connect {
        /// The URL tried (shown with credentials and query-string keys redacted).
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The service rejected our credentials.
    #[error(
        "the voice service at {} rejected the credentials (HTTP {status}); check the API key",
        crate::redact::redact_url_credentials(.url)
    )]
    Unauthorized {
        /// The URL tried (shown with credentials and query-string keys redacted).
        url: String,
        /// HTTP status returned by the handshake.
        status: u16,
    },
    /// The session has ended; no more input is accepted.
    #[error("the voice session is closed")]
    Closed,
    /// Audio input was malformed.
    #[error("invalid audio: {0}")]
    InvalidAudio(String),
    /// The service reported an error that ended the session.
    #[error("voice service error {code}: {message}")]
    Service {
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// Reading or writing audio files failed.
    #[error("i/o error: {0}")]
    Io(String),
}

impl VoiceError {
    /// A stable, machine-readable name for the error (for bindings and `--json` output).
    pub fn code(&self) -> &'static str {
        match self {
            VoiceError::MissingConfig { .. } => "missing_config",
            VoiceError::InvalidConfig(_) => "invalid_config",
            VoiceError::Connect { .. } => "connect",
            VoiceError::Unauthorized { .. } => "unauthorized",
            VoiceError::Closed => "closed",
            VoiceError::InvalidAudio(_) => "invalid_audio",
            VoiceError::Service { .. } => "service",
            VoiceError::Io(_) => "io",
        }
    }
}

impl From<std::io::Error> for VoiceError {
    fn from(e: std::io::Error) -> Self {
        VoiceError::Io(e.to_string())
    }
}
