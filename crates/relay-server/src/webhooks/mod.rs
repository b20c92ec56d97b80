//! GitHub webhooks: `POST /webhooks/github`.
//!
//! A delivery is checked (size, `X-Hub-Signature-256`, headers, payload), recorded by its
//! `X-GitHub-Delivery` id so a redelivery is acted on once, and queued; the answer (202) goes back
//! at once, well within GitHub's 10 seconds. A worker task then acts on the queue in order, each
//! delivery as a relay-core [`Job`](relay_core::Job) whose events every
//! [`Webhooks::subscribe`]r receives:
//!
//! - `push` to a branch that is a `sync_rules` trigger runs the rule: `update_dependents` syncs
//!   the trigger repository and the listed ones with [`RepoGraph::sync`] (dirty or diverged work
//!   is never touched), `notify` only notifies. Either way a
//!   [`Notification::SyncRule`](relay_core::event::Notification::SyncRule) follows.
//! - `check_suite` / `workflow_run` completed on a repository's default branch: a
//!   [`Notification::Ci`](relay_core::event::Notification::Ci) ("CI on backend is green again").
//! - `pull_request`, `pull_request_review`, `issues`: notifications for new pull requests,
//!   submitted reviews, new or labelled issues.
//! - `ping`, `check_run` and every other event: accepted, nothing to do.
//!
//! A webhook's repository is the workspace repository whose `url` has the same GitHub
//! `owner/name` ([`relay_core::config::RepoSpec::github_repo`]).
//!
//! Without a store (the default) the queue, the delivery ids and the CI memory live in this
//! process. With [`WebhooksBuilder::store`] every accepted delivery is a durable job on the
//! store's queue instead, and its id is remembered in the store (see [`DeliveryJob`]): the
//! process that works the store's queue (`relay::Relay::work`, which `relay serve` and
//! `relay worker` run) acts on it and sends its events to [`Webhooks::publisher`].

mod actions;
mod dedup;
mod durable;
mod handler;
pub mod payload;
mod signature;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use relay_core::store::Store;
use relay_core::{Event, RepoGraph};
use tokio::sync::{broadcast, mpsc};

pub use actions::{Action, CiMemory, workspace_repos};
pub use durable::{DeliveryJob, WEBHOOK_OPERATION, WEBHOOK_USER};
pub use payload::{PayloadError, WebhookEvent, parse};
pub use signature::{SECRET_ENV, SignatureError, WebhookSecret};
pub use worker::{ActionError, ShutdownReport};

pub(crate) use handler::reply as handler_reply;

use crate::ServerError;

/// The path GitHub posts to.
pub const WEBHOOK_PATH: &str = "/webhooks/github";

/// GitHub caps webhook payloads at 25 MB; larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// A router whose `POST /webhooks/github` answers every delivery 503 with
/// `{"error", "hint"}` saying to set the webhook secret: for a server running without a
/// webhook receiver (no secret), so that a delivery gets a clear answer rather than a bare 404.
/// Nothing is read from the delivery and nothing runs.
pub fn disabled_router() -> Router {
    Router::new().route(
        WEBHOOK_PATH,
        post(|| async {
            crate::auth::refusal(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "this server does not receive GitHub webhooks: it was started without a webhook secret",
                "set RELAY_WEBHOOK_SECRET to the secret configured on the GitHub webhook and restart relay serve",
            )
        }),
    )
}

/// State the handler shares.
struct Shared {
    secret: WebhookSecret,
    log: dedup::DeliveryLog,
    queue: mpsc::Sender<worker::Delivery>,
    max_body: usize,
    metrics: crate::Metrics,
    /// With a store: deliveries are durable jobs on its queue (see [`durable`]).
    durable: Option<Durable>,
}

/// What the handler needs to queue deliveries in a store.
struct Durable {
    store: Arc<dyn Store>,
    graph: Arc<dyn RepoGraph>,
    ci: CiMemory,
}

/// The webhook receiver: its route, its queue and worker, and the stream of its jobs' events.
///
/// Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Webhooks {
    shared: Arc<Shared>,
    worker: Arc<worker::WorkerHandle>,
    events: broadcast::Sender<Event>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

impl Webhooks {
    /// A builder acting on `graph`'s workspace.
    pub fn builder(graph: Arc<dyn RepoGraph>) -> WebhooksBuilder {
        WebhooksBuilder {
            graph,
            secret: None,
            queue_capacity: 256,
            delivery_log_capacity: 10_000,
            max_body: MAX_BODY_BYTES,
            event_buffer: 1024,
            metrics: None,
            store: None,
        }
    }

