//! `Memory`: Relay's memory as the acting user — the store, who am I, saved sessions, durable
//! jobs (list, show, resume, cancel) and the audit log (query, verify), as Promises of plain
//! objects (the same JSON as the Python binding's dicts).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{AuditQuery, MemoryHandle, MemoryOptions, Selection};

use crate::convert::{js_error, parse_json, spawn_json, spawn_with};
use crate::job::Job;
use crate::tools::Tools;

/// Options of `Memory.open`; every one optional.
#[napi(object)]
pub struct OpenMemoryOptions {
    /// The workspace (a directory or relay.yaml); default: discovered from the current directory.
    pub workspace: Option<String>,
    /// `sqlite:PATH` or `redis://HOST:PORT/DB`; default: `RELAY_STORE_URL`, relay.yaml's
    /// `store.url`, else `<workspace>/.relay/relay.db`.
    pub store: Option<String>,
    /// Act as this user (default: `RELAY_USER`, else the OS user); their role comes from
    /// relay.yaml's `team:`.
    pub user: Option<String>,
    /// Act as whoever this token (from `relay team token create`) belongs to.
    pub token: Option<String>,
}

/// Options of `enqueueSync`: `repos` or `affectedBy` (default: every auto-synced repository).
#[napi(object)]
pub struct EnqueueSyncOptions {
    /// Exactly these repositories.
    pub repos: Option<Vec<String>>,
    /// These repositories and everything that depends on them.
    pub affected_by: Option<Vec<String>>,
}

/// Options of `audit`; every one optional.
#[napi(object)]
pub struct AuditOptions {
    /// Only entries from the last DURATION (`90s`, `30m`, `8h`, `7d`, `2w`).
    pub since: Option<String>,
    /// Only this user's entries (someone else's need the team_lead role).
    pub user: Option<String>,
    /// Only the newest N (still oldest first).
    pub limit: Option<u32>,
}

/// Relay's memory as the acting user. Open it with `await Memory.open({ workspace, store, user })`.
/// Failures reject with an Error whose `kind` is `store` (codes `store_unavailable`,
/// `store_invalid_url`, ...; the URL's password redacted), `usage` (codes `denied`,
/// `unauthenticated`, `unknown_session`, `usage`) or `repo`.
#[napi]
pub struct Memory {
    inner: MemoryHandle,
}

/// `value` (a `#[napi]` class instance) as a JavaScript value, in a Promise's settle callback.
fn instance<T: ToNapiValue>(env: &Env, value: T) -> Result<Unknown<'_>> {
    // SAFETY: settle callbacks run on the JavaScript thread with its live `env`.
    let raw = unsafe { T::to_napi_value(env.raw(), value)? };
    // SAFETY: `raw` was just made in `env`; `Unknown` assumes no type.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), raw) })
}

#[napi]
impl Memory {
    /// Opens the workspace, its store and identifies the acting user.
    #[napi(ts_return_type = "Promise<Memory>")]
    pub fn open<'env>(
        env: &'env Env,
        options: Option<OpenMemoryOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let options = options.map_or_else(MemoryOptions::default, |o| MemoryOptions {
            workspace: o.workspace,
            store: o.store,
            user: o.user,
            token: o.token,
        });
        spawn_with(
            env,
            MemoryHandle::open(options),
            |env, opened| match opened {
                Ok(inner) => instance(env, Memory { inner }),
                Err(e) => Err(js_error(env, e)),
            },
        )
    }

    /// The store's URL, password redacted.
    #[napi(getter)]
    pub fn store_url(&self) -> String {
        self.inner.store_url()
    }

    /// The acting user: `{ user, role, permissions, plan_permissions, limits }`.
    #[napi(ts_return_type = "WhoAmI")]
    pub fn whoami<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        parse_json(env, self.inner.whoami())
    }

    /// Saved sessions (yours; everyone's for team leads), most recent first.
    #[napi(ts_return_type = "Promise<SessionSummary[]>")]
    pub fn sessions<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move { inner.sessions().await })
    }

    /// One saved session with its turns; rejects with code `unknown_session` when there is none.
    #[napi(ts_return_type = "Promise<SessionRecord>")]
    pub fn session<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move { inner.session(&name).await })
    }

    /// Deletes a saved session before it expires; `false` when there was none.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn delete_session<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move {
            inner.delete_session(&name).await.map(|d| d.to_string())
        })
    }

    /// The tools as the acting user (their role enforced, every call audited, denials too).
    /// With `session`, a `VoiceSession` started on them saves its conversation under that name
    /// and resumes it (history replayed) when it exists.
    #[napi(ts_return_type = "Promise<Tools>")]
    pub fn tools<'env>(
        &self,
        env: &'env Env,
        session: Option<String>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_with(
            env,
            async move { inner.tools(session).await },
            |env, built| match built {
                Ok(inner) => instance(env, Tools { inner }),
                Err(e) => Err(js_error(env, e)),
            },
        )
    }

    /// Durable jobs, newest first (yours; everyone's for team leads); a job whose process died
    /// is `interrupted`.
    #[napi(ts_return_type = "Promise<JobRecord[]>")]
    pub fn jobs<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move { inner.jobs().await })
    }

    /// One job with every event it recorded: `{ job, events }`.
    #[napi(ts_return_type = "Promise<{ job: JobRecord; events: RelayEvent[] }>")]
    pub fn job<'env>(&self, env: &'env Env, id: String) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move { inner.job(&id).await })
    }

    /// Queues a sync as a durable job (state `queued`) for a worker or `resumeJob`.
    #[napi(ts_return_type = "Promise<JobRecord>")]
    pub fn enqueue_sync<'env>(
        &self,
        env: &'env Env,
        options: Option<EnqueueSyncOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let selection = options.map_or_else(Selection::default, |o| Selection {
            repos: o.repos,
            affected_by: o.affected_by,
        });
        spawn_json(env, async move { inner.enqueue_sync(selection).await })
    }

    /// Runs what is left of an interrupted, failed or queued job in this process: a `Job`
    /// streaming its events (`for await`); repositories already done are not done again.
    #[napi(ts_return_type = "Promise<Job>")]
    pub fn resume_job<'env>(
        &self,
        env: &'env Env,
        id: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_with(
            env,
            async move { inner.resume_job(&id).await },
            |env, resumed| match resumed {
                Ok(handle) => instance(env, Job::new(handle)),
                Err(e) => Err(js_error(env, e)),
            },
        )
    }

    /// Cancels a job (a running one stops within a heartbeat, from any process); its record.
    #[napi(ts_return_type = "Promise<JobRecord>")]
    pub fn cancel_job<'env>(
        &self,
        env: &'env Env,
        id: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move { inner.cancel_job(&id).await })
    }

    /// Audit records, oldest first (yours unless you have the team_lead role).
    #[napi(ts_return_type = "Promise<AuditRecord[]>")]
    pub fn audit<'env>(
        &self,
        env: &'env Env,
        options: Option<AuditOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let query = options.map_or_else(AuditQuery::default, |o| AuditQuery {
            since: o.since,
            user: o.user,
            limit: o.limit.map(u64::from),
        });
        spawn_json(env, async move { inner.audit(query).await })
    }

    /// Checks the audit chain: `{ status: 'intact', records }` or `{ status: 'broken', seq,
    /// problem }` naming the first entry changed, removed or moved (needs the team_lead role).
    #[napi(ts_return_type = "Promise<AuditVerdict>")]
    pub fn verify_audit<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move { inner.verify_audit().await })
    }
}
