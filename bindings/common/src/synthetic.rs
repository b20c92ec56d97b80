//! A job that streams a chosen number of events: the binding tests and the boundary benchmarks
//! use it to exercise streams, failures and cancellation through the real [`relay::core::Job`].

use std::time::Duration;

use relay::core::{Job, JobFailure};

use crate::error::{BindingError, ErrorKind};
use crate::job::JobHandle;

/// What [`synthetic_job`] should do.
#[derive(Debug, Clone, Default)]
pub struct SyntheticJob {
    /// How many `progress` events to emit between `job_started` and `job_finished`.
    pub events: u64,
    /// Pause between two progress events, in milliseconds (0: none).
    pub interval_ms: u64,
    /// When set, the job fails after its events with a repo error of code `synthetic_failure`
    /// and this message.
    pub fail_with: Option<String>,
}

/// Starts a job on the current tokio runtime that emits `spec.events` progress events
/// (`done` = 1..=events, `total` = events) and returns the number emitted.
///
/// # Panics
/// Outside a tokio runtime, like [`Job::spawn`].
pub fn synthetic_job(spec: SyntheticJob) -> JobHandle {
    let SyntheticJob {
        events,
        interval_ms,
        fail_with,
    } = spec;
    let job: Job<u64, BindingError> =
        Job::spawn_with_total("synthetic", Some(events), move |ctx| async move {
            for done in 1..=events {
                if ctx.is_cancelled() {
                    return Err(JobFailure::Cancelled.into());
                }
                ctx.progress(done, Some(events), None, "synthetic event")
                    .await;
                if interval_ms > 0 {
                    tokio::select! {
                        _ = ctx.cancelled() => return Err(JobFailure::Cancelled.into()),
                        _ = tokio::time::sleep(Duration::from_millis(interval_ms)) => {}
                    }
                }
            }
            match fail_with {
                Some(message) => Err(BindingError::new(
                    ErrorKind::Repo,
                    "synthetic_failure",
                    message,
                )),
                None => Ok(events),
            }
        });
    JobHandle::new(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay::core::{EventKind, JobStatus};

    #[tokio::test]
    async fn streams_every_event_in_batches_then_returns_the_count() {
        let job = synthetic_job(SyntheticJob {
            events: 3000,
            ..Default::default()
        });
        let mut seen = Vec::new();
        loop {
            let batch = job.next_batch(500).await;
            if batch.is_empty() {
                break;
            }
            assert!(batch.len() <= 500);
            seen.extend(batch);
        }
        assert_eq!(seen.len(), 3002);
        assert!(seen.iter().enumerate().all(|(i, e)| e.seq == i as u64));
        assert!(matches!(
            seen[0].kind,
            EventKind::JobStarted {
                total: Some(3000),
                ..
            }
        ));
        assert_eq!(job.wait().await.unwrap(), serde_json::json!(3000));
        let again = job.wait().await.unwrap_err();
        assert_eq!(again.kind, ErrorKind::Usage);
    }

    #[tokio::test]
    async fn failure_carries_kind_code_and_message() {
        let job = synthetic_job(SyntheticJob {
            events: 2,
            fail_with: Some("disk full".into()),
            ..Default::default()
        });
        let err = job.wait().await.unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str(), err.message.as_str()),
            (ErrorKind::Repo, "synthetic_failure", "disk full")
        );
    }

    #[tokio::test]
    async fn an_abandoned_await_cancels_the_job() {
        let job = synthetic_job(SyntheticJob {
            events: 1000,
            interval_ms: 200,
            ..Default::default()
        });
        // Abandon a next_batch() that waits for the next event, as a cancelled asyncio task or
        // Kotlin coroutine would. The first calls may return the events already emitted.
        while let Ok(batch) =
            tokio::time::timeout(Duration::from_millis(30), job.next_batch(10)).await
        {
            assert!(!batch.is_empty(), "the job cannot have finished yet");
        }
        assert!(job.is_cancelled());
        let rest = job.next_batch(64).await;
        assert_eq!(
            rest.last().map(|e| e.kind.clone()),
            Some(EventKind::JobFinished {
                status: JobStatus::Cancelled,
                error: None
            })
        );
    }

    #[tokio::test]
    async fn cancel_ends_the_stream_with_a_cancelled_finish() {
        let job = synthetic_job(SyntheticJob {
            events: 1_000_000,
            interval_ms: 10,
            ..Default::default()
        });
        job.next_batch(1).await;
        job.cancel();
        let mut last = None;
        loop {
            let batch = job.next_batch(64).await;
            match batch.last() {
                Some(e) => last = Some(e.kind.clone()),
                None => break,
            }
        }
        assert_eq!(
            last,
            Some(EventKind::JobFinished {
                status: JobStatus::Cancelled,
                error: None
            })
        );
        assert_eq!(job.wait().await.unwrap_err().kind, ErrorKind::Cancelled);
    }
}
