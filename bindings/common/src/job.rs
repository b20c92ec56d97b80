//! [`JobHandle`]: a [`relay::core::Job`] with its types erased, shared by every binding.

use std::fmt::Display;

use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt};
use relay::core::{Event, Job, JobFailure};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::error::{BindingError, ErrorKind};

/// How many events a binding asks for per crossing when iterating: large enough that the
/// per-crossing cost (an awaitable, a wake-up of the host event loop) is spread thin, small enough
/// that a slow consumer never holds much in memory.
pub const DEFAULT_BATCH: usize = 512;

/// A running job whose result is kept as JSON, so that one handle type serves every operation.
///
/// Semantics every binding inherits:
/// - events arrive in order, in batches of whatever is ready (at least one unless the job is over);
/// - an empty batch means the stream is over;
/// - [`JobHandle::cancel`] asks the job to stop; the stream then ends with a `job_finished` event
///   whose status is `cancelled`, and [`JobHandle::wait`] fails with [`ErrorKind::Cancelled`];
/// - if a call that awaits the job ([`next_batch`](JobHandle::next_batch), [`wait`](JobHandle::wait))
///   is abandoned before it completes (its future dropped: a cancelled asyncio task or Kotlin
///   coroutine), the job is cancelled: nobody is left to observe it;
/// - dropping the handle cancels the job, like dropping a [`Job`].
pub struct JobHandle {
    id: String,
    cancel: CancellationToken,
    job: Mutex<Option<Box<dyn ErasedJob>>>,
}

impl JobHandle {
    /// Erases the types of `job`; its result will be serialized to JSON.
    pub fn new<T, E>(job: Job<T, E>) -> Self
    where
        T: Serialize + Send + 'static,
        E: From<JobFailure> + Into<BindingError> + Display + Send + 'static,
    {
        Self {
            id: job.id().to_string(),
            cancel: job.cancellation_token(),
            job: Mutex::new(Some(Box::new(job))),
        }
    }

    /// The job's id, as in each of its events.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Asks the job to stop. Idempotent; returns at once.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Whether cancellation was requested (by [`JobHandle::cancel`] or an abandoned await).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Waits for at least one event and returns it with every further event already available,
    /// up to `max` (at least 1). Empty once the stream is over (or after [`JobHandle::wait`]).
    pub async fn next_batch(&self, max: usize) -> Vec<Event> {
        let guard = CancelOnDrop(Some(self.cancel.clone()));
        let mut slot = self.job.lock().await;
        let mut batch = Vec::new();
        if let Some(job) = slot.as_mut()
            && let Some(first) = job.next().await
        {
            batch.push(first);
            while batch.len() < max.max(1) {
                match job.next().now_or_never() {
                    Some(Some(event)) => batch.push(event),
                    _ => break,
                }
            }
        }
        guard.disarm();
        batch
    }

    /// [`JobHandle::next_batch`] as a JSON array, or `None` once the stream is over. Decoding one
    /// JSON text per batch is the cheapest way into Python and JavaScript objects.
    pub async fn next_batch_json(&self, max: usize) -> Option<String> {
        let batch = self.next_batch(max).await;
        if batch.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&batch).expect("events always serialize"))
        }
    }

    /// Waits for the job's result, discarding events not yet read. A job has one result: a
    /// second call fails with [`ErrorKind::Usage`].
    pub async fn wait(&self) -> Result<serde_json::Value, BindingError> {
        let guard = CancelOnDrop(Some(self.cancel.clone()));
        let job = self.job.lock().await.take().ok_or_else(|| {
            BindingError::usage(
                "this job's result was already taken by an earlier wait(); keep that value instead",
            )
        })?;
        let result = job.into_result().await;
        guard.disarm();
        result
    }

    /// [`JobHandle::wait`] with the result as JSON text.
    pub async fn wait_json(&self) -> Result<String, BindingError> {
        self.wait().await.map(|value| value.to_string())
    }
}

impl std::fmt::Debug for JobHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Cancels the job when an await on it is abandoned (dropped before completion).
struct CancelOnDrop(Option<CancellationToken>);

impl CancelOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            token.cancel();
        }
    }
}

/// What [`JobHandle`] needs from a [`Job`] whatever its result and error types.
trait ErasedJob: Stream<Item = Event> + Send + Unpin {
    fn into_result(self: Box<Self>) -> BoxFuture<'static, Result<serde_json::Value, BindingError>>;
}

impl<T, E> ErasedJob for Job<T, E>
where
    T: Serialize + Send + 'static,
    E: From<JobFailure> + Into<BindingError> + Display + Send + 'static,
{
    fn into_result(self: Box<Self>) -> BoxFuture<'static, Result<serde_json::Value, BindingError>> {
        async move {
            let value = (*self).wait().await.map_err(Into::into)?;
            serde_json::to_value(value).map_err(|e| {
                BindingError::new(
                    ErrorKind::Internal,
                    "internal",
                    format!("the job's result could not be converted to JSON: {e}; please report this as a bug"),
                )
            })
        }
        .boxed()
    }
}
