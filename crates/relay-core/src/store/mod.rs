//! Relay's memory: the [`Store`] trait and the records it keeps.
//!
//! A store holds what must outlive one process: the audit log (hash-chained, append-only),
//! user tokens (hashes only), voice and chat sessions with their per-project context, durable
//! jobs with their events, and the job queue that workers share. Implementations live in the
//! `relay-store` crate: SQLite (embedded, the default, at `<workspace>/.relay/relay.db`) and
//! Redis (several Relay processes on several hosts). Every method takes and returns owned,
//! serde types so that the bindings can hand them across FFI unchanged.
//!
//! Which store is used is decided by a [`StoreUrl`]: `sqlite:PATH` or `redis://HOST:PORT/DB`,
//! from `RELAY_STORE_URL` or the `store:` section of `relay.yaml`.

mod bus;
mod error;
mod types;
mod url;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use bus::{BUS_VERSION, BusMessages, InviteRecord, RoomBus};
pub use error::StoreError;
pub use types::{
    AuditEntry, AuditFilter, AuditOutcome, AuditRecord, Claim, JobFilter, JobRecord, JobState,
    ProjectContext, SessionRecord, SessionSummary, SignInRecord, TokenRecord, ToolCallRecord, Turn,
    TurnRole,
};
pub use url::StoreUrl;

/// How long a webhook delivery id is remembered by default (for redelivery dedup): 30 days.
pub const DEFAULT_DELIVERY_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// How an idle worker waits for queued work ([`Store::queue_signal`]): woken through `notify`
/// as soon as a job is enqueued where the store can tell (the same process, or anywhere for a
/// store with notifications), and in any case every `poll` (jobs enqueued by processes the
/// store cannot hear from, leases that ran out).
#[derive(Debug, Clone)]
pub struct QueueSignal {
    /// Notified (`notify_waiters`) when a job was enqueued.
    pub notify: Arc<tokio::sync::Notify>,
    /// The fallback: look at the queue at least this often.
    pub poll: Duration,
}

impl QueueSignal {
    /// A signal that is never notified: poll every `poll`.
    pub fn polling(poll: Duration) -> Self {
        QueueSignal {
            notify: Arc::new(tokio::sync::Notify::new()),
            poll,
        }
    }
}

