//! How the CLI fails: a message and an exit code (0 success, 1 the operation failed in at least
//! one repository, 2 usage or configuration error, 3 the caller's role, limits or token do not
//! allow it).

use relay::core::github::GitHubError;
use relay::core::infra::InfraError;
use relay::core::voice::VoiceError;
use relay::core::{ConfigError, RepoError};

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
/// Exit code when the caller is not allowed: their role or limits, a wrong or revoked token, a
/// user outside the team.
pub const EXIT_DENIED: u8 = 3;

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

/// What the user must change in the request (`relay::Error::is_usage`) exits with 2, anything
/// else with 1.
impl From<relay::Error> for CliError {
    fn from(e: relay::Error) -> Self {
        CliError {
            code: if matches!(e.code(), "denied" | "unauthenticated" | "limit_reached") {
                EXIT_DENIED
            } else if e.is_usage() {
                EXIT_USAGE
            } else {
                EXIT_FAILED
            },
            message: e.to_string(),
        }
    }
}

/// The parts' own errors, classified the one way `relay::Error` does.
macro_rules! through_relay_error {
    ($($error:ty),*) => {$(
        impl From<$error> for CliError {
            fn from(e: $error) -> Self {
                relay::Error::from(e).into()
            }
        }
    )*};
}

through_relay_error!(ConfigError, RepoError, InfraError, VoiceError, GitHubError);

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
