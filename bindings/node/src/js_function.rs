//! A JavaScript function Relay calls from any thread (the agent's permission callback, a host
//! tool's handler): called on the JavaScript thread with one value decoded from JSON, it may
//! answer with a value or a Promise of one. Rust awaits the answer as JSON text; a throw or a
//! rejection becomes `Err` with its message (never a crash).
//!
//! The threadsafe function is *weak*: it never keeps the Node process alive by itself. While a
//! job or a voice session is observed (`for await`, `wait()`), the pending Promise of that call
//! keeps the event loop running, so the function can always be reached; once the job ends,
//! nothing is left holding the loop and the process exits normally.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use tokio::sync::oneshot;

use crate::convert::{parse_json, stringify};

/// A JavaScript function as Rust holds it: called with one [`JsonArg`], returning anything
/// (checked when it arrives), errors not passed as a first argument, weak.
pub type JsonFn = ThreadsafeFunction<JsonArg, Unknown<'static>, JsonArg, Status, false, true>;

/// JSON text that reaches JavaScript as the decoded value (`JSON.parse` on the JS thread).
pub struct JsonArg(pub String);

impl ToNapiValue for JsonArg {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        Ok(parse_json(&env, val.0)?.raw())
    }
}

/// What the function answered, as JSON text (`JSON.stringify`): `undefined` is `null` (the
/// function returned nothing); `None` for functions and symbols, which have no JSON form; `Err`
/// (why) for values `JSON.stringify` refuses (a BigInt, a cycle). Never a conversion error, so
/// that a rejected Promise and an unusable answer stay apart.
struct JsonAnswer(std::result::Result<Option<String>, String>);

impl FromNapiValue for JsonAnswer {
    unsafe fn from_napi_value(
        raw_env: napi::sys::napi_env,
        value: napi::sys::napi_value,
    ) -> Result<Self> {
        let env = Env::from_raw(raw_env);
        // SAFETY: `raw_env` and `value` come from Node-API for this call; `Unknown` makes no
        // assumption about the value's type.
        let value = unsafe { Unknown::from_raw_unchecked(raw_env, value) };
        if value.get_type()? == ValueType::Undefined {
            return Ok(Self(Ok(Some("null".into()))));
        }
        // `JSON.stringify` throws on a BigInt or a cycle: its message says which.
        Ok(Self(stringify(&env, value).map_err(|e| e.reason)))
    }
}

/// The function's immediate outcome: an answer (or its throw), or a Promise still to settle.
enum Outcome {
    Ready(std::result::Result<JsonAnswer, String>),
    Later(Promise<JsonAnswer>),
}

/// A JavaScript function Relay awaits (see the module docs).
pub struct JsFunction {
    function: JsonFn,
    /// What the function is, for errors: "the permission callback", "the handler of tool `x`".
    what: String,
}

impl JsFunction {
    /// Wraps `function` (already weak: see the module docs), named `what` in errors.
    pub fn new(function: JsonFn, what: impl Into<String>) -> Self {
        Self {
            function,
            what: what.into(),
        }
    }

    /// What the function is, for errors.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Calls the function with `argument_json` (decoded) and awaits its answer as JSON text
    /// (`None`: a function or symbol, without JSON form). A throw or a rejection is `Err` with
    /// its message; an answer `JSON.stringify` refuses is `Err` saying so.
    pub async fn call(&self, argument_json: String) -> std::result::Result<Option<String>, String> {
        let (send, receive) = oneshot::channel();
        let status = self.function.call_with_return_value(
            JsonArg(argument_json),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, env| {
                // Runs on the JavaScript thread: inspect the value while it is alive.
                let _ = send.send(settle(returned, &env));
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(format!(
                "{} could not be called ({status}): the Node.js environment is shutting down",
                self.what
            ));
        }
        match receive.await {
            Err(_) => Err(format!(
                "{} was never run: the Node.js environment shut down",
                self.what
            )),
            Ok(Outcome::Ready(answer)) => answer.and_then(|a| self.usable(a)),
            Ok(Outcome::Later(promise)) => match promise.await {
                Ok(answer) => self.usable(answer),
                Err(rejected) => Err(rejected.reason),
            },
        }
    }

    fn usable(&self, answer: JsonAnswer) -> std::result::Result<Option<String>, String> {
        answer.0.map_err(|why| {
            format!(
                "{} returned a value that cannot be turned into JSON ({why}); return plain \
                 objects, arrays, strings, numbers, booleans or null",
                self.what
            )
        })
    }
}

/// Turns the function's return value (or its throw) into an [`Outcome`], on the JS thread.
fn settle(returned: Result<Unknown<'static>>, env: &Env) -> Outcome {
    let value = match returned {
        Ok(value) => value,
        Err(thrown) => return Outcome::Ready(Err(thrown.reason)),
    };
    let raw = value.raw();
    match value.is_promise() {
        // SAFETY: `raw` is a value of the environment `env` (this runs on the JavaScript
        // thread), checked to be a Promise just above.
        Ok(true) => match unsafe { Promise::<JsonAnswer>::from_napi_value(env.raw(), raw) } {
            Ok(promise) => Outcome::Later(promise),
            Err(e) => Outcome::Ready(Err(e.reason)),
        },
        _ => Outcome::Ready(
            // SAFETY: `raw` is a value of the environment `env`; `JsonAnswer` accepts any type.
            unsafe { JsonAnswer::from_napi_value(env.raw(), raw) }.map_err(|e| e.reason),
        ),
    }
}
