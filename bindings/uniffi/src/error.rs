//! `RelayException` (Kotlin) / `RelayError` (Swift): one variant per error kind, each with the
//! Rust error's stable `code` and its message as `reason` (Kotlin reserves `message` on
//! exceptions; there `message` reads "code=..., reason=...").

use relay_bindings_common::{BindingError, ErrorKind};

/// An error from Relay. `code` is a stable identifier (`"unknown_repo"`, `"config"`, ...).
#[derive(Debug, thiserror::Error, uniffi::Error)]
// Every variant has the same two fields, `code` and `reason`, documented once above and in the
// module docs; sixteen copies of the same two lines would say nothing more.
#[allow(missing_docs)]
pub enum RelayError {
    /// The workspace configuration (relay.yaml) is missing or invalid.
    #[error("{reason}")]
    Config { code: String, reason: String },
    /// A repository operation failed.
    #[error("{reason}")]
    Repo { code: String, reason: String },
    /// A coding agent could not run (missing or too old binary, crash, timeout).
    #[error("{reason}")]
    Agent { code: String, reason: String },
    /// A voice session failed (missing API key, connection, service error).
    #[error("{reason}")]
    Voice { code: String, reason: String },
    /// An environment operation failed (provider configuration, API, not found, bad name).
    #[error("{reason}")]
    Infra { code: String, reason: String },
    /// A GitHub operation failed or was refused (token, rate limit, not found, failing checks).
    #[error("{reason}")]
    GitHub { code: String, reason: String },
    /// Relay's store (SQLite or Redis) could not be reached or opened, or failed; the reason
    /// names its URL with any password redacted.
    #[error("{reason}")]
    Store { code: String, reason: String },
    /// The job was cancelled.
    #[error("{reason}")]
    Cancelled { code: String, reason: String },
    /// The API was used wrongly; the message says how to use it.
    #[error("{reason}")]
    Usage { code: String, reason: String },
    /// A bug in Relay; please report it with the message.
    #[error("{reason}")]
    Internal { code: String, reason: String },
}

impl From<BindingError> for RelayError {
    fn from(error: BindingError) -> Self {
        let BindingError {
            kind,
            code,
            message,
        } = error;
        match kind {
            ErrorKind::Config => RelayError::Config {
                code,
                reason: message,
            },
            ErrorKind::Repo => RelayError::Repo {
                code,
                reason: message,
            },
            ErrorKind::Agent => RelayError::Agent {
                code,
                reason: message,
            },
            ErrorKind::Voice => RelayError::Voice {
                code,
                reason: message,
            },
            ErrorKind::Infra => RelayError::Infra {
                code,
                reason: message,
            },
            ErrorKind::GitHub => RelayError::GitHub {
                code,
                reason: message,
            },
            ErrorKind::Store => RelayError::Store {
                code,
                reason: message,
            },
            ErrorKind::Cancelled => RelayError::Cancelled {
                code,
                reason: message,
            },
            ErrorKind::Usage => RelayError::Usage {
                code,
                reason: message,
            },
            ErrorKind::Internal => RelayError::Internal {
                code,
                reason: message,
            },
        }
    }
}
