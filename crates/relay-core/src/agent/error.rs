//! Errors of agent runs. Each says what went wrong and what to do.

use std::path::PathBuf;
use std::time::Duration;

/// Why an agent run produced no outcome.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The agent program is not installed.
    #[error(
        "the Claude Code CLI was not found ({searched}); install it with \
         `npm install -g @anthropic-ai/claude-code` (or scripts/setup/claude.sh) \
         or point RELAY_CLAUDE_BIN at the `claude` binary"
    )]
    BinaryNotFound {
        /// Where we looked.
        searched: String,
    },
    /// The agent program is older than Relay supports.
    #[error(
        "{path} is Claude Code {found}, but Relay needs {required} or newer; \
         upgrade with `npm install -g @anthropic-ai/claude-code@latest`"
    )]
    VersionTooOld {
        /// The binary.
        path: PathBuf,
        /// Its version.
        found: String,
        /// Minimum version.
        required: String,
    },
    /// The task is not valid for this agent.
    #[error("invalid agent task: {0}")]
    InvalidTask(String),
    /// The working directory is missing.
    #[error("working directory {0} does not exist; check the repository path")]
    MissingCwd(PathBuf),
    /// Spawning or talking to the process failed.
    #[error("could not {action} {program}: {source}")]
    Io {
        /// What we tried.
        action: &'static str,
        /// The program.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The process exited before writing its result.
    #[error(
        "the agent process exited with {exit} before writing a result{}",
        stderr_suffix(.stderr_tail)
    )]
    ExitedWithoutResult {
        /// Exit code or signal, in words.
        exit: String,
        /// Last lines of stderr.
        stderr_tail: String,
    },
    /// A stdout line was larger than the configured limit.
    #[error(
        "the agent wrote a line of {size} bytes, above the limit of {limit}; raise max_line_bytes"
    )]
    LineTooLong {
        /// Bytes seen.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// No output for longer than the idle timeout; the process group was killed.
    #[error(
        "the agent produced no output for {timeout:?} (idle timeout); it was stopped{}",
        stderr_suffix(.stderr_tail)
    )]
    IdleTimeout {
        /// The idle timeout.
        timeout: Duration,
        /// Last lines of stderr.
        stderr_tail: String,
    },
    /// The run took longer than the overall timeout; the process group was killed.
    #[error(
        "the agent run exceeded its overall timeout of {timeout:?}; it was stopped{}",
        stderr_suffix(.stderr_tail)
    )]
    OverallTimeout {
        /// The overall timeout.
        timeout: Duration,
        /// Last lines of stderr.
        stderr_tail: String,
    },
    /// The run was cancelled; the process group was killed.
    #[error("the agent run was cancelled")]
    Cancelled,
    /// The agent sent something that breaks the protocol.
    #[error("agent protocol error: {0}")]
    Protocol(String),
    /// A bug in Relay (a panic inside the run).
    #[error("internal error: {0}; please report this as a bug")]
    Internal(String),
}

impl AgentError {
    /// A stable, machine-readable name for the error (for bindings and `--json` output).
    pub fn code(&self) -> &'static str {
        match self {
            AgentError::BinaryNotFound { .. } => "agent_not_found",
            AgentError::VersionTooOld { .. } => "agent_too_old",
            AgentError::InvalidTask(_) => "invalid_task",
            AgentError::MissingCwd(_) => "missing_cwd",
            AgentError::Io { .. } => "io",
            AgentError::ExitedWithoutResult { .. } => "agent_exited",
            AgentError::LineTooLong { .. } => "line_too_long",
            AgentError::IdleTimeout { .. } => "idle_timeout",
            AgentError::OverallTimeout { .. } => "timeout",
            AgentError::Cancelled => "cancelled",
            AgentError::Protocol(_) => "protocol",
            AgentError::Internal(_) => "internal",
        }
    }
}

impl From<crate::job::JobFailure> for AgentError {
    fn from(failure: crate::job::JobFailure) -> Self {
        match failure {
            crate::job::JobFailure::Cancelled => AgentError::Cancelled,
            crate::job::JobFailure::Panicked(message) => AgentError::Internal(message),
        }
    }
}

fn stderr_suffix(tail: &str) -> String {
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!("; stderr ends with:\n{}", tail.trim_end())
    }
}
