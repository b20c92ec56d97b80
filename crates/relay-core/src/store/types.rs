//! The records a [`Store`](super::Store) keeps: plain serde data, owned, FFI-friendly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---- audit -----------------------------------------------------------------------------------

/// How an audited call or command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It ran and succeeded.
    Ok,
    /// It ran and failed.
    Failed,
    /// It was refused: the caller's role does not allow it, or a limit was reached.
    Denied,
}

impl AuditOutcome {
    /// `ok`, `failed` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Failed => "failed",
            AuditOutcome::Denied => "denied",
        }
    }
}

/// One audited action, as the caller describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When it started, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Who asked.
    pub user: String,
    /// Their role (`developer`, `team_lead`, `admin`).
    pub role: String,
    /// The session it belongs to, if any.
    pub session: Option<String>,
    /// `tool` or `command`.
    pub kind: String,
    /// The tool or command name (`sync_repos`, `relay commit`).
    pub action: String,
    /// Arguments, with secrets already redacted.
    pub args: Value,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// A short detail: the error, the denial reason, a summary.
    pub detail: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// An [`AuditEntry`] as stored: numbered and chained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Position in the log, from 1, consecutive.
    pub seq: u64,
    /// The entry.
    pub entry: AuditEntry,
    /// The hash of the record before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) over `seq`, `prev_hash` and the entry.
    pub hash: String,
}

/// Which audit records to read. The default reads all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only records at or after this time (ms since the epoch).
    pub since_ms: Option<u64>,
    /// Only this user's records.
    pub user: Option<String>,
}

// ---- tokens ----------------------------------------------------------------------------------

/// A user's API token as stored: only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// A short public id (the token's first characters), to tell tokens apart.
    pub id: String,
    /// Whose token it is.
    pub user: String,
    /// SHA-256 (hex) of the token.
    pub hash: String,
    /// When it was created, ms since the epoch.
    pub created_ms: u64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<u64>,
}

// ---- sign-ins -------------------------------------------------------------------------------

/// A browser's sign-in to `relay serve` (the session cookie), as stored: the SHA-256 of the
/// cookie's random id, never the id itself, and never the token it was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRecord {
    /// SHA-256 (hex) of the cookie's session id.
    pub id_hash: String,
    /// Who signed in.
    pub user: String,
    /// When, ms since the epoch.
    pub created_ms: u64,
    /// When it ends, ms since the epoch (fixed at sign-in: it does not slide with use).
    pub expires_ms: u64,
}

// ---- sessions --------------------------------------------------------------------------------

/// Who said a [`Turn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnRole {
    /// The person.
    User,
    /// The model.
    Assistant,
    /// A tool call and its result.
    Tool,
}

/// A tool call made during a conversation and what it returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
    /// The output as JSON text.
    pub output: String,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Who.
    pub role: TurnRole,
    /// The transcript (empty for a tool turn).
    pub text: String,
    /// The tool call, for a tool turn.
    pub tool: Option<ToolCallRecord>,
    /// When, ms since the epoch.
    pub at_ms: u64,
}

/// What Relay remembers about one project within a session (the plan's `ProjectContext`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectContext {
    /// The primary repository.
    pub project: String,
    /// The repositories in play with it (its dependencies and dependents).
    pub active_repos: Vec<String>,
    /// The job of the multi-repository operation under way, if any.
    pub operation: Option<String>,
}

/// A conversation and its context (the plan's `VoiceSession`), saved as it goes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session's name (`relay chat --session NAME`).
    pub id: String,
    /// Whose session it is.
    pub user: String,
    /// When it was created, ms since the epoch.
    pub created_ms: u64,
    /// When it was last saved, ms since the epoch.
    pub updated_ms: u64,
    /// The primary project now, if one was chosen.
    pub primary: Option<String>,
    /// Each project's context, by project name; switching projects keeps the others'.
    pub projects: BTreeMap<String, ProjectContext>,
    /// The conversation so far.
    pub turns: Vec<Turn>,
}

/// A session in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session's name.
    pub id: String,
    /// Whose session it is.
    pub user: String,
    /// When it was last saved, ms since the epoch.
    pub updated_ms: u64,
    /// When it expires, ms since the epoch.
    pub expires_ms: u64,
    /// The primary project, if any.
    pub primary: Option<String>,
    /// How many turns it holds.
    pub turns: u64,
}

// ---- jobs ------------------------------------------------------------------------------------

/// Where a durable job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// On the queue, waiting for a worker.
    Queued,
    /// A process is running it.
    Running,
    /// Finished with success.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Cancelled by a user.
    Cancelled,
    /// Its process died before it finished; `relay jobs resume` finishes it.
    Interrupted,
}

impl JobState {
    /// The state's name (`queued`, `running`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }

    /// Whether the job is over for good.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

/// A durable job: what to do, how far it got, who runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Unique across processes and hosts.
    pub id: String,
    /// The operation (`sync`, `agent_run`, ...).
    pub operation: String,
    /// Who started it.
    pub user: String,
    /// Where it is.
    pub state: JobState,
    /// What to do, enough to start or resume it (operation-specific JSON).
    pub spec: Value,
    /// The units already finished (repositories), never done again on resume.
    pub done: Vec<String>,
    /// Per-unit resume data (e.g. an agent session id per repository).
    pub resume: BTreeMap<String, String>,
    /// The process running it (`host:pid`) while running.
    pub owner: Option<String>,
    /// Last sign of life from the owner, ms since the epoch.
    pub heartbeat_ms: u64,
    /// Set by `relay jobs cancel` on a running job; the owner stops it.
    pub cancel_requested: bool,
    /// Created, ms since the epoch.
    pub created_ms: u64,
    /// Last changed, ms since the epoch.
    pub updated_ms: u64,
    /// The error it failed with, or a short summary of the outcome.
    pub message: Option<String>,
}

/// Which jobs to list. The default lists all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFilter {
    /// Only jobs in one of these states (all when empty).
    pub states: Vec<JobState>,
    /// Only jobs updated at or after this time.
    pub since_ms: Option<u64>,
    /// Only this user's jobs.
    pub user: Option<String>,
}

/// A queued job handed to a worker until its lease runs out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The job.
    pub job_id: String,
    /// The queue entry (store-specific), for renew and ack.
    pub delivery: String,
    /// The worker holding it.
    pub worker: String,
    /// How many times it was handed out (1 the first time).
    pub attempts: u32,
}
