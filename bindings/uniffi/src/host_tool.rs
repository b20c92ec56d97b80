//! Tools written in Kotlin or Swift: a [`ToolDefinition`] (how the model sees the tool) and a
//! [`ToolHandler`] (what runs), registered with `Tools.register` next to Relay's own tools, so a
//! voice model can call the app's tools in the same session.
//!
//! `call` is async on both sides, like the permission policy: a Kotlin `suspend` implementation
//! runs in a coroutine, and dropping the Rust future (the tool's timeout, a cancelled job, an
//! ended session) cancels that coroutine.

use std::sync::Arc;

use async_trait::async_trait;
use relay_bindings_common::{HostToolSpec, ToolCallback};

/// How a tool written in Kotlin or Swift presents itself to the model.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ToolDefinition {
    /// Unique name: 1 to 64 letters, digits, `_` or `-` (not one of Relay's tool names).
    pub name: String,
    /// What it does and when to use it, written for the model.
    pub description: String,
    /// JSON Schema of the arguments object (`{"type": "object", ...}`); `null` for no
    /// arguments. Calls whose arguments do not match never reach the handler.
    #[uniffi(default = None)]
    pub parameters_json: Option<String>,
    /// Permission a caller needs: `read` (default), `session`, `write_repos`, `run_agent` or
    /// `manage_infra` (checked against the `permissions` the `Tools` were built with).
    #[uniffi(default = None)]
    pub permission: Option<String>,
    /// Long tools get a spoken acknowledgement and periodic progress in a voice session.
    #[uniffi(default = false)]
    pub long_running: bool,
    /// Fail the call (with a message the model can relay) after this many seconds; the
    /// handler's coroutine is cancelled.
    #[uniffi(default = None)]
    pub timeout_secs: Option<u64>,
    /// Its effect is hard to undo: every call first asks the `onApproval` callback, and the
    /// handler runs only after a yes (refused without a callback).
    #[uniffi(default = false)]
    pub needs_approval: bool,
}

impl From<ToolDefinition> for HostToolSpec {
    fn from(d: ToolDefinition) -> Self {
        HostToolSpec {
            name: d.name,
            description: d.description,
            parameters_json: d.parameters_json,
            permission: d.permission,
            long_running: d.long_running,
            timeout_secs: d.timeout_secs,
            needs_approval: d.needs_approval,
        }
    }
}

/// Why a tool handler failed. Whatever a Kotlin or Swift handler throws arrives here; the model
/// reads `reason` as the tool's error (`ok: false`).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ToolHandlerError {
    /// The tool failed; `reason` says how, in words the model can relay.
    #[error("{reason}")]
    Failed {
        /// How the tool failed, in words the model can relay.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ToolHandlerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ToolHandlerError::Failed { reason: e.reason }
    }
}

/// Runs a tool written in Kotlin or Swift. Called on a background coroutine, possibly for
/// several calls at once.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait ToolHandler: Send + Sync {
    /// Runs the tool once with `argumentsJson` (a JSON object already checked against the
    /// definition's schema) and returns the result as JSON text (any other text reaches the
    /// model as a JSON string). Throwing fails the call: the model gets `ok: false` with the
    /// exception's message.
    async fn call(&self, arguments_json: String) -> Result<String, ToolHandlerError>;
}

/// A foreign [`ToolHandler`] as the shared facade's callback.
pub(crate) struct ForeignToolHandler(pub Arc<dyn ToolHandler>);

#[async_trait]
impl ToolCallback for ForeignToolHandler {
    async fn call(&self, arguments_json: String) -> Result<String, String> {
        self.0
            .call(arguments_json)
            .await
            .map_err(|ToolHandlerError::Failed { reason }| reason)
    }
}
