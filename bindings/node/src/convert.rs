//! Values crossing into JavaScript: JSON text decoded by V8's own `JSON.parse` (much cheaper than
//! building objects property by property through Node-API), and errors as `Error` with a `code`.

use napi::bindgen_prelude::*;
use relay_bindings_common::BindingError;

/// `JSON.parse(text)` on the JavaScript thread.
pub fn parse_json<'env>(env: &'env Env, text: String) -> Result<Unknown<'env>> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<String, Unknown> = json.get_named_property("parse")?;
    parse.call(text)
}

/// A JavaScript `Error` with `code` (`"unknown_repo"`, `"config"`, `"cancelled"`, ...), `kind`
/// (`"repo"`, `"config"`, ...) and the Rust message, ready to reject a Promise with.
pub fn js_error(env: &Env, error: BindingError) -> Error {
    let BindingError {
        kind,
        code,
        message,
    } = error;
    let build = || -> Result<Error> {
        // SAFETY: `env` is the live environment of the JavaScript thread this runs on, the
        // only place an `Env` exists.
        let raw = unsafe {
            JsError::from(Error::new(code.clone(), message.clone())).into_value(env.raw())
        };
        let mut object = Object::from_raw(env.raw(), raw);
        object.set_named_property("kind", kind.as_str())?;
        Ok(Error::from(object.to_unknown()))
    };
    // Building the object only fails while the environment shuts down; keep the message then.
    build().unwrap_or_else(|_| Error::new(Status::GenericFailure, message))
}

/// A Promise of the next batch of events (a parsed JSON array), or of `null` once the stream is
/// over: what the `nextBatch` of jobs and voice sessions returns.
pub fn next_batch_promise<'env, F>(
    env: &'env Env,
    batch: F,
) -> Result<PromiseRaw<'env, Unknown<'env>>>
where
    F: std::future::Future<Output = Option<String>> + Send + 'static,
{
    spawn_with(env, batch, |env, batch| match batch {
        Some(text) => parse_json(env, text),
        None => Null.into_unknown(env),
    })
}

/// A Promise for `fut`, settled on the JavaScript thread by `settle`. `fut` is polled once right
/// here (inside the tokio runtime's context): a result already at hand (buffered events, a
/// finished job) settles the Promise without any thread hand-off, and blocking work starts
/// without first waking a tokio worker; otherwise `fut` continues on the tokio runtime. Futures
/// re-register their waker on every poll, so the first poll's no-op waker is harmless.
pub fn spawn_with<'env, F, T, S>(
    env: &'env Env,
    fut: F,
    settle: S,
) -> Result<PromiseRaw<'env, Unknown<'env>>>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
    S: FnOnce(&'env Env, T) -> Result<Unknown<'env>> + 'static,
{
    let mut fut = Box::pin(fut);
    let first = within_runtime_if_available(|| {
        fut.as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    });
    match first {
        std::task::Poll::Ready(value) => match settle(env, value) {
            Ok(value) => PromiseRaw::resolve(env, value),
            Err(error) => PromiseRaw::reject(env, error),
        },
        std::task::Poll::Pending => {
            env.spawn_future_with_callback(async move { Ok(fut.await) }, settle)
        }
    }
}

/// [`spawn_with`] for a fallible future yielding JSON text: resolves with the decoded value,
/// rejects with [`js_error`].
pub fn spawn_json<'env, F>(env: &'env Env, fut: F) -> Result<PromiseRaw<'env, Unknown<'env>>>
where
    F: std::future::Future<Output = std::result::Result<String, BindingError>> + Send + 'static,
{
    spawn_with(env, fut, |env, result| match result {
        Ok(text) => parse_json(env, text),
        Err(error) => Err(js_error(env, error)),
    })
}

/// `JSON.stringify(value)` on the JavaScript thread; `None` for values without a JSON form
/// (`undefined`, functions, symbols).
pub fn stringify(env: &Env, value: Unknown) -> Result<Option<String>> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let stringify: Function<Unknown, Unknown> = json.get_named_property("stringify")?;
    let text = stringify.call(value)?;
    if text.get_type()? != ValueType::String {
        return Ok(None);
    }
    // SAFETY: `text` was checked to be a string just above, in the environment `env`.
    Ok(Some(unsafe {
        String::from_napi_value(env.raw(), text.raw())?
    }))
}

/// An instance of a `#[napi]` class `C` passed inside an options object (`{ workspace: ws }`),
/// held as a clone of the facade it wraps.
pub struct ClassArg<C: ClassHandle>(pub C::Handle);

impl<C: FromNapiRef + ClassHandle + 'static> FromNapiValue for ClassArg<C> {
    unsafe fn from_napi_value(
        env: napi::sys::napi_env,
        value: napi::sys::napi_value,
    ) -> Result<Self> {
        // SAFETY: `env` and `value` come from Node-API for this call; `from_napi_ref` checks
        // that `value` wraps a `C` and fails otherwise.
        let instance: &C = unsafe { C::from_napi_ref(env, value) }.map_err(|_| {
            Error::new(
                Status::InvalidArg,
                format!(
                    "expected an instance of {} (made by {})",
                    C::NAME,
                    C::MADE_BY
                ),
            )
        })?;
        Ok(Self(instance.handle()))
    }
}

impl<C: ClassHandle> TypeName for ClassArg<C> {
    fn type_name() -> &'static str {
        "object"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// A class whose instances can be passed in options objects.
pub trait ClassHandle {
    /// The class name, for errors.
    const NAME: &'static str;
    /// How an instance is made, for errors.
    const MADE_BY: &'static str;
    /// The facade type cloned out of the instance.
    type Handle;
    /// A clone of the facade.
    fn handle(&self) -> Self::Handle;
}

/// A JSON value given either as JSON text or as a JavaScript value (`JSON.stringify`d); empty
/// text for values without a JSON form (`undefined`, functions, symbols), which Relay then
/// refuses as not JSON.
pub struct JsonText(pub String);

impl FromNapiValue for JsonText {
    unsafe fn from_napi_value(
        raw_env: napi::sys::napi_env,
        value: napi::sys::napi_value,
    ) -> Result<Self> {
        let env = Env::from_raw(raw_env);
        // SAFETY: `raw_env` and `value` come from Node-API for this call; `Unknown` makes no
        // assumption about the value's type.
        let value = unsafe { Unknown::from_raw_unchecked(raw_env, value) };
        if value.get_type()? == ValueType::String {
            // SAFETY: the value was checked to be a string just above.
            return Ok(Self(unsafe {
                String::from_napi_value(raw_env, value.raw())?
            }));
        }
        Ok(Self(stringify(&env, value)?.unwrap_or_default()))
    }
}

impl TypeName for JsonText {
    fn type_name() -> &'static str {
        "JSON"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}
