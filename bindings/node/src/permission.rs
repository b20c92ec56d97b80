//! The agent's permission callback as a JavaScript function: called on the JavaScript thread with
//! the request as an object, it may answer with a value or a Promise of one. Rust awaits the
//! answer; a throw or a rejection becomes a denial carrying its message (never a crash).
//!
//! The threadsafe function is *weak*: it never keeps the Node process alive by itself. While an
//! agent run is observed (`for await`, `wait()`), the pending Promise of that call keeps the event
//! loop running, so the callback can always be reached; once the job ends, nothing is left
//! holding the loop and the process exits normally.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use relay_bindings_common::PermissionCallback;
use tokio::sync::oneshot;

use crate::convert::{parse_json, stringify};

/// The JavaScript permission function as Rust holds it: called with one [`JsonArg`], returning
/// anything (checked when it arrives), errors not passed as a first argument, weak.
pub type PermissionFn = ThreadsafeFunction<JsonArg, Unknown<'static>, JsonArg, Status, false, true>;

/// JSON text that reaches JavaScript as the decoded value (`JSON.parse` on the JS thread).
pub struct JsonArg(pub String);

impl ToNapiValue for JsonArg {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        Ok(parse_json(&env, val.0)?.raw())
    }
}

/// Whatever JavaScript answered, as JSON text (`JSON.stringify`). `undefined`, functions and
/// symbols have no JSON form: they become `null`, which Relay refuses saying what to return.
struct JsonAnswer(String);

impl FromNapiValue for JsonAnswer {
    unsafe fn from_napi_value(
        raw_env: napi::sys::napi_env,
        value: napi::sys::napi_value,
    ) -> Result<Self> {
        let env = Env::from_raw(raw_env);
        let value = unsafe { Unknown::from_raw_unchecked(raw_env, value) };
        Ok(Self(
            stringify(&env, value)?.unwrap_or_else(|| "null".into()),
        ))
    }
}

/// The callback's immediate outcome: an answer, or a Promise still to settle.
enum Outcome {
    Ready(std::result::Result<String, String>),
    Later(Promise<JsonAnswer>),
}

/// A JavaScript permission function, usable by Relay's `CallbackPolicy`.
pub struct JsPermission {
    function: PermissionFn,
}

impl JsPermission {
    /// Wraps `function` (already weak: see the module docs).
    pub fn new(function: PermissionFn) -> Self {
        Self { function }
    }

    /// Calls the function with `request_json` (decoded) and awaits its answer as JSON text; a
    /// throw, a rejection or an unusable answer is `Err` with its message.
    pub async fn call(&self, request_json: String) -> std::result::Result<String, String> {
        let (send, receive) = oneshot::channel();
        let status = self.function.call_with_return_value(
            JsonArg(request_json),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, env| {
                // Runs on the JavaScript thread: inspect the value while it is alive.
                let _ = send.send(settle(returned, &env));
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(format!(
                "the permission callback could not be called ({status}): the Node.js environment is shutting down"
            ));
        }
        match receive.await {
            Err(_) => Err(
                "the permission callback was never run: the Node.js environment shut down".into(),
            ),
            Ok(Outcome::Ready(answer)) => answer,
            Ok(Outcome::Later(promise)) => promise.await.map(|a| a.0).map_err(|e| e.reason),
        }
    }
}

#[async_trait::async_trait]
impl PermissionCallback for JsPermission {
    async fn decide(&self, request_json: String) -> std::result::Result<String, String> {
        self.call(request_json).await
    }
}

/// Turns the function's return value (or its throw) into an [`Outcome`], on the JS thread.
fn settle(returned: Result<Unknown<'static>>, env: &Env) -> Outcome {
    let value = match returned {
        Ok(value) => value,
        Err(thrown) => return Outcome::Ready(Err(thrown.reason.clone())),
    };
    let raw = value.raw();
    match value.is_promise() {
        Ok(true) => match unsafe { Promise::<JsonAnswer>::from_napi_value(env.raw(), raw) } {
            Ok(promise) => Outcome::Later(promise),
            Err(e) => Outcome::Ready(Err(e.reason.clone())),
        },
        _ => Outcome::Ready(
            unsafe { JsonAnswer::from_napi_value(env.raw(), raw) }
                .map(|a| a.0)
                .map_err(|e| e.reason.clone()),
        ),
    }
}
