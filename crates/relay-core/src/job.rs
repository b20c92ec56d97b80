//! The job primitive: a long operation that streams typed [`Event`]s and ends in a result.
//!
//! A [`Job`] is both a [`Stream`] of events and a handle on the eventual result:
//!
//! ```
//! # use relay_core::{Job, JobFailure, EventKind};
//! # use futures::StreamExt;
//! # #[derive(Debug)] struct MyError;
//! # impl From<JobFailure> for MyError { fn from(_: JobFailure) -> Self { MyError } }
//! # impl std::fmt::Display for MyError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("failed") }
//! # }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let mut job: Job<u32, MyError> = Job::spawn("count", |ctx| async move {
//!     for i in 0..3 {
//!         ctx.progress(i + 1, Some(3), None, format!("step {}", i + 1)).await;
//!     }
//!     Ok(42)
//! });
//! while let Some(event) = job.next().await {
//!     if let EventKind::Progress(progress) = &event.kind {
//!         println!("{}", progress.message);
//!     }
//! }
//! assert_eq!(job.wait().await.unwrap(), 42);
//! # }
//! ```
//!
//! Guarantees every consumer can rely on:
//! - the first event is [`EventKind::JobStarted`], the last [`EventKind::JobFinished`];
//! - events are never dropped: the channel is bounded and producers wait (backpressure) rather than
//!   discard; [`Job::wait`] drains what the caller did not read;
//! - `seq` numbers are consecutive in the order the consumer receives them;
//! - dropping a `Job` cancels it (like dropping a future) unless it was [`Job::detach`]ed;
//! - a panic inside the job becomes an error result, never a hung consumer.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{FutureExt, Stream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::event::{Event, EventKind, JobId, JobStatus, LogLevel, Progress, RepoOutcome, now_ms};

/// How many events may wait unread before producers pause.
const EVENT_BUFFER: usize = 1024;

/// Why a job ended without its own result; every job error type converts from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobFailure {
    /// The job was cancelled before it finished.
    #[error("the operation was cancelled")]
    Cancelled,
    /// The job's code panicked; the message is the panic payload.
    #[error("internal error: the operation panicked: {0}; please report this as a bug")]
    Panicked(String),
}

/// A running long operation: a stream of [`Event`]s and, at the end, a `Result<T, E>`.
#[must_use = "dropping a Job cancels it; call .wait().await or .detach()"]
pub struct Job<T, E> {
    id: JobId,
    events: mpsc::Receiver<Event>,
    next_seq: u64,
    result: oneshot::Receiver<Result<T, E>>,
    cancel: CancellationToken,
    detached: bool,
}

impl<T, E> Job<T, E>
where
    T: Send + 'static,
    E: From<JobFailure> + std::fmt::Display + Send + 'static,
{
    /// Starts `work` on the current tokio runtime as a job named `operation`.
    ///
    /// `work` receives a [`JobContext`] to emit events and observe cancellation. The job emits
    /// [`EventKind::JobStarted`] before `work` runs and [`EventKind::JobFinished`] after it returns.
    pub fn spawn<F, Fut>(operation: impl Into<String>, work: F) -> Self
    where
        F: FnOnce(JobContext) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        Self::spawn_with_total(operation, None, work)
    }

    /// Like [`Job::spawn`], announcing in `JobStarted` how many units of work to expect.
    pub fn spawn_with_total<F, Fut>(
        operation: impl Into<String>,
        total: Option<u64>,
        work: F,
    ) -> Self
    where
        F: FnOnce(JobContext) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let id = JobId::new();
        let (tx, events) = mpsc::channel(EVENT_BUFFER);
        let (result_tx, result) = oneshot::channel();
        let cancel = CancellationToken::new();
        let ctx = JobContext {
            inner: Arc::new(ContextInner {
                id: id.clone(),
                tx,
                cancel: cancel.clone(),
            }),
        };
        let operation = operation.into();
        let fut = work(ctx.clone());
        tokio::spawn(async move {
            ctx.emit(EventKind::JobStarted { operation, total }).await;
            let outcome = match AssertUnwindSafe(fut).catch_unwind().await {
                Ok(outcome) => outcome,
                Err(payload) => Err(E::from(JobFailure::Panicked(panic_message(&*payload)))),
            };
            let (status, error) = match &outcome {
                Ok(_) => (JobStatus::Succeeded, None),
                Err(_) if ctx.is_cancelled() => (JobStatus::Cancelled, None),
                Err(e) => (JobStatus::Failed, Some(e.to_string())),
            };
            ctx.emit(EventKind::JobFinished { status, error }).await;
            // The receiver may be gone (job dropped); nothing is lost that anyone could read.
            let _ = result_tx.send(outcome);
        });
        Job {
            id,
            events,
            next_seq: 0,
            result,
            cancel,
            detached: false,
        }
    }
}

