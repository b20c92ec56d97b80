//! How results of Rust futures reach asyncio without tokio threads ever taking the GIL.
//!
//! Each event loop gets a [`CompletionPort`]: a queue of finished outcomes plus a pipe whose read
//! end the loop watches (`loop.add_reader`). A tokio task that finishes pushes its outcome and
//! writes one byte (only if no wake-up is pending); the loop then calls [`CompletionPort::drain`]
//! on its own thread, which turns outcomes into Python values and resolves the futures.
//!
//! Why not pyo3-async-runtimes' `future_into_py`: it resolves futures from the tokio thread with
//! the GIL, which costs a thread-state creation and a GIL hand-off per call, and aborts the
//! process when the interpreter finalizes while a tokio thread waits for the GIL.

use std::collections::HashMap;
use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

/// Turns a finished Rust outcome into a Python value (or exception), on the loop's thread.
pub type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Work a tokio task hands to the loop's thread (calling a Python callback, for instance). An
/// error is raised from the loop's reader callback once the rest of the queue is done.
pub type LoopCall = Box<dyn FnOnce(Python<'_>) -> PyResult<()> + Send>;

/// What the loop does for one queued entry.
enum Work {
    /// Resolve future `id` with the outcome.
    Complete(u64, Outcome),
    /// Run a call on the loop's thread.
    Call(LoopCall),
}

/// The Rust half of a port, shared with the tokio tasks reporting to it.
pub struct Completions {
    /// `None` once the port is gone (its loop was dropped): work is then dropped, not queued.
    queue: Mutex<Option<Vec<Work>>>,
    wake_pending: AtomicBool,
    writer: PipeWriter,
    reader: Mutex<PipeReader>,
}

impl Completions {
    /// Queues `outcome` for future `id` and wakes the loop. Never touches Python.
    pub fn complete(&self, id: u64, outcome: Outcome) {
        self.push(Work::Complete(id, outcome));
    }

    /// Queues `call` to run on the loop's thread and wakes the loop. Never touches Python.
    /// If the loop is gone, `call` is dropped unrun with whatever it owns (a reply channel,
    /// whose receiver then learns that no answer will come).
    pub fn call_soon(&self, call: LoopCall) {
        self.push(Work::Call(call));
    }

    fn push(&self, work: Work) {
        {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            match queue.as_mut() {
                Some(queue) => queue.push(work),
                None => {
                    drop(queue);
                    drop(work);
                    return;
                }
            }
        }
        if !self.wake_pending.swap(true, Ordering::SeqCst) {
            // A pipe holds far more than the few bytes ever pending; a failure means the read end
            // is gone (the loop was dropped), and then nobody waits for the result anyway.
            let _ = (&self.writer).write(&[1]);
        }
    }
}

/// One event loop's completion port (created by `relay._aio.port(loop)`).
#[pyclass(module = "relay._relay", name = "_CompletionPort", frozen)]
pub struct CompletionPort {
    shared: Arc<Completions>,
    /// Weak references to the pending futures: a future nobody holds any more (a coroutine
    /// dropped before it ran, e.g. its task cancelled before it started) aborts its task.
    futures: Mutex<HashMap<u64, Py<PyAny>>>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[pymethods]
impl CompletionPort {
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, writer) = std::io::pipe()?;
        Ok(Self {
            shared: Arc::new(Completions {
                queue: Mutex::new(Some(Vec::new())),
                wake_pending: AtomicBool::new(false),
                writer,
                reader: Mutex::new(reader),
            }),
            futures: Mutex::new(HashMap::new()),
        })
    }

    /// The file descriptor the event loop watches.
    fn fileno(&self) -> i32 {
        self.shared
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_raw_fd()
    }

    /// Resolves every future whose outcome has arrived and runs queued calls; the loop's reader
    /// callback.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        // Readable, so this read does not block; it empties the few wake-up bytes. It must come
        // before `wake_pending` is cleared: the other way round, a push landing between the two
        // would write a byte that this read swallows, leaving `wake_pending` set with nothing in
        // the pipe, and every later push would skip its wake-up (the loop would never drain
        // again). In this order a push either sees `wake_pending` still set and is taken below,
        // or sees it clear and writes a byte that wakes the loop once more.
        let mut buf = [0u8; 256];
        let _ = self
            .shared
            .reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read(&mut buf);
        self.shared.wake_pending.store(false, Ordering::SeqCst);
        let ready = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        let mut failed = None;
        for work in ready {
            let (id, outcome) = match work {
                Work::Complete(id, outcome) => (id, outcome),
                Work::Call(call) => {
                    if let Err(err) = call(py) {
                        failed.get_or_insert(err);
                    }
                    continue;
                }
            };
            let future = self
                .futures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            let Some(weak) = future else { continue };
            let future = weak.bind(py).call0()?;
            if future.is_none() {
                continue; // nobody holds the future any more (its task was aborted then)
            }
            if future.call_method0("done")?.is_truthy()? {
                continue; // cancelled meanwhile
            }
            match outcome(py) {
                Ok(value) => future.call_method1("set_result", (value,))?,
                Err(err) => future.call_method1("set_exception", (err.into_value(py),))?,
            };
        }
        failed.map_or(Ok(()), Err)
    }

    /// Forgets future `id` once it is done; aborts its task when it was cancelled.
    fn _forget(&self, id: u64) {
        self.futures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}

