//! [`InfraError`]: what went wrong with an environment, and what to do about it.

use std::path::PathBuf;

use crate::job::JobFailure;

/// An error from an [`super::InfraProvider`].
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// Settings are missing or invalid; the message lists every problem.
    #[error("{0}")]
    Config(String),

    /// No environment by that name.
    #[error("no environment named `{name}` in {provider}; `relay env ls` lists them")]
    NotFound {
        /// The name asked for.
        name: String,
        /// Provider name.
        provider: String,
    },

    /// An environment by that name exists already.
    #[error(
        "an environment named `{name}` already exists in {provider}; pick another name or `relay env down {name} --destroy` first"
    )]
    AlreadyExists {
        /// The name.
        name: String,
        /// Provider name.
        provider: String,
    },

    /// The request cannot be done as asked (bad name, unknown profile, wrong state...).
    #[error("{0}")]
    InvalidRequest(String),

    /// The operation is not available with this provider or guest kind.
    #[error("{0}")]
    Unsupported(String),

    /// The caller's role or quota does not allow it (a profile above their role, too many
    /// environments, someone else's environment); the message says which limit and who may.
    #[error("{0}")]
    LimitReached(String),

    /// The server refused the credentials.
    #[error("{message}")]
    Auth {
        /// What was refused and how to fix it.
        message: String,
    },

    /// The server's certificate could not be verified.
    #[error(
        "TLS verification of {url} failed: {message}; trust the node's CA with PROXMOX_CA_FILE (infra.proxmox.ca_file, e.g. a copy of /etc/pve/pve-root-ca.pem) or pin its certificate with PROXMOX_FINGERPRINT (infra.proxmox.fingerprint)"
    )]
    Tls {
        /// The server.
        url: String,
        /// The verifier's complaint.
        message: String,
    },

    /// The server could not be reached.
    #[error("cannot reach {url}: {message}")]
    Connect {
        /// The server.
        url: String,
        /// Why.
        message: String,
    },

    /// The API answered with an error.
    #[error("{}", render_api(method, path, *status, message, errors, *attempts))]
    Api {
        /// HTTP method.
        method: String,
        /// API path below `/api2/json`.
        path: String,
        /// HTTP status.
        status: u16,
        /// The server's message (PVE puts it in the HTTP reason phrase).
        message: String,
        /// Per-parameter messages from the `errors` object, sorted by parameter.
        errors: Vec<(String, String)>,
        /// How many times the request was sent (more than 1 after transient failures).
        attempts: u32,
    },

    /// A provider task ended in failure.
    #[error("{task} failed: {exit_status}{}", render_log(log_tail))]
    TaskFailed {
        /// What the task was (`vzcreate 105`, UPID...).
        task: String,
        /// The task's exit status.
        exit_status: String,
        /// The last lines of the task log.
        log_tail: Vec<String>,
    },

    /// Waiting took longer than allowed.
    #[error("{operation} did not finish within {secs} s; {advice}")]
    Timeout {
        /// What was waited for.
        operation: String,
        /// The limit.
        secs: f64,
        /// What to do.
        advice: String,
    },

    /// A local file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// Cloning the workspace repositories into the environment failed.
    #[error("cloning the workspace into the environment failed: {0}")]
    Repos(String),

    /// The operation was cancelled or panicked.
    #[error(transparent)]
    Job(#[from] JobFailure),
}

impl InfraError {
    /// A short stable identifier of the error kind, for bindings and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            InfraError::Config(_) => "config",
            InfraError::NotFound { .. } => "not_found",
            InfraError::AlreadyExists { .. } => "already_exists",
            InfraError::InvalidRequest(_) => "invalid_request",
            InfraError::Unsupported(_) => "unsupported",
            InfraError::LimitReached(_) => "limit_reached",
            InfraError::Auth { .. } => "auth",
            InfraError::Tls { .. } => "tls",
            InfraError::Connect { .. } => "connect",
            InfraError::Api { .. } => "api",
            InfraError::TaskFailed { .. } => "task_failed",
            InfraError::Timeout { .. } => "timeout",
            InfraError::Io { .. } => "io",
            InfraError::Repos(_) => "repos",
            InfraError::Job(JobFailure::Cancelled) => "cancelled",
            InfraError::Job(JobFailure::Panicked(_)) => "internal",
        }
    }

    /// A convenience for I/O errors.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        InfraError::Io {
            path: path.into(),
            source,
        }
    }
}

fn render_api(
    method: &str,
    path: &str,
    status: u16,
    message: &str,
    errors: &[(String, String)],
    attempts: u32,
) -> String {
    let mut out = format!("Proxmox refused {method} {path} ({status}): {message}");
    for (param, text) in errors {
        out.push_str(&format!("\n  {param}: {text}"));
    }
    if attempts > 1 {
        out.push_str(&format!("\n  (gave up after {attempts} attempts)"));
    }
    out
}

fn render_log(tail: &[String]) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!("\n  task log (last lines):\n    {}", tail.join("\n    "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_show_reason_and_parameter_errors() {
        let e = InfraError::Api {
            method: "POST".into(),
            path: "/nodes/pve/lxc".into(),
            status: 400,
            message: "Parameter verification failed.".into(),
            errors: vec![(
                "memory".into(),
                "type check ('integer') failed - got 'x'".into(),
            )],
            attempts: 1,
        };
        assert_eq!(
            e.to_string(),
            "Proxmox refused POST /nodes/pve/lxc (400): Parameter verification failed.\n  memory: type check ('integer') failed - got 'x'"
        );
        assert_eq!(e.code(), "api");
    }
}