impl<T, E> Job<T, E>
where
    E: From<JobFailure>,
{
    /// The job's id, the same as in each of its events.
    pub fn id(&self) -> &JobId {
        &self.id
    }

    /// Asks the job to stop. Cooperative: the work sees it through [`JobContext::cancelled`] and
    /// ends with [`JobFailure::Cancelled`] after cleaning up (killing processes, removing partial
    /// clones). Idempotent.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token that cancels this job when cancelled; hand it to signal handlers or other tasks.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Lets the job run to completion even when this handle is dropped.
    pub fn detach(mut self) {
        self.detached = true;
    }

    /// Receives the next event, or `None` once the job has finished and every event was read.
    pub async fn next_event(&mut self) -> Option<Event> {
        let mut event = self.events.recv().await?;
        event.seq = self.next_seq;
        self.next_seq += 1;
        Some(event)
    }

    /// Waits for the result, discarding the events not yet read.
    pub async fn wait(mut self) -> Result<T, E> {
        while self.events.recv().await.is_some() {}
        let result = std::mem::replace(&mut self.result, oneshot::channel().1);
        match result.await {
            Ok(outcome) => outcome,
            // The task vanished without a result: only possible when the runtime shut down.
            Err(_) => Err(E::from(JobFailure::Cancelled)),
        }
    }
}

impl<T, E> Stream for Job<T, E> {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        match self.events.poll_recv(cx) {
            Poll::Ready(Some(mut event)) => {
                event.seq = self.next_seq;
                self.next_seq += 1;
                Poll::Ready(Some(event))
            }
            other => other,
        }
    }
}

impl<T, E> Drop for Job<T, E> {
    fn drop(&mut self) {
        if !self.detached {
            self.cancel.cancel();
        }
    }
}

impl<T, E> std::fmt::Debug for Job<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The producer side of a job: emits events and observes cancellation. Cheap to clone, so
/// parallel sub-tasks of one job can each hold one.
#[derive(Clone)]
pub struct JobContext {
    inner: Arc<ContextInner>,
}

struct ContextInner {
    id: JobId,
    tx: mpsc::Sender<Event>,
    cancel: CancellationToken,
}

impl JobContext {
    /// The job's id.
    pub fn id(&self) -> &JobId {
        &self.inner.id
    }

    /// Emits an event, waiting while the consumer is behind. Events emitted after the consumer
    /// dropped the job are discarded, since nobody can read them.
    pub async fn emit(&self, kind: EventKind) {
        let event = Event {
            job: self.inner.id.clone(),
            seq: 0, // assigned in delivery order by the consumer side
            at_ms: now_ms(),
            kind,
        };
        let _ = self.inner.tx.send(event).await;
    }

    /// Emits [`EventKind::Progress`].
    pub async fn progress(
        &self,
        done: u64,
        total: Option<u64>,
        repo: Option<&str>,
        message: impl Into<String>,
    ) {
        self.emit(EventKind::Progress(Progress {
            done: Some(done),
            total,
            repo: repo.map(str::to_owned),
            message: message.into(),
        }))
        .await;
    }

    /// Emits [`EventKind::Log`].
    pub async fn log(&self, repo: Option<&str>, level: LogLevel, line: impl Into<String>) {
        self.emit(EventKind::Log {
            repo: repo.map(str::to_owned),
            level,
            line: line.into(),
        })
        .await;
    }

    /// Emits [`EventKind::RepoFinished`].
    pub async fn repo_finished(
        &self,
        repo: &str,
        outcome: RepoOutcome,
        summary: impl Into<String>,
    ) {
        self.emit(EventKind::RepoFinished {
            repo: repo.to_owned(),
            outcome,
            summary: summary.into(),
        })
        .await;
    }

    /// Emits [`EventKind::Notification`].
    pub async fn notify(&self, notification: crate::event::Notification) {
        self.emit(EventKind::Notification(notification)).await;
    }

