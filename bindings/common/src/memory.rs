//! [`MemoryHandle`]: Relay's memory for the bindings — the store (by URL), the acting user,
//! saved sessions, durable jobs (list, show, resume, cancel) and the audit log — as JSON text
//! and [`JobHandle`]s.

use std::sync::Arc;

use relay::core::store::{AuditFilter, JobFilter};
use relay::{Relay, StoreChoice};
use serde::Deserialize;

use crate::{BindingError, JobHandle, to_json};

/// How to open Relay's memory (JSON object; every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryOptions {
    /// The workspace (a directory with relay.yaml, or the file); default: discovered from ".".
    pub workspace: Option<String>,
    /// `sqlite:PATH` or `redis://HOST:PORT/DB`; default: RELAY_STORE_URL, relay.yaml's
    /// `store.url`, else `<workspace>/.relay/relay.db`.
    pub store: Option<String>,
    /// Act as this user (default: RELAY_USER, else the OS user).
    pub user: Option<String>,
    /// Act as whoever this token belongs to (instead of `user`).
    pub token: Option<String>,
}

impl MemoryOptions {
    /// Parses the options object (`""` or `"{}"` for the defaults).
    pub fn from_json(text: &str) -> Result<Self, BindingError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(text)
            .map_err(|e| BindingError::usage(format!("invalid memory options: {e}")))
    }
}

/// Relay opened with its store and the acting user.
#[derive(Clone)]
pub struct MemoryHandle {
    relay: Arc<Relay>,
}

impl std::fmt::Debug for MemoryHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryHandle")
            .field("caller", self.relay.caller())
            .finish()
    }
}

impl MemoryHandle {
    /// Opens the workspace, the store and identifies the caller; an unreachable store, a wrong
    /// token or a user outside the team is an error.
    pub async fn open(options: MemoryOptions) -> Result<Self, BindingError> {
        let mut builder = Relay::builder();
        builder = match &options.workspace {
            Some(path) => builder.workspace(path),
            None => builder.discover_workspace("."),
        };
        builder = builder.store(match &options.store {
            Some(url) => StoreChoice::url(url)?,
            None => StoreChoice::Configured,
        });
        if let Some(token) = options.token {
            builder = builder.token(token);
        } else if let Some(user) = options.user {
            builder = builder.user(user);
        }
        Ok(Self {
            relay: Arc::new(builder.build().await?),
        })
    }

    /// The store's URL (password redacted).
    pub fn store_url(&self) -> String {
        self.relay.store().map(|s| s.url()).unwrap_or_default()
    }

    /// The acting user: `{"user", "role", "limits"}`.
    pub fn caller(&self) -> String {
        to_json(self.relay.caller())
    }

    /// Saved sessions (the caller's, or everyone's for team leads), most recent first.
    pub async fn sessions(&self) -> Result<String, BindingError> {
        Ok(to_json(&self.relay.sessions().await?))
    }

    /// One saved session with its turns and per-project context.
    pub async fn session(&self, name: &str) -> Result<String, BindingError> {
        Ok(to_json(&self.relay.session(name).await?.record()))
    }

    /// Durable jobs, newest first (interrupted ones marked).
    pub async fn jobs(&self) -> Result<String, BindingError> {
        Ok(to_json(&self.relay.jobs(JobFilter::default()).await?))
    }

    /// One job with its recorded events: `{"job", "events"}`.
    pub async fn job(&self, id: &str) -> Result<String, BindingError> {
        let job = self.relay.job(id).await?;
        let events = self.relay.job_events(id).await?;
        Ok(serde_json::json!({"job": job, "events": events}).to_string())
    }

    /// Finishes an interrupted (failed, queued) job in this process.
    pub async fn resume_job(&self, id: &str) -> Result<JobHandle, BindingError> {
        Ok(JobHandle::new(self.relay.resume_job(id).await?))
    }

    /// Cancels a job (a running one through its process).
    pub async fn cancel_job(&self, id: &str) -> Result<String, BindingError> {
        Ok(to_json(&self.relay.cancel_job(id).await?))
    }

    /// Audit records since `since_ms` (and of `user`), oldest first.
    pub async fn audit(
        &self,
        since_ms: Option<u64>,
        user: Option<String>,
    ) -> Result<String, BindingError> {
        Ok(to_json(
            &self.relay.audit(AuditFilter { since_ms, user }).await?,
        ))
    }

    /// Verifies the audit chain: `{"status": "intact", "records"}` or `{"status": "broken",
    /// "seq", "problem"}`.
    pub async fn verify_audit(&self) -> Result<String, BindingError> {
        Ok(to_json(&self.relay.verify_audit().await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(team: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        relay_testkit::git::write_workspace(dir.path(), &[("api", &[])]);
        let file = dir.path().join("relay.yaml");
        let yaml = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{yaml}{team}")).unwrap();
        dir
    }

    fn options(dir: &tempfile::TempDir, user: &str) -> MemoryOptions {
        MemoryOptions::from_json(&format!(
            r#"{{"workspace": "{}", "user": "{user}"}}"#,
            dir.path().display()
        ))
        .unwrap()
    }

    fn v(text: String) -> serde_json::Value {
        serde_json::from_str(&text).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_memory_as_json_for_the_bindings() {
        let dir = workspace(
            "team:\n  - user: ann\n    role: developer\n  - user: root\n    role: admin\n",
        );
        let ann = MemoryHandle::open(options(&dir, "ann")).await.unwrap();
        assert_eq!(v(ann.caller())["role"], "developer");
        assert!(ann.store_url().starts_with("sqlite:") && ann.store_url().ends_with("relay.db"));
        assert_eq!(v(ann.jobs().await.unwrap()), serde_json::json!([]));
        assert_eq!(v(ann.sessions().await.unwrap()), serde_json::json!([]));
        assert_eq!(v(ann.session("s1").await.unwrap())["user"], "ann");
        let err = ann.verify_audit().await.unwrap_err();
        assert_eq!((err.kind.as_str(), err.code.as_str()), ("usage", "denied"));
        let root = MemoryHandle::open(options(&dir, "root")).await.unwrap();
        assert_eq!(v(root.verify_audit().await.unwrap())["status"], "intact");
        assert_eq!(
            v(root.audit(None, None).await.unwrap()),
            serde_json::json!([])
        );
        let err = root.job("nope").await.unwrap_err();
        assert!(err.message.contains("no job `nope`"), "{err:?}");

        let err = MemoryHandle::open(options(&dir, "mallory"))
            .await
            .unwrap_err();
        assert_eq!(err.code, "unauthenticated");
        let err = MemoryOptions::from_json(r#"{"stor": "x"}"#).unwrap_err();
        assert!(err.message.contains("unknown field `stor`"), "{err:?}");
    }
}
