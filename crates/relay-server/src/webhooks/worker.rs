//! The bounded queue of accepted deliveries and the worker task that acts on them, one at a time,
//! each as a relay-core [`Job`] whose events go to every subscriber.

use std::sync::Arc;
use std::time::Duration;

use relay_core::{Event, JobFailure, RepoError, RepoGraph};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::actions::{CiMemory, plan};
use super::payload::WebhookEvent;

/// An accepted delivery waiting for the worker.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// `X-GitHub-Delivery`.
    pub id: String,
    /// The parsed payload.
    pub event: WebhookEvent,
}

/// What happened to the deliveries still queued when the server shut down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Deliveries acted on after shutdown began (the queue was drained).
    pub finished: Vec<String>,
    /// Deliveries accepted but not acted on because the grace period ran out; GitHub's
    /// "Redeliver" button (or its API) sends them again.
    pub abandoned: Vec<String>,
}

/// Why a webhook job failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A repository operation failed as a whole.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The job was cancelled or panicked.
    #[error(transparent)]
    Job(#[from] JobFailure),
}

/// The worker's handle: stop taking deliveries, then drain or abandon.
#[derive(Debug)]
pub(crate) struct WorkerHandle {
    closing: CancellationToken,
    abort: CancellationToken,
    done: tokio::sync::Mutex<Option<oneshot::Receiver<ShutdownReport>>>,
}

impl WorkerHandle {
    /// Stops accepting, finishes what is queued within `grace`, and reports.
    pub(crate) async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        self.closing.cancel();
        let Some(mut done) = self.done.lock().await.take() else {
            return ShutdownReport::default();
        };
        tokio::select! {
            report = &mut done => return report.unwrap_or_default(),
            _ = tokio::time::sleep(grace) => {}
        }
        self.abort.cancel();
        done.await.unwrap_or_default()
    }
}

/// Starts the worker on the current runtime; returns the queue's sender and the handle.
pub(crate) fn start(
    graph: Arc<dyn RepoGraph>,
    capacity: usize,
    events: broadcast::Sender<Event>,
) -> (mpsc::Sender<Delivery>, WorkerHandle) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let (done_tx, done) = oneshot::channel();
    let closing = CancellationToken::new();
    let abort = CancellationToken::new();
    let worker = Worker {
        graph,
        ci: CiMemory::default(),
        events,
        abort: abort.clone(),
    };
    tokio::spawn(worker.run(rx, closing.clone(), done_tx));
    let handle = WorkerHandle {
        closing,
        abort,
        done: tokio::sync::Mutex::new(Some(done)),
    };
    (tx, handle)
}

struct Worker {
    graph: Arc<dyn RepoGraph>,
    ci: CiMemory,
    events: broadcast::Sender<Event>,
    abort: CancellationToken,
}

impl Worker {
    async fn run(
        self,
        mut rx: mpsc::Receiver<Delivery>,
        closing: CancellationToken,
        done: oneshot::Sender<ShutdownReport>,
    ) {
        let mut report = ShutdownReport::default();
        let mut closed = false;
        loop {
            let delivery = tokio::select! {
                biased;
                _ = closing.cancelled(), if !closed => {
                    // Senders now fail with `Closed` (503); what is buffered is still received.
                    rx.close();
                    closed = true;
                    continue;
                }
                delivery = rx.recv() => delivery,
            };
            let Some(delivery) = delivery else { break };
            if self.abort.is_cancelled() {
                report.abandoned.push(delivery.id);
                continue;
            }
            let id = delivery.id.clone();
            let completed = self.act(delivery).await;
            if closed {
                if completed {
                    report.finished.push(id);
                } else {
                    report.abandoned.push(id);
                }
            }
        }
        let _ = done.send(report);
    }

    /// Acts on one delivery; `false` when shutdown cut it short.
    async fn act(&self, delivery: Delivery) -> bool {
        let actions = plan(self.graph.workspace(), &self.ci, &delivery.event);
        let event_name = delivery.event.name().to_owned();
        if let WebhookEvent::Ping(ping) = &delivery.event {
            tracing::info!(delivery = %delivery.id, hook = ?ping.hook_id, zen = ?ping.zen, "ping from GitHub");
        }
        if actions.is_empty() {
            tracing::debug!(delivery = %delivery.id, event = %event_name, "nothing to do");
            return true;
        }
        tracing::info!(delivery = %delivery.id, "acting on webhook");
        let mut job =
            super::durable::run_actions(self.graph.clone(), &event_name, actions, Vec::new());
        let mut aborted = false;
        loop {
            let event = tokio::select! {
                event = job.next_event() => event,
                _ = self.abort.cancelled(), if !aborted => {
                    job.cancel();
                    aborted = true;
                    continue;
                }
            };
            let Some(event) = event else { break };
            // No subscriber is fine: the job still runs; the log below records the outcome.
            let _ = self.events.send(event);
        }
        match job.wait().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(delivery = %delivery.id, error = %e, "webhook action failed");
                !aborted
            }
        }
    }
}
