//! [`SqliteStore`]: the embedded default, one file in WAL mode (readers never wait for the
//! writer; several Relay processes on one machine may share it).

mod schema;
mod signal;
mod signins;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use relay_core::store::{
    AuditEntry, AuditFilter, AuditRecord, Claim, JobFilter, JobRecord, QueueSignal, SessionRecord,
    SessionSummary, SignInRecord, Store, StoreError, TokenRecord,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{SCHEMA_VERSION, chain, now_ms};

/// The store in one SQLite file. See the [crate docs](crate).
#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
    /// Woken on every enqueue; shared by every handle on the same file in this process.
    signal: Arc<signal::FileSignal>,
}

/// How often an idle worker looks at the queue in any case (leases that ran out; a watcher
/// that could not start). Enqueues here wake it at once, other processes' within
/// [`signal::WATCH_INTERVAL`].
const SQLITE_QUEUE_POLL: Duration = Duration::from_secs(1);

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory when missing) the database at `path` and migrates
    /// its schema to the newest version.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_at_version(path.as_ref(), SCHEMA_VERSION).await
    }

    /// Opens the database, migrating it only up to `version` (for migration tests).
    #[doc(hidden)]
    pub async fn open_at_version(path: &Path, version: u32) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let url = format!("sqlite:{}", path.display());
        let unavailable = |reason: String| StoreError::Unavailable {
            url: url.clone(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || -> rusqlite::Result<(Connection, u32)> {
                let mut conn = Connection::open(&path)?;
                conn.busy_timeout(Duration::from_secs(10))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                // WAL with NORMAL survives a killed process; only power loss may lose the
                // newest commits.
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                conn.pragma_update(None, "foreign_keys", "ON")?;
                let found = schema::version(&conn)?;
                if found <= version {
                    schema::migrate(&mut conn, version)?;
                }
                Ok((conn, found))
            })
            .await
            .map_err(|e| unavailable(e.to_string()))?
        };
        let (conn, found) = opened.map_err(|e| unavailable(e.to_string()))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                url,
                found,
                known: SCHEMA_VERSION,
            });
        }
        Ok(SqliteStore {
            signal: signal::for_file(&path),
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn url_text(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    /// Runs `f` on the connection on a blocking thread.
    async fn with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, Failure> + Send + 'static,
    {
        let conn = self.conn.clone();
        let url = self.url_text();
        let run = move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        };
        // On a multi-threaded runtime the call runs right here (other tasks move to another
        // worker meanwhile): no hop to the blocking pool, which is what keeps p99 low.
        let joined = match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => Ok(tokio::task::block_in_place(run)),
            _ => tokio::task::spawn_blocking(run).await,
        };
        match joined {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(Failure::Sql(e))) => Err(StoreError::Backend {
                url,
                reason: e.to_string(),
            }),
            Ok(Err(Failure::Decode(reason))) => Err(StoreError::Corrupt { url, reason }),
            Err(e) => Err(StoreError::Backend {
                url,
                reason: format!("the database thread failed: {e}"),
            }),
        }
    }
}

/// What can go wrong inside a blocking database call.
enum Failure {
    Sql(rusqlite::Error),
    Decode(String),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sql(e)
    }
}

fn encode<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Decode(format!("{e} in {text:.200}")))
}

fn decode_all<T: DeserializeOwned>(texts: Vec<String>) -> Result<Vec<T>, Failure> {
    texts.iter().map(|t| decode(t)).collect()
}

