//! Tools written in the host language (a Python function, a JavaScript function, a Kotlin
//! object) and registered next to Relay's own, so a voice model can call the application's tools
//! in the same session — what `ToolRegistry::register` offers Rust.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relay::core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};
use serde_json::Value;

use crate::error::BindingError;

/// The host side of a tool: gets the arguments (already validated against the tool's schema) as
/// JSON text, returns the result as JSON text — or `Err` with the host's error message when the
/// function raised or threw (the model then reads that message).
#[async_trait]
pub trait ToolCallback: Send + Sync {
    /// Runs the tool once.
    async fn call(&self, arguments_json: String) -> Result<String, String>;
}

/// How a host tool presents itself to the model.
#[derive(Debug, Clone, Default)]
pub struct HostToolSpec {
    /// Unique name: letters, digits, `_` or `-`, at most 64 (the OpenAI function-name rule).
    pub name: String,
    /// What it does and when to use it, written for the model.
    pub description: String,
    /// JSON Schema of the arguments object (`{"type": "object", ...}`); `None` for no arguments.
    pub parameters_json: Option<String>,
    /// `read` (default), `session`, `write_repos`, `run_agent` or `manage_infra`.
    pub permission: Option<String>,
    /// Long tools get a spoken acknowledgement and periodic progress.
    pub long_running: bool,
    /// Fail the call (with a message the model can relay) after this many seconds.
    pub timeout_secs: Option<u64>,
    /// Its effect is hard to undo: every call waits for a person's approval through the
    /// tools' approval callback (`on_approval`), and is refused without one. The host function
    /// runs only after a yes.
    pub needs_approval: bool,
}

impl HostToolSpec {
    /// Checks the spec and turns it into Relay's [`ToolSpec`].
    pub fn into_spec(self) -> Result<ToolSpec, BindingError> {
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_name {
            return Err(BindingError::usage(format!(
                "tool name `{}` is not usable: use 1 to 64 letters, digits, `_` or `-`",
                self.name
            )));
        }
        if self.description.trim().is_empty() {
            return Err(BindingError::usage(format!(
                "tool `{}` needs a description: the model decides from it when to call the tool",
                self.name
            )));
        }
        let parameters = match &self.parameters_json {
            None => serde_json::json!({"type": "object", "properties": {}}),
            Some(text) => serde_json::from_str::<Value>(text).map_err(|e| {
                BindingError::usage(format!(
                    "the parameters of tool `{}` are not JSON ({e})",
                    self.name
                ))
            })?,
        };
        if parameters.get("type").and_then(Value::as_str) != Some("object") {
            return Err(BindingError::usage(format!(
                "the parameters of tool `{}` must be a JSON Schema with \"type\": \"object\" \
                 (tool arguments are always an object)",
                self.name
            )));
        }
        let permission = match self.permission.as_deref() {
            None => Permission::Read,
            Some(name) => relay::parse_permission(name)?,
        };
        let mut spec = ToolSpec::new(self.name, self.description, parameters, permission);
        if self.long_running {
            spec = spec.long_running();
        }
        if let Some(secs) = self.timeout_secs {
            spec = spec.timeout(Duration::from_secs(secs));
        }
        if self.needs_approval {
            spec = spec.needs_approval();
        }
        Ok(spec)
    }
}

/// A [`Tool`] answered by a host-language [`ToolCallback`].
pub(crate) struct HostTool {
    spec: ToolSpec,
    callback: Arc<dyn ToolCallback>,
}

impl HostTool {
    pub(crate) fn new(spec: ToolSpec, callback: Arc<dyn ToolCallback>) -> Self {
        Self { spec, callback }
    }
}

#[async_trait]
impl Tool for HostTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let result = self
            .callback
            .call(args.to_string())
            .await
            .map_err(ToolError::Failed)?;
        // A host function may return plain text: the model gets it as a string.
        Ok(serde_json::from_str(&result).unwrap_or(Value::String(result)))
    }
}
