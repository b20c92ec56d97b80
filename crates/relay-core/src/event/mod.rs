//! Typed events streamed by every long operation ([`crate::Job`]).
//!
//! Events are plain serde data so that they cross every boundary unchanged: the CLI prints them as
//! JSON lines, the voice layer turns progress into speech, and the bindings hand them to Python,
//! Node and Kotlin as dictionaries or objects.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

mod agent;
mod notification;

pub use agent::{AgentEvent, ContentBlock, RawJson};
pub use notification::{CiConclusion, Notification};

/// Identifies one job within a process; unique for the life of the process.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub String);

impl JobId {
    /// A fresh id: milliseconds since the epoch plus a process-wide counter, so ids sort by start
    /// time and never repeat within a process.
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        JobId(format!("job-{:x}-{n}", now_ms()))
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One event of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The job that emitted the event.
    pub job: JobId,
    /// Position of the event in its job's stream, starting at 0; consecutive, never reused.
    pub seq: u64,
    /// Wall-clock time of emission, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What an [`Event`] reports. Serialized with a `"type"` tag in snake_case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Always the first event of a job.
    JobStarted {
        /// The operation, e.g. `"sync"` or `"agent_run"`.
        operation: String,
        /// How many units of work the job expects (repositories, steps), when known.
        total: Option<u64>,
    },
    /// Work advanced. A job's progress always has [`Progress::done`] set.
    Progress(Progress),
    /// A log line produced by the work (a subprocess's stderr, a provider's task log).
    Log {
        /// The repository the line belongs to, if any.
        repo: Option<String>,
        /// Severity.
        level: LogLevel,
        /// The line, without its trailing newline.
        line: String,
    },
    /// One repository's part of a multi-repository job is over.
    RepoFinished {
        /// Repository name.
        repo: String,
        /// How it ended.
        outcome: RepoOutcome,
        /// A short human summary ("fast-forwarded 3 commits", "skipped: uncommitted changes").
        summary: String,
    },
    /// An event from a coding agent working in a repository.
    Agent {
        /// The repository the agent works in, if the run is per repository.
        repo: Option<String>,
        /// The agent's event.
        event: AgentEvent,
    },
    /// Something to tell the user about: a webhook-driven action, a CI result on a watched
    /// branch. Carries its own `kind` tag; [`Notification::sentence`] is what a voice session says.
    Notification(Notification),
    /// Always the last event of a job.
    JobFinished {
        /// How the job ended.
        status: JobStatus,
        /// The error message when the job failed.
        error: Option<String>,
    },
}

/// Progress of a long operation: a job's [`EventKind::Progress`], and what a tool reports while
/// it runs ([`ToolProgressSink::report`](crate::tools::ToolProgressSink::report)), all the way to the voice layer's `tool_progress` event.
///
/// Serialized flat: `{"done": 1, "total": 4, "repo": "backend", "message": "fetching backend"}`.
/// `done` is left out when unknown; `total` and `repo` are `null` when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Units finished so far; always set in a job's events, optional in a tool's reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<u64>,
    /// Units expected in all, when known.
    #[serde(default)]
    pub total: Option<u64>,
    /// The repository in hand, if any.
    #[serde(default)]
    pub repo: Option<String>,
    /// A short human sentence, suitable for speaking ("fetching auth-service").
    pub message: String,
}

impl Progress {
    /// Progress that is only a sentence: no counts, no repository.
    pub fn message(message: impl Into<String>) -> Self {
        Progress {
            message: message.into(),
            ..Progress::default()
        }
    }

    /// Sets the units finished so far.
    pub fn done(mut self, done: u64) -> Self {
        self.done = Some(done);
        self
    }

    /// Sets the units expected in all.
    pub fn total(mut self, total: impl Into<Option<u64>>) -> Self {
        self.total = total.into();
        self
    }

    /// Sets the repository in hand.
    pub fn repo(mut self, repo: impl Into<String>) -> Self {
        self.repo = Some(repo.into());
        self
    }
}

/// Severity of a [`EventKind::Log`] line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Diagnostic detail.
    Debug,
    /// Normal output.
    Info,
    /// Something worth attention that did not stop the work.
    Warn,
    /// A failure.
    Error,
}

/// How one repository's part of a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoOutcome {
    /// Done as asked.
    Success,
    /// Tried and failed.
    Failed,
    /// Deliberately not touched (dirty, diverged, dependency failed, ...).
    Skipped,
    /// Stopped by cancellation.
    Cancelled,
}

/// How a whole job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// The job returned a result (which may still report per-repository failures).
    Succeeded,
    /// The job returned an error.
    Failed,
    /// The job was cancelled.
    Cancelled,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_flat_with_a_type_tag() {
        let event = Event {
            job: JobId("job-1".into()),
            seq: 3,
            at_ms: 10,
            kind: EventKind::Progress(
                Progress::message("fetching backend")
                    .done(1)
                    .total(4)
                    .repo("backend"),
            ),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"job": "job-1", "seq": 3, "at_ms": 10, "type": "progress",
                "done": 1, "total": 4, "repo": "backend", "message": "fetching backend"})
        );
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn unknown_progress_fields_keep_their_shape() {
        let kind = EventKind::Progress(Progress::message("working").done(2));
        let json = serde_json::to_value(&kind).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "progress", "done": 2, "total": null, "repo": null,
                "message": "working"})
        );
        assert_eq!(serde_json::from_value::<EventKind>(json).unwrap(), kind);
        // A tool's report may leave `done` out; it reads back as unknown.
        let json = serde_json::to_value(Progress::message("working")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"total": null, "repo": null, "message": "working"})
        );
        let back: Progress =
            serde_json::from_value(serde_json::json!({"message": "working"})).unwrap();
        assert_eq!(back, Progress::message("working"));
    }

    #[test]
    fn job_ids_are_unique() {
        let a = JobId::new();
        let b = JobId::new();
        assert_ne!(a, b);
    }
}