fn ms(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

#[async_trait]
impl Store for SqliteStore {
    fn url(&self) -> String {
        self.url_text()
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        self.with(|c| Ok(schema::version(c)?)).await
    }

    async fn append_audit(&self, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let head = read_head(&tx)?;
            let record = chain::next_record(head, entry);
            tx.execute(
                "INSERT INTO audit (seq, at_ms, user, record) VALUES (?1, ?2, ?3, ?4)",
                params![
                    record.seq as i64,
                    record.entry.at_ms as i64,
                    record.entry.user,
                    encode(&record)
                ],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?1)",
                params![format!("{} {}", record.seq, record.hash)],
            )?;
            tx.commit()?;
            Ok(record)
        })
        .await
    }

    async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT record FROM audit WHERE at_ms >= ?1 AND (?2 IS NULL OR user = ?2)
                 ORDER BY rowid",
            )?;
            let rows = stmt
                .query_map(
                    params![filter.since_ms.unwrap_or(0) as i64, filter.user],
                    |r| r.get::<_, String>(0),
                )?
                .collect::<Result<Vec<_>, _>>()?;
            decode_all(rows)
        })
        .await
    }

    async fn audit_head(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.with(|c| read_head(c)).await
    }

    async fn put_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.with(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO tokens (hash, user, created_ms, record) VALUES (?1, ?2, ?3, ?4)",
                params![token.hash, token.user, token.created_ms as i64, encode(&token)],
            )?;
            Ok(())
        })
        .await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let hash = hash.to_owned();
        self.with(move |c| {
            let text: Option<String> = c
                .query_row(
                    "SELECT record FROM tokens WHERE hash = ?1",
                    params![hash],
                    |r| r.get(0),
                )
                .optional()?;
            text.map(|t| decode(&t)).transpose()
        })
        .await
    }

    async fn tokens(&self, user: Option<String>) -> Result<Vec<TokenRecord>, StoreError> {
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT record FROM tokens WHERE (?1 IS NULL OR user = ?1) ORDER BY created_ms, hash",
            )?;
            let rows = stmt
                .query_map(params![user], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            decode_all(rows)
        })
        .await
    }

    async fn revoke_tokens(&self, user: &str) -> Result<u32, StoreError> {
        let user = user.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let rows: Vec<String> = {
                let mut stmt = tx.prepare("SELECT record FROM tokens WHERE user = ?1")?;
                stmt.query_map(params![user], |r| r.get::<_, String>(0))?
                    .collect::<Result<_, _>>()?
            };
            let mut revoked = 0;
            for text in rows {
                let mut token: TokenRecord = decode(&text)?;
                if token.revoked_ms.is_none() {
                    token.revoked_ms = Some(now_ms());
                    tx.execute(
                        "UPDATE tokens SET record = ?1 WHERE hash = ?2",
                        params![encode(&token), token.hash],
                    )?;
                    revoked += 1;
                }
            }
            signins::delete_user(&tx, &user)?;
            tx.commit()?;
            Ok(revoked)
        })
        .await
    }

    async fn put_signin(&self, signin: SignInRecord) -> Result<(), StoreError> {
        self.with(move |c| signins::put(c, &signin)).await
    }

    async fn signin(&self, id_hash: &str) -> Result<Option<SignInRecord>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.with(move |c| signins::get(c, &id_hash)).await
    }

    async fn delete_signin(&self, id_hash: &str) -> Result<bool, StoreError> {
        let id_hash = id_hash.to_owned();
        self.with(move |c| signins::delete(c, &id_hash)).await
    }

    async fn delete_signins(&self, user: &str) -> Result<u32, StoreError> {
        let user = user.to_owned();
        self.with(move |c| signins::delete_user(c, &user)).await
    }

    async fn save_session(&self, session: SessionRecord, ttl: Duration) -> Result<(), StoreError> {
        self.with(move |c| {
            let now = now_ms() as i64;
            c.prepare_cached(
                "INSERT OR REPLACE INTO sessions (id, updated_ms, expires_ms, record)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                session.id,
                now,
                now.saturating_add(ms(ttl)),
                encode(&session)
            ])?;
            Ok(())
        })
        .await
    }

    async fn load_session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            let text: Option<String> = c
                .prepare_cached("SELECT record FROM sessions WHERE id = ?1 AND expires_ms > ?2")?
                .query_row(params![id, now_ms() as i64], |r| r.get(0))
                .optional()?;
            text.map(|t| decode(&t)).transpose()
        })
        .await
    }

    async fn sessions(&self) -> Result<Vec<SessionSummary>, StoreError> {
        self.with(|c| {
            let now = now_ms() as i64;
            c.execute("DELETE FROM sessions WHERE expires_ms <= ?1", params![now])?;
            let mut stmt = c.prepare_cached(
                "SELECT record, expires_ms FROM sessions ORDER BY updated_ms DESC, id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(text, expires)| {
                    let s: SessionRecord = decode(&text)?;
                    Ok(crate::summary(&s, expires as u64))
                })
                .collect()
        })
        .await
    }

    async fn delete_session(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with(move |c| Ok(c.execute("DELETE FROM sessions WHERE id = ?1", params![id])? > 0))
            .await
    }

    async fn put_job(&self, job: JobRecord) -> Result<(), StoreError> {
        self.with(move |c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO jobs (id, created_ms, record) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![job.id, job.created_ms as i64, encode(&job)])?;
            Ok(())
        })
        .await
    }

    async fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            let text: Option<String> = c
                .prepare_cached("SELECT record FROM jobs WHERE id = ?1")?
                .query_row(params![id], |r| r.get(0))
                .optional()?;
            text.map(|t| decode(&t)).transpose()
        })
        .await
    }

    async fn jobs(&self, filter: JobFilter) -> Result<Vec<JobRecord>, StoreError> {
        let all: Vec<JobRecord> = self
            .with(|c| {
                let mut stmt =
                    c.prepare_cached("SELECT record FROM jobs ORDER BY created_ms DESC, id DESC")?;
                let rows = stmt
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                decode_all(rows)
            })
            .await?;
        Ok(crate::filter_jobs(all, &filter))
    }

    async fn append_job_event(&self, id: &str, event: serde_json::Value) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            c.prepare_cached(
                "INSERT INTO job_events (job_id, n, event)
                 VALUES (?1, (SELECT COALESCE(MAX(n), 0) + 1 FROM job_events WHERE job_id = ?1), ?2)",
            )?
            .execute(params![id, encode(&event)])?;
            Ok(())
        })
        .await
    }

    async fn job_events(&self, id: &str) -> Result<Vec<serde_json::Value>, StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT event FROM job_events WHERE job_id = ?1 ORDER BY n")?;
            let rows = stmt
                .query_map(params![id], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            decode_all(rows)
        })
        .await
    }

    async fn enqueue(&self, job_id: &str) -> Result<(), StoreError> {
        let job_id = job_id.to_owned();
        self.with(move |c| {
            c.prepare_cached("INSERT INTO queue (job_id) VALUES (?1)")?
                .execute(params![job_id])?;
            Ok(())
        })
        .await?;
        self.signal.notify.notify_waiters();
        Ok(())
    }

    async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claim>, StoreError> {
        let worker = worker.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = now_ms() as i64;
            let found: Option<(i64, String, u32)> = tx
                .query_row(
                    "SELECT seq, job_id, attempts FROM queue
                     WHERE worker IS NULL OR lease_until_ms <= ?1 ORDER BY seq LIMIT 1",
                    params![now],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((seq, job_id, attempts)) = found else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE queue SET worker = ?1, lease_until_ms = ?2, attempts = attempts + 1
                 WHERE seq = ?3",
                params![worker, now.saturating_add(ms(lease)), seq],
            )?;
            tx.commit()?;
            Ok(Some(Claim {
                job_id,
                delivery: seq.to_string(),
                worker,
                attempts: attempts + 1,
            }))
        })
        .await
    }

    async fn renew(&self, claim: &Claim, lease: Duration) -> Result<bool, StoreError> {
        let claim = claim.clone();
        self.with(move |c| {
            let now = now_ms() as i64;
            let changed = c.execute(
                "UPDATE queue SET lease_until_ms = ?1 WHERE seq = ?2 AND worker = ?3",
                params![now.saturating_add(ms(lease)), claim.delivery, claim.worker],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn ack(&self, claim: &Claim) -> Result<(), StoreError> {
        let delivery = claim.delivery.clone();
        self.with(move |c| {
            c.execute("DELETE FROM queue WHERE seq = ?1", params![delivery])?;
            Ok(())
        })
        .await
    }

    async fn queue_len(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    fn queue_signal(&self) -> QueueSignal {
        self.signal.watch();
        QueueSignal {
            notify: self.signal.notify.clone(),
            poll: SQLITE_QUEUE_POLL,
        }
    }

    async fn record_delivery(&self, id: &str, keep: Duration) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = now_ms() as i64;
            tx.execute(
                "DELETE FROM deliveries WHERE expires_ms <= ?1",
                params![now],
            )?;
            let added = tx.execute(
                "INSERT OR IGNORE INTO deliveries (id, expires_ms) VALUES (?1, ?2)",
                params![id, now.saturating_add(ms(keep))],
            )?;
            tx.commit()?;
            Ok(added == 1)
        })
        .await
    }

    async fn forget_delivery(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            c.execute("DELETE FROM deliveries WHERE id = ?1", params![id])?;
            Ok(())
        })
        .await
    }

    async fn set_env_owner(&self, name: &str, user: Option<String>) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.with(move |c| {
            match user {
                Some(user) => c.execute(
                    "INSERT OR REPLACE INTO env_owners (name, user) VALUES (?1, ?2)",
                    params![name, user],
                )?,
                None => c.execute("DELETE FROM env_owners WHERE name = ?1", params![name])?,
            };
            Ok(())
        })
        .await
    }

    async fn env_owners(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached("SELECT name, user FROM env_owners ORDER BY name")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn notify(&self, _channel: &str, _message: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

fn read_head(c: &Connection) -> Result<Option<(u64, String)>, Failure> {
    let text: Option<String> = c
        .query_row("SELECT value FROM meta WHERE key = 'audit_head'", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(text) = text else { return Ok(None) };
    let (seq, hash) = text
        .split_once(' ')
        .ok_or_else(|| Failure::Decode(format!("audit head `{text}`")))?;
    let seq = seq
        .parse()
        .map_err(|_| Failure::Decode(format!("audit head `{text}`")))?;
    Ok(Some((seq, hash.to_owned())))
}
