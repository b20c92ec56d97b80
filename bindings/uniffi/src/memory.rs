//! `Memory`: Relay's memory as the acting user — the store, who am I, saved sessions, durable
//! jobs (list, show, resume, cancel) and the audit log (query, verify). Listings and records are
//! JSON text (the same JSON as the Python binding's dicts; fields in docs/store.md); the acting
//! user and the audit verdict are records.

use std::sync::Arc;

use relay_bindings_common::{AuditQuery, MemoryHandle, MemoryOptions, Selection};
use serde::Deserialize;

use crate::error::RelayError;
use crate::job::Job;
use crate::runtime;
use crate::tools::Tools;

/// The acting user.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct WhoAmI {
    /// The user name.
    pub user: String,
    /// `reader`, `developer`, `team_lead` or `admin`.
    pub role: String,
    /// The tool registry's permissions (`read`, `session`, ..., `team`, `admin`).
    pub permissions: Vec<String>,
    /// The plan's permissions (`repository_write`, `container_manage`, ...).
    pub plan_permissions: Vec<String>,
}

/// What `verifyAudit` found: intact (`records` checked), or broken at entry `seq`.
#[derive(Debug, Clone, Deserialize, uniffi::Record)]
pub struct AuditVerdict {
    /// `intact` or `broken`.
    pub status: String,
    /// How many entries were checked (intact).
    #[serde(default)]
    pub records: Option<u64>,
    /// The first entry changed, removed or moved (broken).
    #[serde(default)]
    pub seq: Option<u64>,
    /// What is wrong there (broken).
    #[serde(default)]
    pub problem: Option<String>,
}

fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, RelayError> {
    serde_json::from_str(text).map_err(|e| RelayError::Internal {
        code: "internal".into(),
        reason: format!(
            "internal error: unexpected JSON from Relay ({e}); please report this as a bug"
        ),
    })
}

/// Relay's memory, opened with `Memory.open(workspace, store, user, token)` (suspend). Throws
/// `Store` (codes `store_unavailable`, `store_invalid_url`, ...; the URL's password redacted),
/// `Usage` (codes `denied`, `unauthenticated`, `unknown_session`, `usage`) or `Repo`.
#[derive(uniffi::Object)]
pub struct Memory {
    inner: MemoryHandle,
}

#[uniffi::export]
impl Memory {
    /// Opens the workspace (a directory or relay.yaml; discovered from the current directory
    /// when null), its store (`sqlite:PATH` or `redis://HOST:PORT/DB`; else `RELAY_STORE_URL`,
    /// relay.yaml's `store.url`, else `<workspace>/.relay/relay.db`) and identifies the acting
    /// user (`token`, else `user`, else `RELAY_USER`, else the OS user).
    #[uniffi::constructor(default(workspace = None, store = None, user = None, token = None))]
    pub async fn open(
        workspace: Option<String>,
        store: Option<String>,
        user: Option<String>,
        token: Option<String>,
    ) -> Result<Arc<Self>, RelayError> {
        let options = MemoryOptions {
            workspace,
            store,
            user,
            token,
        };
        let inner = runtime::run(MemoryHandle::open(options)).await??;
        Ok(Arc::new(Self { inner }))
    }

    /// The store's URL, password redacted.
    pub fn store_url(&self) -> String {
        self.inner.store_url()
    }

    /// The acting user, their role and permissions.
    pub fn whoami(&self) -> Result<WhoAmI, RelayError> {
        decode(&self.inner.whoami())
    }

    /// Saved sessions (yours; everyone's for team leads), most recent first: a JSON array.
    pub async fn sessions(&self) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.sessions().await }).await??)
    }

    /// One saved session with its turns (JSON); `Usage` (code `unknown_session`) when there is
    /// none by that name.
    pub async fn session(&self, name: String) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.session(&name).await }).await??)
    }

    /// Deletes a saved session before it expires; false when there was none.
    pub async fn delete_session(&self, name: String) -> Result<bool, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.delete_session(&name).await }).await??)
    }

    /// The tools as the acting user (their role enforced, every call audited, denials too).
    /// With `session`, a `VoiceSession` started on them saves its conversation under that name
    /// and resumes it (history replayed) when it exists.
    #[uniffi::method(default(session = None))]
    pub async fn tools(&self, session: Option<String>) -> Result<Arc<Tools>, RelayError> {
        let inner = self.inner.clone();
        let tools = runtime::run(async move { inner.tools(session).await }).await??;
        Ok(Tools::from_handle(tools))
    }

    /// Durable jobs, newest first (a JSON array; yours, everyone's for team leads).
    pub async fn jobs(&self) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.jobs().await }).await??)
    }

    /// One job with every event it recorded: `{"job": ..., "events": [...]}`.
    pub async fn job(&self, id: String) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.job(&id).await }).await??)
    }

    /// Queues a sync of `repos` (or `affectedBy`; default all) as a durable job for a worker or
    /// `resumeJob`; its record (state `queued`) as JSON.
    #[uniffi::method(default(repos = None, affected_by = None))]
    pub async fn enqueue_sync(
        &self,
        repos: Option<Vec<String>>,
        affected_by: Option<Vec<String>>,
    ) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let selection = Selection { repos, affected_by };
        Ok(runtime::run(async move { inner.enqueue_sync(selection).await }).await??)
    }

    /// Runs what is left of an interrupted, failed or queued job in this process: a job
    /// streaming its events (repositories already done are not done again).
    pub async fn resume_job(&self, id: String) -> Result<Arc<Job>, RelayError> {
        let inner = self.inner.clone();
        let handle = runtime::run(async move { inner.resume_job(&id).await }).await??;
        Ok(Job::new(handle))
    }

    /// Cancels a job (a running one stops within a heartbeat, from any process); its record.
    pub async fn cancel_job(&self, id: String) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.cancel_job(&id).await }).await??)
    }

    /// Audit records, oldest first (a JSON array): from the last `since` (`90s`, `30m`, `8h`,
    /// `7d`), of `user` (someone else's need the team_lead role), the newest `limit`.
    #[uniffi::method(default(since = None, user = None, limit = None))]
    pub async fn audit(
        &self,
        since: Option<String>,
        user: Option<String>,
        limit: Option<u64>,
    ) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let query = AuditQuery { since, user, limit };
        Ok(runtime::run(async move { inner.audit(query).await }).await??)
    }

    /// Checks the audit chain (needs the team_lead role).
    pub async fn verify_audit(&self) -> Result<AuditVerdict, RelayError> {
        let inner = self.inner.clone();
        let text = runtime::run(async move { inner.verify_audit().await }).await??;
        decode(&text)
    }
}
