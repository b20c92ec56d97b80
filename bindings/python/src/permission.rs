//! The agent's permission callback as a Python callable, plain or `async def`.
//!
//! The agent asks from a tokio task; the callable runs on the asyncio event loop that started
//! the run, handed over through that loop's completion port (see `completion.rs`), so tokio
//! threads still never take the GIL and an `async def` callback runs as an ordinary task on its
//! own loop. `relay._aio.call_permission` calls it and answers through a [`PermissionReply`]:
//! the answer as JSON text for `relay_bindings_common::parse_decision`, or a failure message
//! (the callback raised, returned something that is not JSON, or its task was cancelled) with
//! which the run denies the tool.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pyo3::prelude::*;
use relay_bindings_common::{CallbackPolicy, PermissionCallback};
use tokio::sync::oneshot;

use crate::aio;
use crate::completion::Completions;
use crate::errors::UsageError;

type Answer = Result<String, String>;

/// A Python permission callback bound to the event loop it runs on.
pub struct PythonPermission {
    callback: Arc<Py<PyAny>>,
    completions: Arc<Completions>,
}

impl PythonPermission {
    /// Binds `callback` to the running event loop; fails when `callback` is not callable or no
    /// loop runs (the callback has nowhere to run then).
    pub fn new(py: Python<'_>, callback: Bound<'_, PyAny>) -> PyResult<Self> {
        if !callback.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "permission must be a callable taking the request dict and returning True/False, \
                 \"allow\"/\"deny\" or a decision dict (got {})",
                callback.get_type().name()?
            )));
        }
        let event_loop = pyo3_async_runtimes::get_running_loop(py).map_err(|_| {
            UsageError::new_err(
                "a permission callback runs on the asyncio event loop of the caller: start the \
                 run from a coroutine (inside asyncio.run)",
            )
        })?;
        let completions = aio::port(py, event_loop)?.get().completions();
        Ok(Self {
            callback: Arc::new(callback.unbind()),
            completions,
        })
    }
}

#[async_trait]
impl PermissionCallback for PythonPermission {
    /// Asks the callback about one tool use (`request_json`: repo, tool_name, input,
    /// tool_use_id, description) and returns its answer as JSON text, or why there is none.
    async fn decide(&self, request_json: String) -> Answer {
        let (sender, receiver) = oneshot::channel();
        let state = Arc::new(ReplyState {
            sender: Mutex::new(Some(sender)),
            task: Mutex::new(None),
        });
        let mut asking = Asking {
            receiver: Some(receiver),
            state: Arc::clone(&state),
            completions: Arc::clone(&self.completions),
        };
        let callback = Arc::clone(&self.callback);
        let unasked = Unasked(Some(state));
        self.completions.call_soon(Box::new(move |py| {
            let state = unasked.disarm();
            let reply = Py::new(py, PermissionReply { state })?;
            let called =
                aio::call_permission(py, callback.bind(py), request_json, reply.clone_ref(py));
            if let Err(error) = &called {
                reply
                    .get()
                    .state
                    .answer(Err(format!("it could not be called: {error}")));
            }
            called // an exception that is not an Exception (KeyboardInterrupt) reaches the loop
        }));
        let receiver = asking.receiver.as_mut().expect("set above");
        let answer = receiver.await;
        asking.receiver = None; // answered: nothing to abandon
        // The sender lives in `state`, which `asking` holds: an answer always comes, from the
        // callback or from `Unasked`.
        answer.unwrap_or_else(|_| Err(NO_LOOP.to_owned()))
    }
}

/// Failure messages read after "the permission callback failed: " (added by `CallbackPolicy`).
const NO_LOOP: &str = "it could not be asked: the asyncio event loop it \
     belongs to (the one running when the callback was given) is closed; give the callback \
     from the loop that runs the agent";

/// Answers the question with [`NO_LOOP`] if the call carrying it is dropped unrun (its loop is
/// gone), so the run does not wait for an answer that cannot come.
struct Unasked(Option<Arc<ReplyState>>);

impl Unasked {
    fn disarm(mut self) -> Arc<ReplyState> {
        self.0.take().expect("disarmed once")
    }
}

impl Drop for Unasked {
    fn drop(&mut self) {
        if let Some(state) = self.0.take() {
            state.answer(Err(NO_LOOP.to_owned()));
        }
    }
}

/// A question in flight. Dropped before the answer came (the run was cancelled), it cancels
/// the callback's asyncio task, so an `async def` callback waiting for a person does not
/// outlive the run.
struct Asking {
    receiver: Option<oneshot::Receiver<Answer>>,
    state: Arc<ReplyState>,
    completions: Arc<Completions>,
}

impl Drop for Asking {
    fn drop(&mut self) {
        if self.receiver.take().is_none() {
            return;
        }
        // The receiver is gone now, so `track` cancels a task registered from here on itself.
        let task = self
            .state
            .task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            self.completions.call_soon(Box::new(move |py| {
                task.bind(py).call_method0("cancel")?;
                Ok(())
            }));
        }
    }
}

/// What the loop side and the asking side share about one question.
struct ReplyState {
    sender: Mutex<Option<oneshot::Sender<Answer>>>,
    /// The callback's asyncio task while an `async def` callback runs.
    task: Mutex<Option<Py<PyAny>>>,
}

impl ReplyState {
    /// Called on the loop's thread (holding the GIL, so the task reference drops here), or by
    /// [`Unasked`] before any task existed.
    fn answer(&self, answer: Answer) {
        self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            // The run may have ended (cancelled) meanwhile; then nobody needs the answer.
            let _ = sender.send(answer);
        }
    }

    /// Whether the run still waits for the answer.
    fn wanted(&self) -> bool {
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        sender.as_ref().is_some_and(|s| !s.is_closed())
    }
}

/// The policy of a run whose `permission` argument is `callback` (None: no callback, so tools
/// outside `allowed_tools` are denied).
pub fn policy(
    py: Python<'_>,
    callback: Option<Bound<'_, PyAny>>,
) -> PyResult<Option<Arc<CallbackPolicy>>> {
    callback
        .map(|callback| {
            let callback = PythonPermission::new(py, callback)?;
            Ok(Arc::new(CallbackPolicy::new(Arc::new(callback))))
        })
        .transpose()
}

/// Where `relay._aio.call_permission` puts the callback's answer (once).
#[pyclass(module = "relay._relay", name = "_PermissionReply", frozen)]
pub struct PermissionReply {
    state: Arc<ReplyState>,
}

#[pymethods]
impl PermissionReply {
    /// Whether the run still waits for the answer (a cancelled run does not: the callback is
    /// then not called at all).
    fn wanted(&self) -> bool {
        self.state.wanted()
    }

    /// The callback's decision, as JSON text.
    fn send(&self, answer_json: String) {
        self.state.answer(Ok(answer_json));
    }

    /// The callback failed: the tool is denied with `message`.
    fn fail(&self, message: String) {
        self.state.answer(Err(message));
    }

    /// The asyncio task running an `async def` callback: cancelled if the run stops waiting.
    fn track(&self, task: Bound<'_, PyAny>) -> PyResult<()> {
        let mut slot = self.state.task.lock().unwrap_or_else(|e| e.into_inner());
        if self.state.wanted() {
            *slot = Some(task.unbind());
        } else {
            task.call_method0("cancel")?;
        }
        Ok(())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PermissionReply>()
}
