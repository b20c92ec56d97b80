//! Error types of relay-core: [`RepoError`] for repository operations and [`Error`], the union
//! every adapter (CLI, bindings) can match on through [`Error::code`].

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::job::JobFailure;

/// An error from a [`crate::RepoGraph`] operation.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The workspace configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// A repository name that the workspace does not define.
    #[error("unknown repository `{name}`; the workspace defines: {}", known.join(", "))]
    UnknownRepo {
        /// The name asked for.
        name: String,
        /// The names the workspace defines.
        known: Vec<String>,
    },

    /// The repository is defined but not present on disk.
    #[error("repository `{repo}` is not cloned at {}; run `relay sync --repo {repo}` to clone it", path.display())]
    NotCloned {
        /// Repository name.
        repo: String,
        /// Where it was expected.
        path: PathBuf,
    },

    /// A revision that does not resolve in a repository.
    #[error("`{rev}` is not a valid revision in `{repo}`: {message}")]
    BadRevision {
        /// Repository name.
        repo: String,
        /// The revision as given.
        rev: String,
        /// Why it did not resolve.
        message: String,
    },

    /// A git operation failed in one repository.
    #[error("{repo}: {operation} failed: {message}")]
    Git {
        /// Repository name.
        repo: String,
        /// What was attempted ("fetch", "status", ...).
        operation: String,
        /// What went wrong, with advice when there is any.
        message: String,
    },

    /// Reading or writing the filesystem failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The caller asked for something that cannot be done as asked.
    #[error("{0}")]
    InvalidRequest(String),

    /// The operation was cancelled or panicked.
    #[error(transparent)]
    Job(#[from] JobFailure),
}

impl RepoError {
    /// A short stable identifier of the error kind, for bindings and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            RepoError::Config(_) => "config",
            RepoError::UnknownRepo { .. } => "unknown_repo",
            RepoError::NotCloned { .. } => "not_cloned",
            RepoError::BadRevision { .. } => "bad_revision",
            RepoError::Git { .. } => "git",
            RepoError::Io { .. } => "io",
            RepoError::InvalidRequest(_) => "invalid_request",
            RepoError::Job(JobFailure::Cancelled) => "cancelled",
            RepoError::Job(JobFailure::Panicked(_)) => "internal",
        }
    }
}

/// Any error relay-core's operations can produce.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Workspace configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Repository operations.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl Error {
    /// A short stable identifier of the error kind, for bindings and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Repo(e) => e.code(),
        }
    }
}