    /// Runs `inner` to completion as part of this job: its progress, log, per-repository and
    /// agent events are re-emitted here (its own start and finish are not: this job has its own),
    /// and cancelling this job cancels `inner`.
    pub async fn forward<T2, E2>(&self, mut inner: Job<T2, E2>) -> Result<T2, E2>
    where
        E2: From<JobFailure>,
    {
        let mut cancelled = false;
        loop {
            let event = if cancelled {
                // The inner job still reports how its work ended (e.g. a cancelled
                // repository): those events belong to this job's story too.
                inner.next_event().await
            } else {
                tokio::select! {
                    event = inner.next_event() => event,
                    _ = self.cancelled() => {
                        inner.cancel();
                        cancelled = true;
                        continue;
                    }
                }
            };
            let Some(event) = event else { break };
            match event.kind {
                EventKind::JobStarted { .. } | EventKind::JobFinished { .. } => {}
                kind => self.emit(kind).await,
            }
        }
        inner.wait().await
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Completes when cancellation is requested; use in `tokio::select!`.
    pub async fn cancelled(&self) {
        self.inner.cancel.cancelled().await;
    }

    /// The job's cancellation token (to pass to helpers that take one).
    pub fn cancellation_token(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::time::Duration;

    #[derive(Debug, PartialEq)]
    enum TestError {
        Failure(JobFailure),
        Own(String),
    }
    impl From<JobFailure> for TestError {
        fn from(f: JobFailure) -> Self {
            TestError::Failure(f)
        }
    }
    impl std::fmt::Display for TestError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                TestError::Failure(x) => write!(f, "{x}"),
                TestError::Own(s) => f.write_str(s),
            }
        }
    }

    #[tokio::test]
    async fn streams_started_progress_finished_in_order_with_consecutive_seq() {
        let mut job: Job<u32, TestError> = Job::spawn("count", |ctx| async move {
            for i in 0..2000u64 {
                ctx.progress(i, None, Some("r"), "x").await;
            }
            Ok(7)
        });
        let events: Vec<Event> = (&mut job).collect().await;
        assert_eq!(
            events.len(),
            2002,
            "no event may be lost despite the bounded buffer"
        );
        assert!(matches!(events[0].kind, EventKind::JobStarted { .. }));
        assert!(matches!(
            events.last().unwrap().kind,
            EventKind::JobFinished {
                status: JobStatus::Succeeded,
                error: None
            }
        ));
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.seq, i as u64);
            assert_eq!(&e.job, job.id());
        }
        assert_eq!(job.wait().await, Ok(7));
    }

    #[tokio::test]
    async fn forward_re_emits_inner_events_under_the_outer_job() {
        let mut outer: Job<u32, TestError> = Job::spawn("outer", |ctx| async move {
            let inner: Job<u32, TestError> = Job::spawn("inner", |ictx| async move {
                ictx.progress(1, Some(2), Some("api"), "half").await;
                Ok(41)
            });
            Ok(ctx.forward(inner).await? + 1)
        });
        let events: Vec<Event> = (&mut outer).collect().await;
        let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        assert!(
            matches!(kinds[0], EventKind::JobStarted { operation, .. } if operation == "outer")
        );
        assert!(
            matches!(kinds[1], EventKind::Progress(Progress { message, .. }) if message == "half")
        );
        assert!(events.iter().all(|e| &e.job == outer.id()));
        assert_eq!(outer.wait().await, Ok(42));
    }

    #[tokio::test]
    async fn cancelling_the_outer_job_cancels_the_forwarded_one() {
        let (seen_tx, seen_rx) = oneshot::channel::<bool>();
        let outer: Job<(), TestError> = Job::spawn("outer", |ctx| async move {
            let inner: Job<(), TestError> = Job::spawn("inner", |ictx| async move {
                ictx.cancelled().await;
                let _ = seen_tx.send(true);
                Err(JobFailure::Cancelled.into())
            });
            ctx.forward(inner).await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        outer.cancel();
        assert_eq!(
            outer.wait().await,
            Err(TestError::Failure(JobFailure::Cancelled))
        );
        assert_eq!(
            seen_rx.await,
            Ok(true),
            "the inner job saw the cancellation"
        );
    }

    #[tokio::test]
    async fn wait_drains_unread_events() {
        let job: Job<&'static str, TestError> = Job::spawn("chatty", |ctx| async move {
            for i in 0..5000u64 {
                ctx.progress(i, None, None, "x").await;
            }
            Ok("done")
        });
        assert_eq!(job.wait().await, Ok("done"));
    }

    #[tokio::test]
    async fn failure_is_reported_in_the_last_event() {
        let mut job: Job<(), TestError> = Job::spawn("fail", |_ctx| async move {
            Err(TestError::Own("disk full".into()))
        });
        let events: Vec<Event> = (&mut job).collect().await;
        assert_eq!(
            events.last().unwrap().kind,
            EventKind::JobFinished {
                status: JobStatus::Failed,
                error: Some("disk full".into())
            }
        );
        assert_eq!(job.wait().await, Err(TestError::Own("disk full".into())));
    }

    #[tokio::test]
    async fn cancel_is_observed_and_reported_as_cancelled() {
        let mut job: Job<(), TestError> = Job::spawn("sleepy", |ctx| async move {
            tokio::select! {
                _ = ctx.cancelled() => Err(JobFailure::Cancelled.into()),
                _ = tokio::time::sleep(Duration::from_secs(60)) => Ok(()),
            }
        });
        let started = job.next_event().await.unwrap();
        assert!(matches!(started.kind, EventKind::JobStarted { .. }));
        job.cancel();
        let finished = job.next_event().await.unwrap();
        assert_eq!(
            finished.kind,
            EventKind::JobFinished {
                status: JobStatus::Cancelled,
                error: None
            }
        );
        assert_eq!(
            job.wait().await,
            Err(TestError::Failure(JobFailure::Cancelled))
        );
    }

    #[tokio::test]
    async fn dropping_the_handle_cancels_the_work() {
        let (tx, rx) = oneshot::channel();
        let job: Job<(), TestError> = Job::spawn("sleepy", |ctx| async move {
            ctx.cancelled().await;
            let _ = tx.send("saw cancel");
            Err(JobFailure::Cancelled.into())
        });
        drop(job);
        assert_eq!(rx.await.unwrap(), "saw cancel");
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error_result() {
        let job: Job<(), TestError> = Job::spawn("boom", |_ctx| async move {
            if true {
                panic!("kaboom");
            }
            Ok(())
        });
        assert_eq!(
            job.wait().await,
            Err(TestError::Failure(JobFailure::Panicked("kaboom".into())))
        );
    }
}
