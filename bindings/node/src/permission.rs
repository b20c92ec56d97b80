//! The agent's permission callback as a JavaScript function (see [`crate::js_function`]): called
//! with the request as an object, it may answer with a value or a Promise of one; a throw or a
//! rejection becomes a denial carrying its message.

use relay_bindings_common::PermissionCallback;

use crate::js_function::{JsFunction, JsonFn};

/// The JavaScript permission function as Rust holds it.
pub type PermissionFn = JsonFn;

/// A JavaScript permission function, usable by Relay's `CallbackPolicy`.
pub struct JsPermission(JsFunction);

impl JsPermission {
    /// Wraps `function` (weak: it never keeps the process alive by itself).
    pub fn new(function: PermissionFn) -> Self {
        Self(JsFunction::new(function, "the permission callback"))
    }
}

#[async_trait::async_trait]
impl PermissionCallback for JsPermission {
    async fn decide(&self, request_json: String) -> std::result::Result<String, String> {
        // A function or a symbol has no JSON form: `null`, which Relay refuses saying what to
        // return.
        Ok(self
            .0
            .call(request_json)
            .await?
            .unwrap_or_else(|| "null".into()))
    }
}
