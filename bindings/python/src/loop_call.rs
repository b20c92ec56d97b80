//! Python callables that Rust calls from tokio tasks: the agent's permission callback and
//! tools written in Python.
//!
//! The callable is bound to the asyncio event loop that was running when it was given. A call
//! is handed to that loop through its completion port (see `completion.rs`), so tokio threads
//! never take the GIL and an `async def` runs as an ordinary task on its own loop. A helper in
//! `relay._aio` calls it there and answers through a [`CallReply`]: the result as JSON text, or
//! a failure message (it raised, returned something that is not JSON, or its task was
//! cancelled). A call whose Rust side stops waiting (the run or tool job was cancelled, or
//! timed out) cancels the callable's asyncio task.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tokio::sync::oneshot;

use crate::aio;
use crate::completion::Completions;
use crate::errors::UsageError;

/// The callable's result as JSON text, or why there is none.
pub type Answer = Result<String, String>;

/// Which `relay._aio` helper calls the callable (each checks and encodes what it returns).
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    /// `call_permission`: a decision.
    Permission,
    /// `call_tool`: a tool's result.
    Tool,
}

/// A Python callable bound to the event loop it runs on.
pub struct LoopCallable {
    callback: Arc<Py<PyAny>>,
    completions: Arc<Completions>,
    caller: Caller,
    /// The failure when the loop is gone by the time of a call.
    loop_closed: String,
}

impl LoopCallable {
    /// Binds `callback` (checked to be callable by the caller) to the running event loop;
    /// without one it fails with `no_running_loop` (the callable would have nowhere to run).
    /// `loop_closed` is the failure of calls made after that loop closed.
    pub fn bind(
        py: Python<'_>,
        callback: Bound<'_, PyAny>,
        caller: Caller,
        no_running_loop: &str,
        loop_closed: String,
    ) -> PyResult<Self> {
        let event_loop = pyo3_async_runtimes::get_running_loop(py)
            .map_err(|_| UsageError::new_err(no_running_loop.to_owned()))?;
        let completions = aio::port(py, event_loop)?.get().completions();
        Ok(Self {
            callback: Arc::new(callback.unbind()),
            completions,
            caller,
            loop_closed,
        })
    }

    /// Calls the callable with `request_json` (decoded to a dict on the loop) and waits for
    /// its answer. Dropping the returned future before the answer cancels an `async def`'s
    /// task.
    pub async fn call(&self, request_json: String) -> Answer {
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
        let caller = self.caller;
        let unasked = Unasked(Some(state), self.loop_closed.clone());
        self.completions.call_soon(Box::new(move |py| {
            let state = unasked.disarm();
            let reply = Py::new(py, CallReply { state })?;
            let called = call_on_loop(
                py,
                caller,
                callback.bind(py),
                request_json,
                reply.clone_ref(py),
            );
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
        // callable or from `Unasked`.
        answer.unwrap_or_else(|_| Err(self.loop_closed.clone()))
    }
}

static CALL_PERMISSION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CALL_TOOL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `relay._aio.call_permission` or `call_tool` `(callback, request_json, reply)`: calls a
/// permission callback or a tool on the loop's thread; its answer or failure goes to `reply`.
fn call_on_loop<'py>(
    py: Python<'py>,
    caller: Caller,
    callback: &Bound<'py, PyAny>,
    request_json: String,
    reply: Py<CallReply>,
) -> PyResult<()> {
    let helper = match caller {
        Caller::Permission => aio::helper(py, &CALL_PERMISSION, "call_permission")?,
        Caller::Tool => aio::helper(py, &CALL_TOOL, "call_tool")?,
    };
    helper.call1((callback, request_json, reply))?;
    Ok(())
}

/// Answers with the loop-closed failure if the call carrying it is dropped unrun (its loop is
/// gone), so the caller does not wait for an answer that cannot come.
struct Unasked(Option<Arc<ReplyState>>, String);

impl Unasked {
    fn disarm(mut self) -> Arc<ReplyState> {
        self.0.take().expect("disarmed once")
    }
}

impl Drop for Unasked {
    fn drop(&mut self) {
        if let Some(state) = self.0.take() {
            state.answer(Err(std::mem::take(&mut self.1)));
        }
    }
}

/// A call in flight. Dropped before the answer came (the run or job was cancelled), it cancels
/// the callable's asyncio task, so an `async def` waiting for a person or a server does not
/// outlive its caller.
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

/// What the loop side and the asking side share about one call.
struct ReplyState {
    sender: Mutex<Option<oneshot::Sender<Answer>>>,
    /// The callable's asyncio task while an `async def` runs.
    task: Mutex<Option<Py<PyAny>>>,
}

impl ReplyState {
    /// Called on the loop's thread (holding the GIL, so the task reference drops here), or by
    /// [`Unasked`] before any task existed.
    fn answer(&self, answer: Answer) {
        self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            // The caller may have stopped waiting (cancelled) meanwhile; then nobody needs it.
            let _ = sender.send(answer);
        }
    }

    /// Whether the caller still waits for the answer.
    fn wanted(&self) -> bool {
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        sender.as_ref().is_some_and(|s| !s.is_closed())
    }
}

/// Where the `relay._aio` helper puts the callable's answer (once).
#[pyclass(module = "relay._relay", name = "_CallReply", frozen)]
pub struct CallReply {
    state: Arc<ReplyState>,
}

#[pymethods]
impl CallReply {
    /// Whether the caller still waits for the answer (one that was cancelled does not: the
    /// callable is then not called at all).
    fn wanted(&self) -> bool {
        self.state.wanted()
    }

    /// The callable's answer, as JSON text.
    fn send(&self, answer_json: String) {
        self.state.answer(Ok(answer_json));
    }

    /// The callable failed, for the reason `message`.
    fn fail(&self, message: String) {
        self.state.answer(Err(message));
    }

    /// The asyncio task running an `async def`: cancelled if the caller stops waiting.
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
    m.add_class::<CallReply>()
}
