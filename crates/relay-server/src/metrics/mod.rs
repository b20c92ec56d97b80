//! [`Metrics`]: the server's counters, gauges and histograms, served at `GET /metrics` in the
//! Prometheus text exposition format (version 0.0.4).
//!
//! One cloneable handle per server; every clone updates the same numbers. The layer puts it
//! into each request's extensions (`axum::Extension<relay_server::Metrics>`), and whoever
//! builds the routes can hand a clone to their handlers:
//!
//! ```
//! use std::time::Duration;
//! use relay_server::Metrics;
//!
//! let metrics = Metrics::new();
//! {
//!     let _session = metrics.session_started();      // relay_sessions_active +1 until dropped
//!     metrics.observe_turn_latency(Duration::from_millis(240));
//!     metrics.observe_tool("repo_status", Duration::from_millis(35));
//!     metrics.approval("approved");
//! }
//! let text = metrics.encode();
//! assert!(text.contains("relay_sessions_active 0\n"));
//! assert!(text.contains("relay_tool_duration_seconds_count{tool=\"repo_status\"} 1\n"));
//! assert!(text.contains("relay_approvals_total{outcome=\"approved\"} 1\n"));
//! ```
//!
//! | family | type | labels | updated by |
//! |---|---|---|---|
//! | `relay_sessions_active` | gauge | | [`Metrics::session_started`] (the gateway) |
//! | `relay_turn_latency_seconds` | histogram | | [`Metrics::observe_turn_latency`]: end of the user's speech to the first reply audio |
//! | `relay_tool_duration_seconds` | histogram | `tool` | [`Metrics::observe_tool`] |
//! | `relay_approvals_total` | counter | `outcome` | [`Metrics::approval`] (`approved`, `denied`, `timed_out`, ...) |
//! | `relay_webhook_deliveries_total` | counter | `event`, `outcome` | the webhook handler |
//! | `relay_jobs` | gauge | `status` | [`Metrics::set_jobs`], from a [`Collect`] run at each scrape |
//! | `relay_auth_failures_total` | counter | `reason` | the auth layer (`missing`, `invalid`, `revoked`, `origin`, `rate_limited`, ...) |
//!
//! A labelled family keeps at most 500 label sets; later new ones are counted under the value
//! `other`, so that a flood of made-up names cannot grow memory.

mod encode;
mod histogram;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use histogram::Histogram;

/// The path of the metrics.
pub const METRICS_PATH: &str = "/metrics";

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets of `relay_turn_latency_seconds` (the plan's targets are 0.2 s and 1 s).
pub const TURN_LATENCY_BUCKETS: &[f64] = &[
    0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
];

/// Buckets of `relay_tool_duration_seconds` (tools take milliseconds to many minutes).
pub const TOOL_DURATION_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

/// Most label sets a family keeps before new ones are counted as `other`.
const MAX_SERIES: usize = 500;

/// Updates metrics just before they are served (e.g. job counts read from the store). Each
/// collector gets a short timeout; one that fails or times out leaves the old values.
#[async_trait::async_trait]
pub trait Collect: Send + Sync {
    /// Updates `metrics`.
    async fn collect(&self, metrics: &Metrics);
}

#[derive(Default)]
struct Inner {
    sessions: AtomicI64,
    turn_latency: Mutex<Option<Histogram>>,
    tools: Mutex<BTreeMap<String, Histogram>>,
    approvals: Mutex<BTreeMap<String, u64>>,
    webhooks: Mutex<BTreeMap<(String, String), u64>>,
    jobs: Mutex<BTreeMap<String, u64>>,
    auth_failures: Mutex<BTreeMap<String, u64>>,
}

/// The server's metrics; cheap to clone, clones share the numbers.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("sessions_active", &self.active_sessions())
            .finish_non_exhaustive()
    }
}

/// Counts one active session until dropped (see [`Metrics::session_started`]).
#[derive(Debug)]
#[must_use = "the session counts as active until this is dropped"]
pub struct ActiveSession {
    metrics: Metrics,
}

impl Drop for ActiveSession {
    fn drop(&mut self) {
        self.metrics.inner.sessions.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `key` when the map has it or room for it; else `other`.
fn bounded<K: Ord, V>(map: &BTreeMap<K, V>, key: K, other: K) -> K {
    if map.len() < MAX_SERIES || map.contains_key(&key) {
        key
    } else {
        other
    }
}

impl Metrics {
    /// Fresh metrics, all zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// A conversation started: `relay_sessions_active` is one higher until the returned guard
    /// is dropped (drop it when the conversation ends, however it ends).
    pub fn session_started(&self) -> ActiveSession {
        self.inner.sessions.fetch_add(1, Ordering::Relaxed);
        ActiveSession {
            metrics: self.clone(),
        }
    }

    /// How many sessions are active now.
    pub fn active_sessions(&self) -> i64 {
        self.inner.sessions.load(Ordering::Relaxed)
    }

    /// One turn's latency: from the end of the user's speech to the first audio of the reply.
    pub fn observe_turn_latency(&self, latency: Duration) {
        lock(&self.inner.turn_latency)
            .get_or_insert_with(|| Histogram::new(TURN_LATENCY_BUCKETS))
            .observe(latency.as_secs_f64());
    }

    /// One call of `tool` took `duration`.
    pub fn observe_tool(&self, tool: &str, duration: Duration) {
        let mut tools = lock(&self.inner.tools);
        let key = bounded(&tools, tool.to_owned(), "other".to_owned());
        tools
            .entry(key)
            .or_insert_with(|| Histogram::new(TOOL_DURATION_BUCKETS))
            .observe(duration.as_secs_f64());
    }

    /// An approval request ended with `outcome` (e.g. `approved`, `denied`, `timed_out`).
    pub fn approval(&self, outcome: &str) {
        let mut map = lock(&self.inner.approvals);
        let key = bounded(&map, outcome.to_owned(), "other".to_owned());
        *map.entry(key).or_default() += 1;
    }

    /// A webhook delivery of GitHub `event` was answered with `outcome` (`accepted`,
    /// `duplicate`, `bad_signature`, `bad_request`, `too_large`, `queue_full`,
    /// `shutting_down`).
    pub fn webhook_delivery(&self, event: &str, outcome: &str) {
        let mut map = lock(&self.inner.webhooks);
        let key = bounded(
            &map,
            (event.to_owned(), outcome.to_owned()),
            ("other".to_owned(), outcome.to_owned()),
        );
        *map.entry(key).or_default() += 1;
    }

    /// How many jobs are in `status` now (`relay_jobs{status}`).
    pub fn set_jobs(&self, status: &str, count: u64) {
        let mut map = lock(&self.inner.jobs);
        let key = bounded(&map, status.to_owned(), "other".to_owned());
        map.insert(key, count);
    }

    /// A request was refused for `reason`.
    pub(crate) fn auth_failure(&self, reason: &str) {
        let mut map = lock(&self.inner.auth_failures);
        let key = bounded(&map, reason.to_owned(), "other".to_owned());
        *map.entry(key).or_default() += 1;
    }

    /// The metrics in the Prometheus text exposition format (version 0.0.4).
    pub fn encode(&self) -> String {
        encode::encode(self)
    }
}
