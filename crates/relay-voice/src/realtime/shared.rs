//! Small types every part of the session task uses: the outlet to the application (events and
//! metrics) and the counter behind the ids Relay puts on what it sends.

use std::sync::{Arc, Mutex};

use relay_core::voice::{SessionMetrics, VoiceEvent};
use tokio::sync::mpsc;

/// Sends events to the application and updates the session's shared metrics. Every part of the
/// driver holds a clone, so each reports what it did itself.
#[derive(Clone)]
pub(super) struct Reporter {
    events: mpsc::UnboundedSender<VoiceEvent>,
    metrics: Arc<Mutex<SessionMetrics>>,
}

impl Reporter {
    /// A reporter over the session's event channel and metrics.
    pub(super) fn new(
        events: mpsc::UnboundedSender<VoiceEvent>,
        metrics: Arc<Mutex<SessionMetrics>>,
    ) -> Self {
        Reporter { events, metrics }
    }

    /// Emits `event` to the application.
    pub(super) fn emit(&self, event: VoiceEvent) {
        // A dropped session handle is noticed on the command channel; nothing to do here.
        let _ = self.events.send(event);
    }

    /// Updates the shared metrics.
    pub(super) fn metrics(&self, f: impl FnOnce(&mut SessionMetrics)) {
        if let Ok(mut m) = self.metrics.lock() {
            f(&mut m);
        }
    }
}

/// Numbers the ids Relay gives its client events and items (`relay_evt_N`, `relay_user_N`).
///
/// One counter for the whole session, across reconnects, so no id is ever reused.
#[derive(Debug, Default)]
pub(super) struct ClientIds {
    last: u64,
}

impl ClientIds {
    /// The next id, `{prefix}_{n}`.
    pub(super) fn next(&mut self, prefix: &str) -> String {
        self.last += 1;
        format!("{prefix}_{}", self.last)
    }
}
