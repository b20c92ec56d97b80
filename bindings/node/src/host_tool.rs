//! Tools written in JavaScript: `tools.register({ name, description, parameters, ... }, handler)`
//! puts an app's own tool next to Relay's, so a voice model can call it like any other. Relay
//! validates the arguments against `parameters` before the handler sees them; the handler (sync
//! or `async`) gets the arguments object and returns any JSON value.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{BindingError, HostToolSpec, ToolCallback};

use crate::convert::{JsonText, js_error};
use crate::js_function::{JsFunction, JsonFn};
use crate::tools::Tools;

/// How a JavaScript tool presents itself to the model (the first argument of `register`).
#[napi(object, object_to_js = false)]
pub struct ToolDefinition {
    /// Unique name: 1 to 64 letters, digits, `_` or `-` (Relay's tools keep theirs).
    pub name: String,
    /// What the tool does and when to use it, written for the model.
    pub description: String,
    /// JSON Schema of the arguments object (`{ type: 'object', properties, required }`), as an
    /// object or JSON text. Default: no arguments.
    #[napi(ts_type = "Record<string, unknown> | string")]
    pub parameters: Option<JsonText>,
    /// The permission a caller needs: `read` (default), `session`, `write_repos`, `run_agent` or
    /// `manage_infra`.
    pub permission: Option<String>,
    /// A long tool: the model gets a spoken acknowledgement first (default false).
    pub long_running: Option<bool>,
    /// Fail the call after this many seconds, with a message the model can relay.
    pub timeout_secs: Option<u32>,
    /// Its effect is hard to undo (default false): every call first asks the `onApproval`
    /// callback, and the handler runs only after a yes (refused without a callback).
    pub needs_approval: Option<bool>,
}

/// A JavaScript handler answering a tool's calls.
struct JsTool(JsFunction);

#[async_trait::async_trait]
impl ToolCallback for JsTool {
    async fn call(&self, arguments_json: String) -> std::result::Result<String, String> {
        self.0.call(arguments_json).await?.ok_or_else(|| {
            format!(
                "{} returned a function or a symbol, which has no JSON form; return plain \
                 objects, arrays, strings, numbers, booleans or null",
                self.0.what()
            )
        })
    }
}

#[napi]
impl Tools {
    /// Adds a tool written in JavaScript. `handler(args)` gets the arguments object (already
    /// checked against `parameters`: invalid arguments never reach it) and returns, or resolves
    /// to, any JSON-serializable value: the model receives `{ ok: true, value }`. A throw or
    /// rejection answers `{ ok: false }` with its message. Sessions started before keep the
    /// tools they had. Throws (code `usage`) on a bad name, a name already taken, a missing
    /// description, parameters that are not an object schema or an unknown permission.
    #[napi]
    pub fn register(
        &self,
        env: &Env,
        definition: ToolDefinition,
        #[napi(ts_arg_type = "ToolHandler")] handler: Unknown,
    ) -> Result<()> {
        let what = format!("the handler of tool `{}`", definition.name);
        if handler.get_type()? != ValueType::Function {
            return Err(js_error(
                env,
                BindingError::usage(format!(
                    "{what} must be a function (sync or async) taking the arguments object"
                )),
            ));
        }
        // SAFETY: `handler` was checked to be a function just above, in the environment `env`.
        let handler = unsafe { JsonFn::from_napi_value(env.raw(), handler.raw())? };
        let spec = HostToolSpec {
            name: definition.name,
            description: definition.description,
            parameters_json: definition.parameters.map(|p| p.0),
            permission: definition.permission,
            long_running: definition.long_running.unwrap_or(false),
            timeout_secs: definition.timeout_secs.map(u64::from),
            needs_approval: definition.needs_approval.unwrap_or(false),
        };
        let callback = Arc::new(JsTool(JsFunction::new(handler, what)));
        self.inner
            .register(spec, callback)
            .map_err(|e| js_error(env, e))
    }
}
