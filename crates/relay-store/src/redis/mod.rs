//! [`RedisStore`]: one Redis shared by several Relay processes on several hosts, with Redis's
//! own structures: a list for the audit log (appended by a compare-and-set script so the chain
//! holds across processes), a hash for tokens, string keys with a TTL for sessions (plus a sorted
//! set to list them) and sign-ins, a stream with a consumer group for the job queue (leases are the group's
//! pending entries; an expired one is taken over with `XAUTOCLAIM`), pub/sub for notifications.

mod bus;
mod queue;
mod scripts;
mod signins;
mod watch;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use relay_core::store::{
    AuditEntry, AuditFilter, AuditRecord, Claim, JobFilter, JobRecord, QueueSignal, SessionRecord,
    SessionSummary, SignInRecord, Store, StoreError, StoreUrl, TokenRecord,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{SCHEMA_VERSION, chain, now_ms};

/// Every key Relay writes starts with this.
const PREFIX: &str = "relay:";
const SCHEMA_KEY: &str = "relay:schema";
const AUDIT_KEY: &str = "relay:audit";
const AUDIT_HEAD_KEY: &str = "relay:audit:head";
const TOKENS_KEY: &str = "relay:tokens";
const SESSIONS_KEY: &str = "relay:sessions";
const JOBS_KEY: &str = "relay:jobs";
const ENV_OWNERS_KEY: &str = "relay:env_owners";
pub(super) const QUEUE_KEY: &str = "relay:queue";
pub(super) const QUEUE_GROUP: &str = "workers";

/// The store in a Redis server. See the [crate docs](crate).
#[derive(Clone)]
pub struct RedisStore {
    url: String,
    conn: MultiplexedConnection,
    client: redis::Client,
    /// Woken when a job is enqueued anywhere (see `watch`).
    enqueued: Arc<tokio::sync::Notify>,
    subscribed: Arc<OnceLock<()>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url)
            .finish()
    }
}

impl RedisStore {
    /// Connects to the server `url` names (a `redis://` URL) and migrates the schema forward.
    pub async fn open(url: &StoreUrl) -> Result<Self, StoreError> {
        Self::open_at_version(url, SCHEMA_VERSION).await
    }

    /// Connects, migrating only up to `version` (for migration tests).
    #[doc(hidden)]
    pub async fn open_at_version(url: &StoreUrl, version: u32) -> Result<Self, StoreError> {
        let StoreUrl::Redis(raw) = url else {
            return Err(StoreError::InvalidUrl {
                url: url.redacted(),
                reason: "a Redis store needs a redis:// URL".into(),
            });
        };
        let shown = url.redacted();
        let unavailable = |e: redis::RedisError| StoreError::Unavailable {
            url: shown.clone(),
            reason: crate::redact(&e.to_string(), raw),
        };
        let client = redis::Client::open(raw.as_str()).map_err(unavailable)?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(30)));
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(unavailable)?;
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let store = RedisStore {
            url: shown,
            conn,
            client,
            enqueued: Arc::new(tokio::sync::Notify::new()),
            subscribed: Arc::new(OnceLock::new()),
        };
        store.migrate(version).await?;
        Ok(store)
    }

    async fn migrate(&self, target: u32) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let found: Option<u32> = conn.get(SCHEMA_KEY).await.map_err(|e| self.err(e))?;
        let found = found.unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                url: self.url.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        for v in found..target {
            if v == 1 {
                // 2: the job queue's consumer group (sessions and jobs need no setup).
                queue::create_group(&mut conn)
                    .await
                    .map_err(|e| self.err(e))?;
            }
            // SET only moves forward, so two processes migrating at once agree.
            let _: () = scripts::set_max()
                .key(SCHEMA_KEY)
                .arg(v + 1)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| self.err(e))?;
            tracing::info!(from = v, to = v + 1, "store schema migrated");
        }
        Ok(())
    }

    fn err(&self, e: redis::RedisError) -> StoreError {
        StoreError::Backend {
            url: self.url.clone(),
            reason: e.to_string(),
        }
    }

    fn decode<T: DeserializeOwned>(&self, text: &str) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
            url: self.url.clone(),
            reason: format!("{e} in {text:.200}"),
        })
    }

    fn conn(&self) -> MultiplexedConnection {
        self.conn.clone()
    }

    /// The JSON record at `key`, decoded; `None` when the key does not exist.
    async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let text: Option<String> = self.conn().get(key).await.map_err(|e| self.err(e))?;
        text.map(|t| self.decode(&t)).transpose()
    }
}

fn encode<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn session_key(id: &str) -> String {
    format!("{PREFIX}session:{id}")
}

fn job_key(id: &str) -> String {
    format!("{PREFIX}job:{id}")
}

fn delivery_key(id: &str) -> String {
    format!("{PREFIX}delivery:{id}")
}

fn job_events_key(id: &str) -> String {
    format!("{PREFIX}job:{id}:events")
}