/// The default time a session is kept after its last change: 7 days.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where Relay keeps what must outlive a process. See the [module docs](self).
///
/// Contract every implementation keeps (checked by relay-store's conformance suite):
/// - audit records get consecutive `seq` numbers from 1 and each carries the hash of the one
///   before (`prev_hash`), computed by the store when appending, atomically across processes;
/// - a session is gone (not listed, not loadable) once `ttl` passed since it was last saved;
/// - a sign-in is gone once its `expires_ms` passed, and revoking a user's tokens ends it;
/// - a queued job is handed to one worker at a time; a claim not renewed within its lease is
///   handed to another worker; an acknowledged claim is never handed out again.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The URL the store was opened from, with any password redacted.
    fn url(&self) -> String;

    /// The schema version the store is at (migrations run forward when it is opened).
    async fn schema_version(&self) -> Result<u32, StoreError>;

    // ---- audit log --------------------------------------------------------------------------

    /// Appends `entry` to the audit log, chaining it to the last record.
    async fn append_audit(&self, entry: AuditEntry) -> Result<AuditRecord, StoreError>;

    /// Audit records matching `filter`, oldest first.
    async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;

    /// The `(seq, hash)` of the last record appended, as recorded separately from the records
    /// (so that removing the newest records is detected too); `None` for an empty log.
    async fn audit_head(&self) -> Result<Option<(u64, String)>, StoreError>;

    // ---- tokens -----------------------------------------------------------------------------

    /// Stores a token record (its hash, never the token).
    async fn put_token(&self, token: TokenRecord) -> Result<(), StoreError>;

    /// The token record whose hash is `hash`, revoked or not.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Every token record of `user` (every user's when `None`), oldest first.
    async fn tokens(&self, user: Option<String>) -> Result<Vec<TokenRecord>, StoreError>;

    /// Revokes every token of `user` and ends their sign-ins (as
    /// [`delete_signins`](Self::delete_signins)); returns how many tokens were active.
    async fn revoke_tokens(&self, user: &str) -> Result<u32, StoreError>;

    // ---- sign-ins ---------------------------------------------------------------------------

    /// Stores (replaces) a sign-in, kept until its `expires_ms`.
    async fn put_signin(&self, signin: SignInRecord) -> Result<(), StoreError>;

    /// The sign-in whose id hashes to `id_hash`, unless it expired or was ended.
    async fn signin(&self, id_hash: &str) -> Result<Option<SignInRecord>, StoreError>;

    /// Ends one sign-in (signing out); false when there was none.
    async fn delete_signin(&self, id_hash: &str) -> Result<bool, StoreError>;

    /// Ends every sign-in of `user`; returns how many were live.
    async fn delete_signins(&self, user: &str) -> Result<u32, StoreError>;

    // ---- sessions ---------------------------------------------------------------------------

    /// Saves (replaces) a session, to be kept `ttl` from now.
    async fn save_session(&self, session: SessionRecord, ttl: Duration) -> Result<(), StoreError>;

    /// The session called `id`, unless it expired.
    async fn load_session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError>;

    /// Sessions not expired, most recently saved first.
    async fn sessions(&self) -> Result<Vec<SessionSummary>, StoreError>;

    /// Deletes a session; false when there was none.
    async fn delete_session(&self, id: &str) -> Result<bool, StoreError>;

    // ---- jobs -------------------------------------------------------------------------------

    /// Creates or replaces a job record.
    async fn put_job(&self, job: JobRecord) -> Result<(), StoreError>;

    /// The job `id`.
    async fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError>;

    /// Jobs matching `filter`, newest first.
    async fn jobs(&self, filter: JobFilter) -> Result<Vec<JobRecord>, StoreError>;

    /// Appends one event (JSON) to a job's history.
    async fn append_job_event(&self, id: &str, event: serde_json::Value) -> Result<(), StoreError>;

    /// A job's events, in the order appended.
    async fn job_events(&self, id: &str) -> Result<Vec<serde_json::Value>, StoreError>;

    // ---- queue ------------------------------------------------------------------------------

    /// Puts job `job_id` on the queue.
    async fn enqueue(&self, job_id: &str) -> Result<(), StoreError>;

    /// Hands the oldest available queued job to `worker` for `lease`: one never claimed, or one
    /// whose lease expired (its worker died). `None` when the queue has nothing available.
    async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claim>, StoreError>;

    /// Extends `claim`'s lease; false when the claim was lost (lease expired and taken over, or
    /// acknowledged).
    async fn renew(&self, claim: &Claim, lease: Duration) -> Result<bool, StoreError>;

    /// Removes a finished claim from the queue for good.
    async fn ack(&self, claim: &Claim) -> Result<(), StoreError>;

    /// How many jobs are queued or claimed and not acknowledged.
    async fn queue_len(&self) -> Result<u64, StoreError>;

    /// How an idle worker learns that a job was enqueued (see [`QueueSignal`]). The default
    /// only polls, every 200 ms.
    fn queue_signal(&self) -> QueueSignal {
        QueueSignal::polling(Duration::from_millis(200))
    }

    // ---- webhook deliveries -----------------------------------------------------------------

    /// Remembers the webhook delivery `id` for `keep`; false when it was already remembered
    /// (a redelivery, to be acknowledged without acting on it again). Atomic across processes.
    async fn record_delivery(&self, id: &str, keep: Duration) -> Result<bool, StoreError>;

    /// Forgets the delivery `id` (it could not be queued, so a redelivery must be accepted).
    async fn forget_delivery(&self, id: &str) -> Result<(), StoreError>;

    // ---- environment owners -----------------------------------------------------------------

    /// Records that `user` owns environment `name` (`None`: forgets the environment).
    async fn set_env_owner(&self, name: &str, user: Option<String>) -> Result<(), StoreError>;

    /// Every environment with its owner, sorted by name.
    async fn env_owners(&self) -> Result<Vec<(String, String)>, StoreError>;

    // ---- notifications ----------------------------------------------------------------------

    /// Tells live listeners on `channel` about `message` (Redis: pub/sub; SQLite: nothing to
    /// tell, since one process reads its own store). Best effort.
    async fn notify(&self, channel: &str, message: &str) -> Result<(), StoreError>;

    /// The store's [`RoomBus`], when several processes share it (Redis): shared sessions then
    /// span processes. `None` (the default, and SQLite's): shared sessions stay in-process.
    fn room_bus(&self) -> Option<std::sync::Arc<dyn RoomBus>> {
        None
    }
}