    /// A router with `POST /webhooks/github` alone; merge or nest it into your own.
    pub fn router(&self) -> Router {
        Router::new()
            .route(WEBHOOK_PATH, post(handler::receive))
            .with_state(self.shared.clone())
    }

    /// The events of every webhook job from now on (job started, sync progress, repositories
    /// finished, notifications, job finished). A subscriber that falls more than the builder's
    /// `event_buffer` behind misses the oldest ones (`RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Where the events of webhook jobs run from a store's queue go, so that
    /// [`subscribe`](Self::subscribe)rs see them too: hand it to whatever works the queue in this
    /// process (`relay serve` does). Unused without a store.
    pub fn publisher(&self) -> broadcast::Sender<Event> {
        self.events.clone()
    }

    /// Whether deliveries are durable jobs in a store ([`WebhooksBuilder::store`]).
    pub fn is_durable(&self) -> bool {
        self.shared.durable.is_some()
    }

    /// Stops accepting deliveries (503 from now on), acts on those already queued, and reports.
    /// With a store nothing is queued here (the store's queue keeps the deliveries): the report
    /// is empty.
    /// Deliveries still queued after `grace` are abandoned (the running one is cancelled) and
    /// listed in the report. Idempotent: later calls return an empty report.
    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        self.worker.shutdown(grace).await
    }
}

/// Configures [`Webhooks`]; made by [`Webhooks::builder`].
#[must_use]
pub struct WebhooksBuilder {
    graph: Arc<dyn RepoGraph>,
    secret: Option<WebhookSecret>,
    queue_capacity: usize,
    delivery_log_capacity: usize,
    max_body: usize,
    event_buffer: usize,
    metrics: Option<crate::Metrics>,
    store: Option<Arc<dyn Store>>,
}

impl std::fmt::Debug for WebhooksBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhooksBuilder")
            .field("secret", &self.secret)
            .field("queue_capacity", &self.queue_capacity)
            .field("delivery_log_capacity", &self.delivery_log_capacity)
            .field("max_body", &self.max_body)
            .field("event_buffer", &self.event_buffer)
            .field("store", &self.store.as_ref().map(|s| s.url()))
            .finish_non_exhaustive()
    }
}

impl WebhooksBuilder {
    /// The webhook's secret; without one, [`build`](Self::build) reads `RELAY_WEBHOOK_SECRET`.
    pub fn secret(mut self, secret: WebhookSecret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// How many accepted deliveries may wait for the worker (default 256); when full, deliveries
    /// get 503 with `Retry-After` and are not recorded, so a redelivery is accepted later.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }

    /// How many delivery ids are remembered to recognise redeliveries (default 10,000).
    pub fn delivery_log_capacity(mut self, n: usize) -> Self {
        self.delivery_log_capacity = n.max(1);
        self
    }

    /// The largest body accepted (default and GitHub's cap: 25 MB).
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body = n;
        self
    }

    /// How many events a slow subscriber may fall behind (default 1024).
    pub fn event_buffer(mut self, n: usize) -> Self {
        self.event_buffer = n.max(1);
        self
    }

    /// Counts deliveries in `metrics` (`relay_webhook_deliveries_total{event, outcome}`);
    /// default: a handle of its own, counted but not served.
    pub fn metrics(mut self, metrics: crate::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Makes every accepted delivery a durable job in `store`: its id is remembered there
    /// (redeliveries are recognised across restarts and processes) and its job is recorded and
    /// put on the store's queue before the 202 goes back. Someone must work that queue
    /// (`relay::Relay::work`); [`Webhooks::publisher`] takes the jobs' events to subscribers.
    /// Without a store everything stays in this process (the default).
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Starts the worker (call inside a tokio runtime).
    ///
    /// Fails when no secret was given and `RELAY_WEBHOOK_SECRET` is unset or empty: unsigned
    /// deliveries would let anyone trigger syncs.
    pub fn build(self) -> Result<Webhooks, ServerError> {
        let secret = self
            .secret
            .or_else(WebhookSecret::from_env)
            .ok_or(ServerError::NoSecret)?;
        let (events, _) = broadcast::channel(self.event_buffer);
        let durable = self.store.map(|store| Durable {
            store,
            graph: self.graph.clone(),
            ci: CiMemory::default(),
        });
        let (queue, worker) = worker::start(self.graph, self.queue_capacity, events.clone());
        Ok(Webhooks {
            shared: Arc::new(Shared {
                secret,
                log: dedup::DeliveryLog::new(self.delivery_log_capacity),
                queue,
                max_body: self.max_body,
                metrics: self.metrics.unwrap_or_default(),
                durable,
            }),
            worker: Arc::new(worker),
            events,
        })
    }
}