impl CompletionPort {
    /// The handle through which tokio tasks reach this port's loop.
    pub fn completions(&self) -> Arc<Completions> {
        Arc::clone(&self.shared)
    }

    /// A fresh future id and the handle tasks report to.
    pub fn reserve(&self) -> (u64, Arc<Completions>) {
        (
            NEXT_ID.fetch_add(1, Ordering::Relaxed),
            Arc::clone(&self.shared),
        )
    }

    /// Registers `future` as `id`, whose result comes from the tokio task of `abort`. The task
    /// is aborted (dropping its Rust future, which cancels what it awaited) when the future is
    /// cancelled, or when it is dropped unresolved: a coroutine closed before it ever ran (its
    /// task cancelled before it started) never cancels the future it holds.
    pub fn watch(
        port: &Bound<'_, CompletionPort>,
        future: &Bound<'_, PyAny>,
        id: u64,
        abort: tokio::task::AbortHandle,
    ) -> PyResult<()> {
        let py = port.py();
        let on_done = OnDone {
            port: port.clone().unbind(),
            id,
            abort: abort.clone(),
        };
        future.call_method1("add_done_callback", (on_done,))?;
        let on_gone = OnGone {
            port: port.clone().unbind(),
            id,
            abort,
        };
        let weakref = py.import("weakref")?.getattr("ref")?;
        let weak = weakref.call1((future, on_gone))?;
        port.get()
            .futures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, weak.unbind());
        Ok(())
    }
}

impl Drop for CompletionPort {
    /// The loop is gone (ports live as long as their loop): queued and future work is dropped,
    /// so a permission question sent to this loop is answered "no answer" instead of waiting.
    fn drop(&mut self) {
        let queued = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(queued);
    }
}

/// The weak-reference callback of a pending future: it was dropped without being resolved or
/// cancelled, so nobody waits for its task any more.
#[pyclass(module = "relay._relay", name = "_OnGone", frozen)]
pub struct OnGone {
    port: Py<CompletionPort>,
    id: u64,
    abort: tokio::task::AbortHandle,
}

#[pymethods]
impl OnGone {
    fn __call__(&self, py: Python<'_>, _weak: Bound<'_, PyAny>) {
        self.port.bind(py).get()._forget(self.id);
        self.abort.abort();
    }
}

/// The done-callback of a future whose Rust task runs on tokio: forgets the future and, if it was
/// cancelled (its asyncio task cancelled, a timeout), aborts the task, which drops the Rust future.
#[pyclass(module = "relay._relay", name = "_OnDone", frozen)]
pub struct OnDone {
    port: Py<CompletionPort>,
    id: u64,
    abort: tokio::task::AbortHandle,
}

#[pymethods]
impl OnDone {
    fn __call__(&self, py: Python<'_>, future: Bound<'_, PyAny>) -> PyResult<()> {
        self.port.bind(py).get()._forget(self.id);
        if future.call_method0("cancelled")?.is_truthy()? {
            self.abort.abort();
        }
        Ok(())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CompletionPort>()?;
    Ok(())
}
