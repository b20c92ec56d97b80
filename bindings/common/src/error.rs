//! Errors as every binding shows them: a kind (which exception class), a code and a message.

use relay::core::agent::AgentError;
use relay::core::agent::run::RunError;
use relay::core::infra::InfraError;
use relay::core::voice::VoiceError;
use relay::core::{ConfigError, Error, JobFailure, RepoError};

/// Which family an error belongs to; each binding maps a kind to one exception class or error
/// variant (Python `relay.RepoError`, Kotlin `RelayException.Repo`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The workspace configuration (`relay.yaml`) is missing or invalid.
    Config,
    /// A repository operation failed.
    Repo,
    /// A coding agent could not run (missing or too old binary, crash, timeout).
    Agent,
    /// A voice session failed (missing API key, connection, service error).
    Voice,
    /// An environment operation failed (provider configuration, API, not found).
    Infra,
    /// A GitHub operation failed or was refused (token, rate limit, not found, checks).
    GitHub,
    /// Relay's store (SQLite or Redis) could not be reached or opened, or failed; the message
    /// names its URL with any password redacted.
    Store,
    /// The operation was cancelled.
    Cancelled,
    /// The caller used the API wrongly (e.g. awaited a job's result twice).
    Usage,
    /// A bug in Relay (a panic inside a job); the message says so.
    Internal,
}

impl ErrorKind {
    /// The kind's stable name, used as the base of exception class names.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Repo => "repo",
            ErrorKind::Agent => "agent",
            ErrorKind::Voice => "voice",
            ErrorKind::Infra => "infra",
            ErrorKind::GitHub => "github",
            ErrorKind::Store => "store",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Usage => "usage",
            ErrorKind::Internal => "internal",
        }
    }
}

/// A Relay error as it crosses into another language: the Rust message is kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BindingError {
    /// Which family the error belongs to.
    pub kind: ErrorKind,
    /// The Rust error's stable `code()` (`"unknown_repo"`, `"config"`, `"cancelled"`, ...).
    pub code: String,
    /// The Rust error's message: what went wrong and what to do.
    pub message: String,
}

impl BindingError {
    /// An error of `kind` with `code` and `message`.
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.into(),
            message: message.into(),
        }
    }

    /// A misuse of the binding API, with advice in `message`.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, "usage", message)
    }
}

impl From<JobFailure> for BindingError {
    fn from(failure: JobFailure) -> Self {
        let (kind, code) = match failure {
            JobFailure::Cancelled => (ErrorKind::Cancelled, "cancelled"),
            JobFailure::Panicked(_) => (ErrorKind::Internal, "internal"),
        };
        Self::new(kind, code, failure.to_string())
    }
}

impl From<ConfigError> for BindingError {
    fn from(e: ConfigError) -> Self {
        Self::new(ErrorKind::Config, "config", e.to_string())
    }
}

impl From<RepoError> for BindingError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Config(e) => e.into(),
            RepoError::Job(f) => f.into(),
            other => Self::new(ErrorKind::Repo, other.code(), other.to_string()),
        }
    }
}

impl From<Error> for BindingError {
    fn from(e: Error) -> Self {
        match e {
            Error::Config(e) => e.into(),
            Error::Repo(e) => e.into(),
        }
    }
}

impl From<relay::Error> for BindingError {
    fn from(e: relay::Error) -> Self {
        match e {
            relay::Error::Config(e) => e.into(),
            relay::Error::Repo(e) => e.into(),
            relay::Error::Agent(e) => e.into(),
            relay::Error::Infra(e) => e.into(),
            relay::Error::Voice(e) => e.into(),
            relay::Error::Job(f) => f.into(),
            relay::Error::Usage(message) => Self::usage(message),
            relay::Error::GitHub(e) => Self::new(ErrorKind::GitHub, e.code(), e.to_string()),
            relay::Error::Store(e) => Self::new(ErrorKind::Store, e.code(), e.to_string()),
            // The caller must change something (their role, their token): a usage error with
            // its own code (`denied`, `unauthenticated`).
            e @ (relay::Error::Denied(_) | relay::Error::Unauthenticated(_)) => {
                Self::new(ErrorKind::Usage, e.code(), e.to_string())
            }
            // A part added to the facade later: keep its code and message.
            other => Self::new(ErrorKind::Internal, other.code(), other.to_string()),
        }
    }
}

impl From<RunError> for BindingError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Repo(e) => e.into(),
            RunError::Job(f) => f.into(),
        }
    }
}

impl From<AgentError> for BindingError {
    fn from(e: AgentError) -> Self {
        let kind = match e {
            AgentError::Cancelled => ErrorKind::Cancelled,
            AgentError::Internal(_) => ErrorKind::Internal,
            _ => ErrorKind::Agent,
        };
        Self::new(kind, e.code(), e.to_string())
    }
}

impl From<VoiceError> for BindingError {
    fn from(e: VoiceError) -> Self {
        Self::new(ErrorKind::Voice, e.code(), e.to_string())
    }
}

impl From<InfraError> for BindingError {
    fn from(e: InfraError) -> Self {
        let kind = match e.code() {
            "cancelled" => ErrorKind::Cancelled,
            "internal" => ErrorKind::Internal,
            _ => ErrorKind::Infra,
        };
        Self::new(kind, e.code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_errors_keep_code_and_message_and_split_out_cancellation() {
        let e: BindingError = RepoError::UnknownRepo {
            name: "nope".into(),
            known: vec!["a".into(), "b".into()],
        }
        .into();
        assert_eq!(e.kind, ErrorKind::Repo);
        assert_eq!(e.code, "unknown_repo");
        assert!(
            e.message.contains("unknown repository `nope`"),
            "{}",
            e.message
        );

        let c: BindingError = RepoError::Job(JobFailure::Cancelled).into();
        assert_eq!(
            (c.kind, c.code.as_str()),
            (ErrorKind::Cancelled, "cancelled")
        );
    }
}
