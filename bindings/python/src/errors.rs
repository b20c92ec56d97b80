//! The exception hierarchy: `RelayError` and one subclass per `ErrorKind`. Each instance carries
//! the Rust error's stable `code` as an attribute and its message as `str(exc)`.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use relay_bindings_common::{BindingError, ErrorKind};

pyo3::create_exception!(
    relay,
    RelayError,
    PyException,
    "Base class of every error raised by Relay. `code` is a stable identifier of the error kind."
);
pyo3::create_exception!(
    relay,
    ConfigError,
    RelayError,
    "The workspace configuration (relay.yaml) is missing or invalid."
);
pyo3::create_exception!(
    relay,
    RepoError,
    RelayError,
    "A repository operation failed."
);
pyo3::create_exception!(
    relay,
    AgentError,
    RelayError,
    "A coding agent could not run (binary missing or too old, crash, timeout)."
);
pyo3::create_exception!(
    relay,
    VoiceError,
    RelayError,
    "A voice session failed (missing API key, connection, service error)."
);
pyo3::create_exception!(
    relay,
    InfraError,
    RelayError,
    "An environment operation failed (provider configuration, API error, unknown environment)."
);
pyo3::create_exception!(
    relay,
    GitHubError,
    RelayError,
    "A GitHub operation failed or was refused (token, rate limit, not found, failing checks)."
);
pyo3::create_exception!(
    relay,
    StoreError,
    RelayError,
    "Relay's store (SQLite or Redis) could not be reached or opened, or failed; the message names its URL (password redacted)."
);
pyo3::create_exception!(
    relay,
    JobCancelledError,
    RelayError,
    "The job was cancelled."
);
pyo3::create_exception!(
    relay,
    UsageError,
    RelayError,
    "The API was used wrongly; the message says how to use it."
);
pyo3::create_exception!(
    relay,
    InternalError,
    RelayError,
    "A bug in Relay; please report it with the message."
);

/// Converts a binding error into the matching Python exception, with `code` set.
pub fn to_py_err(error: BindingError) -> PyErr {
    let BindingError {
        kind,
        code,
        message,
    } = error;
    let err = match kind {
        ErrorKind::Config => ConfigError::new_err(message),
        ErrorKind::Repo => RepoError::new_err(message),
        ErrorKind::Agent => AgentError::new_err(message),
        ErrorKind::Voice => VoiceError::new_err(message),
        ErrorKind::Infra => InfraError::new_err(message),
        ErrorKind::GitHub => GitHubError::new_err(message),
        ErrorKind::Store => StoreError::new_err(message),
        ErrorKind::Cancelled => JobCancelledError::new_err(message),
        ErrorKind::Usage => UsageError::new_err(message),
        ErrorKind::Internal => InternalError::new_err(message),
    };
    Python::attach(|py| {
        // Setting an attribute on a fresh exception instance cannot fail short of memory errors.
        let _ = err.value(py).setattr("code", code);
    });
    err
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("RelayError", py.get_type::<RelayError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("RepoError", py.get_type::<RepoError>())?;
    m.add("AgentError", py.get_type::<AgentError>())?;
    m.add("VoiceError", py.get_type::<VoiceError>())?;
    m.add("InfraError", py.get_type::<InfraError>())?;
    m.add("GitHubError", py.get_type::<GitHubError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("JobCancelledError", py.get_type::<JobCancelledError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}
