//! [`Error`]: every way a facade call can fail, each keeping the error of the part that failed.

use relay_core::agent::AgentError;
use relay_core::agent::run::RunError;
use relay_core::github::GitHubError;
use relay_core::infra::InfraError;
use relay_core::store::StoreError;
use relay_core::voice::VoiceError;
use relay_core::{ConfigError, JobFailure, RepoError};

/// Why a facade call failed. The message says what went wrong and what to do; [`Error::code`]
/// is a stable identifier for programs (the bindings' `code`, the CLI's JSON output).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The workspace configuration (`relay.yaml`) is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A repository operation failed or named an unknown repository.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The coding agent could not run (missing or too old `claude`, crash, timeout).
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// An environment operation failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
    /// A voice session could not start or failed.
    #[error(transparent)]
    Voice(#[from] VoiceError),
    /// An MCP server of `mcp_servers:` could not be started or reached, or serving MCP failed.
    #[error(transparent)]
    Mcp(#[from] relay_mcp::McpError),
    /// The operation was cancelled or crashed.
    #[error(transparent)]
    Job(#[from] JobFailure),
    /// The HTTP server (`relay serve`, webhooks) could not start or stopped.
    #[error(transparent)]
    Server(#[from] relay_server::ServerError),
    /// A GitHub operation failed or was refused.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// The store (SQLite or Redis) could not be opened or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller's role or limits do not allow the request; the message names the role that
    /// would.
    #[error("{0}")]
    Denied(String),
    /// The caller could not be identified: a wrong, unknown or revoked token, or a user who is
    /// not in the team.
    #[error("{0}")]
    Unauthenticated(String),
    /// The request itself is wrong (an unknown agent name, a missing part); the message says
    /// how to ask.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// A usage error with advice in `message`.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// A short stable identifier (`config`, `unknown_repo`, `agent_not_found`, `not_found`,
    /// `cancelled`, `usage`, ...): the failing part's own code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Repo(e) => e.code(),
            Error::Job(JobFailure::Cancelled) => "cancelled",
            Error::Job(JobFailure::Panicked(_)) => "internal",
            Error::Agent(e) => e.code(),
            Error::Infra(e) => e.code(),
            Error::Voice(e) => e.code(),
            Error::Server(e) => e.code(),
            Error::Mcp(e) => e.code(),
            Error::GitHub(e) => e.code(),
            Error::Store(e) => e.code(),
            Error::Denied(_) => "denied",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Usage(_) => "usage",
        }
    }

    /// Whether the caller must change the request (configuration, names, options) rather than
    /// retry: what the CLI reports with exit code 2.
    pub fn is_usage(&self) -> bool {
        match self {
            Error::Config(_) | Error::Usage(_) | Error::Denied(_) | Error::Unauthenticated(_) => {
                true
            }
            Error::Store(e) => e.is_usage(),
            Error::Repo(e) => matches!(
                e,
                RepoError::Config(_)
                    | RepoError::UnknownRepo { .. }
                    | RepoError::InvalidRequest(_)
                    | RepoError::BadRevision { .. }
            ),
            Error::Agent(e) => matches!(
                e,
                AgentError::BinaryNotFound { .. }
                    | AgentError::VersionTooOld { .. }
                    | AgentError::InvalidTask(_)
            ),
            Error::Infra(e) => matches!(
                e,
                InfraError::Config(_) | InfraError::InvalidRequest(_) | InfraError::Unsupported(_)
            ),
            Error::GitHub(e) => e.is_usage(),
            Error::Voice(e) => matches!(
                e,
                VoiceError::MissingConfig { .. }
                    | VoiceError::InvalidConfig(_)
                    | VoiceError::InvalidAudio(_)
            ),
            Error::Server(e) => e.is_usage(),
            Error::Job(_) | Error::Mcp(_) => false,
        }
    }

    /// Whether no workspace configuration was found (as opposed to one that is invalid): the
    /// one configuration error that commands able to work without a workspace tolerate.
    pub fn is_workspace_not_found(&self) -> bool {
        matches!(
            self,
            Error::Config(ConfigError::NotFound { .. })
                | Error::Repo(RepoError::Config(ConfigError::NotFound { .. }))
        )
    }
}

impl From<RunError> for Error {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Repo(e) => e.into(),
            RunError::Job(f) => f.into(),
        }
    }
}

impl From<relay_core::Error> for Error {
    fn from(e: relay_core::Error) -> Self {
        match e {
            relay_core::Error::Config(e) => e.into(),
            relay_core::Error::Repo(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_failing_part_and_usage_is_told_apart() {
        let unknown: Error = RepoError::UnknownRepo {
            name: "nope".into(),
            known: vec!["a".into()],
        }
        .into();
        assert_eq!(unknown.code(), "unknown_repo");
        assert!(unknown.is_usage());
        let cancelled: Error = RunError::Job(JobFailure::Cancelled).into();
        assert_eq!(cancelled.code(), "cancelled");
        assert!(!cancelled.is_usage());
        let missing: Error = ConfigError::NotFound {
            searched_from: "/nowhere".into(),
        }
        .into();
        assert!(missing.is_workspace_not_found() && missing.is_usage());
        assert_eq!(Error::usage("say it").code(), "usage");
    }
}
