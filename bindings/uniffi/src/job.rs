//! `Job`: a running long operation, with events awaited in batches or pushed to a listener.

use std::sync::Arc;

use relay_bindings_common::{DEFAULT_BATCH, JobHandle};
use tokio::task::AbortHandle;

use crate::error::RelayError;
use crate::event::{Event, EventListener};
use crate::runtime;

/// A running long operation (a sync, an agent run, ...) streaming events.
#[derive(uniffi::Object)]
pub struct Job {
    inner: Arc<JobHandle>,
}

impl Job {
    pub(crate) fn new(handle: JobHandle) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(handle),
        })
    }
}

#[uniffi::export]
impl Job {
    /// The job's id, as in each of its events.
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// Asks the job to stop; the stream then ends with a cancelled `job_finished` event and
    /// `wait()` throws `Cancelled`.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// The job's result as JSON text; throws the job's error. Cancelling the calling coroutine
    /// cancels the job.
    pub async fn wait(&self) -> Result<String, RelayError> {
        let inner = Arc::clone(&self.inner);
        Ok(runtime::run(async move { inner.wait_json().await }).await??)
    }

    /// The next events (at most `max`; 0 means the default of 512); empty once the stream is
    /// over. Cancelling the calling coroutine cancels the job.
    pub async fn next_batch(&self, max: u32) -> Result<Vec<Event>, RelayError> {
        let inner = Arc::clone(&self.inner);
        let max = if max == 0 {
            DEFAULT_BATCH
        } else {
            max as usize
        };
        let batch = runtime::run(async move { inner.next_batch(max).await }).await?;
        Ok(batch
            .iter()
            .map(|e| Event::from(relay_bindings_common::EventJson::from(e)))
            .collect())
    }

    /// Delivers every event to `listener` on a Relay thread, in order, ending with
    /// `job_finished`. Cancelling the returned handle stops delivery and cancels the job.
    pub fn listen(&self, listener: Box<dyn EventListener>) -> Arc<TaskHandle> {
        let inner = Arc::clone(&self.inner);
        let task = runtime::spawn(async move {
            loop {
                let batch = inner.next_batch(DEFAULT_BATCH).await;
                if batch.is_empty() {
                    break;
                }
                for event in &batch {
                    listener.on_event(relay_bindings_common::EventJson::from(event).into());
                }
            }
        });
        let job = Arc::clone(&self.inner);
        TaskHandle::new(task.abort_handle(), move || job.cancel())
    }
}

/// Controls a background delivery started by [`Job::listen`] or `VoiceSession.listen`.
#[derive(uniffi::Object)]
pub struct TaskHandle {
    abort: AbortHandle,
    /// Stops the source whose events were delivered (cancels the job, closes the session).
    stop_source: Box<dyn Fn() + Send + Sync>,
}

impl TaskHandle {
    pub(crate) fn new(
        abort: AbortHandle,
        stop_source: impl Fn() + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            abort,
            stop_source: Box::new(stop_source),
        })
    }
}

#[uniffi::export]
impl TaskHandle {
    /// Stops the delivery, and with it the source: the job whose events it delivered is
    /// cancelled, the voice session closed (nobody is left to read them). Idempotent.
    pub fn cancel(&self) {
        // Stop the source explicitly rather than relying on the aborted task dropping its
        // pending read: an abort takes effect only when the task next yields, which races with
        // callers that wait for the job right after cancelling.
        (self.stop_source)();
        self.abort.abort();
    }

    /// Whether the delivery is over (all events delivered, or cancelled).
    pub fn is_finished(&self) -> bool {
        self.abort.is_finished()
    }
}
