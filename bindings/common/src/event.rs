//! Events split for bindings whose foreign side has no JSON-to-object decoding at hand
//! (Kotlin, Swift): the envelope as fields, the whole event as JSON text.

use relay::core::Event;

/// An [`Event`] as envelope fields plus its JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventJson {
    /// The job that emitted the event.
    pub job: String,
    /// Position in the job's stream.
    pub seq: u64,
    /// Emission time, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The event's `type` tag (`progress`, `job_finished`, ...).
    pub kind: String,
    /// The whole event, serialized as one flat JSON object.
    pub json: String,
}

impl From<&Event> for EventJson {
    fn from(event: &Event) -> Self {
        let value = serde_json::to_value(event).expect("events always serialize");
        let kind = value
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned();
        EventJson {
            job: event.job.to_string(),
            seq: event.seq,
            at_ms: event.at_ms,
            kind,
            json: value.to_string(),
        }
    }
}
