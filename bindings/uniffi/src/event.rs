//! Events as they reach Kotlin and Swift: the envelope as typed fields, the whole event as JSON
//! (its fields depend on `kind`; new kinds need no change here).

/// One event of a job.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Event {
    /// The job that emitted the event.
    pub job: String,
    /// Position in the job's stream, from 0, consecutive.
    pub seq: u64,
    /// Emission time, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The event's `type` tag: `job_started`, `progress`, `log`, `repo_finished`, `agent`,
    /// `job_finished`, ...
    pub kind: String,
    /// The whole event as a JSON object (the same object Python and Node receive).
    pub json: String,
}

impl From<relay_bindings_common::EventJson> for Event {
    fn from(e: relay_bindings_common::EventJson) -> Self {
        Event {
            job: e.job,
            seq: e.seq,
            at_ms: e.at_ms,
            kind: e.kind,
            json: e.json,
        }
    }
}

/// Receives a job's events, in order, on a Relay thread. The last event is `job_finished`.
#[uniffi::export(callback_interface)]
pub trait EventListener: Send + Sync {
    /// Called once per event.
    fn on_event(&self, event: Event);
}
