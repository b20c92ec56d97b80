//! How the CLI fails: a message and an exit code (0 success, 1 the operation failed in at least
//! one repository, 2 usage or configuration error).

use relay_core::{ConfigError, RepoError};

/// A failure to report before exiting.
#[derive(Debug)]
pub struct CliError {
    /// Process exit code.
    pub code: u8,
    /// What to print on stderr (empty when the command already reported).
    pub message: String,
}

/// Exit code when an operation failed in at least one repository.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// The operation failed somewhere; details were already printed (exit 1).
    pub fn reported_failure() -> Self {
        CliError {
            code: EXIT_FAILED,
            message: String::new(),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: e.to_string(),
        }
    }
}

impl From<RepoError> for CliError {
    fn from(e: RepoError) -> Self {
        let code = match &e {
            RepoError::Config(_)
            | RepoError::UnknownRepo { .. }
            | RepoError::InvalidRequest(_)
            | RepoError::BadRevision { .. } => EXIT_USAGE,
            _ => EXIT_FAILED,
        };
        CliError {
            code,
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError {
            code: EXIT_FAILED,
            message: e.to_string(),
        }
    }
}

/// Result of a command.
pub type CliResult = Result<(), CliError>;