#[async_trait]
impl Store for RedisStore {
    fn url(&self) -> String {
        self.url.clone()
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        let v: Option<u32> = self.conn().get(SCHEMA_KEY).await.map_err(|e| self.err(e))?;
        Ok(v.unwrap_or(0))
    }

    async fn append_audit(&self, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
        let mut conn = self.conn();
        // Compare-and-set on the head: another process appending in between makes us retry
        // on the new head, so the chain never forks.
        loop {
            let head = self.audit_head().await?;
            let expected = head
                .as_ref()
                .map(|(seq, hash)| format!("{seq} {hash}"))
                .unwrap_or_default();
            let record = chain::next_record(head, entry.clone());
            let appended: i64 = scripts::append_audit()
                .key(AUDIT_KEY)
                .key(AUDIT_HEAD_KEY)
                .arg(expected)
                .arg(format!("{} {}", record.seq, record.hash))
                .arg(encode(&record))
                .invoke_async(&mut conn)
                .await
                .map_err(|e| self.err(e))?;
            if appended == 1 {
                return Ok(record);
            }
        }
    }

    async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let texts: Vec<String> = self
            .conn()
            .lrange(AUDIT_KEY, 0, -1)
            .await
            .map_err(|e| self.err(e))?;
        let mut records = Vec::with_capacity(texts.len());
        for text in texts {
            let record: AuditRecord = self.decode(&text)?;
            if filter.since_ms.is_some_and(|s| record.entry.at_ms < s)
                || filter
                    .user
                    .as_ref()
                    .is_some_and(|u| &record.entry.user != u)
            {
                continue;
            }
            records.push(record);
        }
        Ok(records)
    }

    async fn audit_head(&self) -> Result<Option<(u64, String)>, StoreError> {
        let text: Option<String> = self
            .conn()
            .get(AUDIT_HEAD_KEY)
            .await
            .map_err(|e| self.err(e))?;
        let Some(text) = text else { return Ok(None) };
        let parsed = text
            .split_once(' ')
            .and_then(|(seq, hash)| Some((seq.parse().ok()?, hash.to_owned())));
        parsed.map(Some).ok_or_else(|| StoreError::Corrupt {
            url: self.url.clone(),
            reason: format!("audit head `{text}`"),
        })
    }

    async fn put_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        let _: () = self
            .conn()
            .hset(TOKENS_KEY, &token.hash, encode(&token))
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let text: Option<String> = self
            .conn()
            .hget(TOKENS_KEY, hash)
            .await
            .map_err(|e| self.err(e))?;
        text.map(|t| self.decode(&t)).transpose()
    }

    async fn tokens(&self, user: Option<String>) -> Result<Vec<TokenRecord>, StoreError> {
        let texts: Vec<String> = self
            .conn()
            .hvals(TOKENS_KEY)
            .await
            .map_err(|e| self.err(e))?;
        let mut tokens = texts
            .iter()
            .map(|t| self.decode::<TokenRecord>(t))
            .collect::<Result<Vec<_>, _>>()?;
        tokens.retain(|t| user.as_ref().is_none_or(|u| &t.user == u));
        tokens.sort_by(|a, b| (a.created_ms, &a.hash).cmp(&(b.created_ms, &b.hash)));
        Ok(tokens)
    }

    async fn revoke_tokens(&self, user: &str) -> Result<u32, StoreError> {
        let mut revoked = 0;
        for mut token in self.tokens(Some(user.to_owned())).await? {
            if token.revoked_ms.is_none() {
                token.revoked_ms = Some(now_ms());
                self.put_token(token).await?;
                revoked += 1;
            }
        }
        self.delete_user_signins(user).await?;
        Ok(revoked)
    }

    async fn put_signin(&self, signin: SignInRecord) -> Result<(), StoreError> {
        self.put_signin_record(signin).await
    }

    async fn signin(&self, id_hash: &str) -> Result<Option<SignInRecord>, StoreError> {
        self.signin_record(id_hash).await
    }

    async fn delete_signin(&self, id_hash: &str) -> Result<bool, StoreError> {
        self.delete_signin_record(id_hash).await
    }

    async fn delete_signins(&self, user: &str) -> Result<u32, StoreError> {
        self.delete_user_signins(user).await
    }

    async fn save_session(&self, session: SessionRecord, ttl: Duration) -> Result<(), StoreError> {
        let ttl_ms = ttl.as_millis().clamp(1, u64::MAX as u128) as u64;
        let expires = now_ms().saturating_add(ttl_ms);
        let _: () = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(session_key(&session.id))
            .arg(encode(&session))
            .arg("PX")
            .arg(ttl_ms)
            .ignore()
            .zadd(SESSIONS_KEY, &session.id, expires)
            .ignore()
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn load_session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.get_json(&session_key(id)).await
    }

    async fn sessions(&self) -> Result<Vec<SessionSummary>, StoreError> {
        let mut conn = self.conn();
        // Forget index entries whose keys Redis expired.
        let _: () = conn
            .zrembyscore(SESSIONS_KEY, "-inf", now_ms())
            .await
            .map_err(|e| self.err(e))?;
        let ids: Vec<(String, u64)> = conn
            .zrange_withscores(SESSIONS_KEY, 0, -1)
            .await
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for (id, expires) in ids {
            if let Some(session) = self.load_session(&id).await? {
                out.push(crate::summary(&session, expires));
            }
        }
        out.sort_by(|a, b| b.updated_ms.cmp(&a.updated_ms).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn delete_session(&self, id: &str) -> Result<bool, StoreError> {
        let (deleted, _): (u32, u32) = redis::pipe()
            .atomic()
            .del(session_key(id))
            .zrem(SESSIONS_KEY, id)
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))?;
        Ok(deleted > 0)
    }

    async fn put_job(&self, job: JobRecord) -> Result<(), StoreError> {
        let _: () = redis::pipe()
            .atomic()
            .set(job_key(&job.id), encode(&job))
            .ignore()
            .zadd(JOBS_KEY, &job.id, job.created_ms)
            .ignore()
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))?;
        self.notify("jobs", &job.id).await
    }

    async fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        self.get_json(&job_key(id)).await
    }

    async fn jobs(&self, filter: JobFilter) -> Result<Vec<JobRecord>, StoreError> {
        let ids: Vec<String> = self
            .conn()
            .zrevrange(JOBS_KEY, 0, -1)
            .await
            .map_err(|e| self.err(e))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| job_key(id)).collect();
        let texts: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))?;
        let mut all = Vec::new();
        for text in texts.into_iter().flatten() {
            all.push(self.decode::<JobRecord>(&text)?);
        }
        // Same creation millisecond: newest id first, as SQLite orders them.
        all.sort_by(|a, b| (b.created_ms, &b.id).cmp(&(a.created_ms, &a.id)));
        Ok(crate::filter_jobs(all, &filter))
    }

    async fn append_job_event(&self, id: &str, event: serde_json::Value) -> Result<(), StoreError> {
        let _: () = self
            .conn()
            .rpush(job_events_key(id), encode(&event))
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn job_events(&self, id: &str) -> Result<Vec<serde_json::Value>, StoreError> {
        let texts: Vec<String> = self
            .conn()
            .lrange(job_events_key(id), 0, -1)
            .await
            .map_err(|e| self.err(e))?;
        texts.iter().map(|t| self.decode(t)).collect()
    }

    async fn enqueue(&self, job_id: &str) -> Result<(), StoreError> {
        queue::enqueue(&mut self.conn(), job_id)
            .await
            .map_err(|e| self.err(e))
    }

    fn queue_signal(&self) -> QueueSignal {
        watch::signal(&self.client, &self.enqueued, &self.subscribed)
    }

    async fn record_delivery(&self, id: &str, keep: Duration) -> Result<bool, StoreError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(delivery_key(id))
            .arg(now_ms())
            .arg("NX")
            .arg("PX")
            .arg(keep.as_millis().max(1) as u64)
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))?;
        Ok(set.is_some())
    }

    async fn forget_delivery(&self, id: &str) -> Result<(), StoreError> {
        let _: i64 = self
            .conn()
            .del(delivery_key(id))
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claim>, StoreError> {
        queue::claim(&mut self.conn(), worker, lease)
            .await
            .map_err(|e| self.err(e))
    }

    async fn renew(&self, claim: &Claim, lease: Duration) -> Result<bool, StoreError> {
        queue::renew(&mut self.conn(), claim, lease)
            .await
            .map_err(|e| self.err(e))
    }

    async fn ack(&self, claim: &Claim) -> Result<(), StoreError> {
        queue::ack(&mut self.conn(), claim)
            .await
            .map_err(|e| self.err(e))
    }

    async fn queue_len(&self) -> Result<u64, StoreError> {
        redis::cmd("XLEN")
            .arg(QUEUE_KEY)
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))
    }

    async fn set_env_owner(&self, name: &str, user: Option<String>) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let done: redis::RedisResult<()> = match user {
            Some(user) => conn.hset(ENV_OWNERS_KEY, name, user).await,
            None => conn.hdel(ENV_OWNERS_KEY, name).await,
        };
        done.map_err(|e| self.err(e))
    }

    async fn env_owners(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut owners: Vec<(String, String)> = self
            .conn()
            .hgetall(ENV_OWNERS_KEY)
            .await
            .map_err(|e| self.err(e))?;
        owners.sort();
        Ok(owners)
    }

    async fn notify(&self, channel: &str, message: &str) -> Result<(), StoreError> {
        let _: i64 = self
            .conn()
            .publish(format!("{PREFIX}{channel}"), message)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn room_bus(&self) -> Option<Arc<dyn relay_core::store::RoomBus>> {
        Some(Arc::new(self.clone()))
    }
}
