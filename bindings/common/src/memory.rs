//! [`MemoryHandle`]: Relay's memory for the bindings — the store (by URL), the acting user,
//! saved sessions, durable jobs (list, show, resume, cancel) and the audit log — as JSON text
//! and [`JobHandle`]s.

use std::sync::Arc;

use relay::core::store::{AuditFilter, JobFilter};
use relay::core::words::parse_duration;
use relay::{JobSpec, Relay, StoreChoice};
use serde::Deserialize;

use crate::tools::ToolsHandle;
use crate::workspace::Selection;
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

/// Which audit entries to read; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries from the last DURATION (`90s`, `30m`, `8h`, `7d`, `2w`), as `relay audit
    /// --since`.
    pub since: Option<String>,
    /// Only this user's entries (someone else's need the `team` permission).
    pub user: Option<String>,
    /// Only the newest N of them (still oldest first).
    pub limit: Option<u64>,
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

    /// The acting user: `{"user", "role", "permissions", "plan_permissions", "limits"}` —
    /// `permissions` are the tool registry's (`read`, ..., `team`, `admin`), `plan_permissions`
    /// the plan's names (`repository_write`, ...).
    pub fn whoami(&self) -> String {
        let caller = self.relay.caller();
        let permissions: Vec<String> = caller
            .role
            .permissions()
            .iter()
            .map(ToString::to_string)
            .collect();
        serde_json::json!({
            "user": caller.user,
            "role": caller.role,
            "permissions": permissions,
            "plan_permissions": caller.role.plan_permissions(),
            "limits": caller.limits,
        })
        .to_string()
    }

    /// Saved sessions (the caller's, or everyone's for team leads), most recent first.
    pub async fn sessions(&self) -> Result<String, BindingError> {
        Ok(to_json(&self.relay.sessions().await?))
    }

    /// One saved session with its turns and per-project context; a usage error when there is
    /// none by that name (never saved, expired or deleted).
    pub async fn session(&self, name: &str) -> Result<String, BindingError> {
        match self.relay.saved_session(name).await? {
            Some(record) => Ok(to_json(&record)),
            None => Err(BindingError::new(
                crate::ErrorKind::Usage,
                "unknown_session",
                format!(
                    "no saved session `{name}` (never saved, expired or deleted); sessions() lists them"
                ),
            )),
        }
    }

    /// Deletes a saved session before it expires; `false` when there was none.
    pub async fn delete_session(&self, name: &str) -> Result<bool, BindingError> {
        Ok(self.relay.delete_session(name).await?)
    }

    /// The tool registry as the acting user: restricted to their role, every call (denials
    /// included) appended to the audit log. With `session`, the conversation of a voice
    /// session started on these tools is saved under that name as it goes, and resumed (its
    /// history replayed) when it exists.
    pub async fn tools(&self, session: Option<String>) -> Result<ToolsHandle, BindingError> {
        let graph = self.relay.graph();
        match session {
            None => Ok(ToolsHandle::from_relay(self.relay.tools()?, graph, None)),
            Some(name) => {
                let memory = self.relay.session(&name).await?;
                let registry = self.relay.tools_for_session(Some(memory.id()))?;
                Ok(ToolsHandle::from_relay(
                    registry,
                    graph,
                    Some(Arc::new(memory)),
                ))
            }
        }
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

    /// Puts a sync of `selection` on the queue (as `relay sync --detach` would) for a worker or
    /// [`resume_job`](Self::resume_job); returns the job record (state `queued`).
    pub async fn enqueue_sync(&self, selection: Selection) -> Result<String, BindingError> {
        let spec = JobSpec::sync(&self.relay, &selection.into_core()?)?;
        Ok(to_json(&self.relay.enqueue_job(&spec).await?))
    }

    /// Finishes an interrupted (failed, queued) job in this process.
    pub async fn resume_job(&self, id: &str) -> Result<JobHandle, BindingError> {
        Ok(JobHandle::new(self.relay.resume_job(id).await?))
    }

    /// Cancels a job (a running one through its process); returns its record.
    pub async fn cancel_job(&self, id: &str) -> Result<String, BindingError> {
        Ok(to_json(&self.relay.cancel_job(id).await?))
    }

    /// Audit records matching `query`, oldest first. A caller without the `team` permission
    /// sees their own.
    pub async fn audit(&self, query: AuditQuery) -> Result<String, BindingError> {
        let since_ms = match &query.since {
            Some(text) => {
                let d =
                    parse_duration(text).map_err(|e| BindingError::usage(format!("since: {e}")))?;
                Some(relay::store::now_ms().saturating_sub(d.as_millis() as u64))
            }
            None => None,
        };
        let mut records = self
            .relay
            .audit(AuditFilter {
                since_ms,
                user: query.user,
            })
            .await?;
        if let Some(limit) = query.limit {
            let keep = usize::try_from(limit).unwrap_or(usize::MAX);
            records.drain(..records.len().saturating_sub(keep));
        }
        Ok(to_json(&records))
    }

    /// Verifies the audit chain: `{"status": "intact", "records"}` or `{"status": "broken",
    /// "seq", "problem"}` (the first entry changed, removed or moved). Needs the `team`
    /// permission.
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
        let me = v(ann.whoami());
        assert_eq!(
            (me["user"].as_str(), me["role"].as_str()),
            (Some("ann"), Some("developer"))
        );
        assert!(
            !me["permissions"]
                .as_array()
                .unwrap()
                .contains(&"team".into()),
            "{me}"
        );
        assert!(ann.store_url().starts_with("sqlite:") && ann.store_url().ends_with("relay.db"));
        assert_eq!(v(ann.jobs().await.unwrap()), serde_json::json!([]));
        assert_eq!(v(ann.sessions().await.unwrap()), serde_json::json!([]));
        let err = ann.session("s1").await.unwrap_err();
        assert_eq!(err.code, "unknown_session", "{err:?}");
        assert!(!ann.delete_session("s1").await.unwrap());
        let err = ann.verify_audit().await.unwrap_err();
        assert_eq!((err.kind.as_str(), err.code.as_str()), ("usage", "denied"));
        let root = MemoryHandle::open(options(&dir, "root")).await.unwrap();
        assert_eq!(v(root.verify_audit().await.unwrap())["status"], "intact");
        assert_eq!(
            v(root.audit(AuditQuery::default()).await.unwrap()),
            serde_json::json!([])
        );
        let err = root.job("nope").await.unwrap_err();
        assert!(err.message.contains("no job `nope`"), "{err:?}");
        let err = root
            .audit(AuditQuery {
                since: Some("yesterday".into()),
                ..AuditQuery::default()
            })
            .await
            .unwrap_err();
        assert!(
            err.message.contains("invalid duration `yesterday`"),
            "{err:?}"
        );

        let err = MemoryHandle::open(options(&dir, "mallory"))
            .await
            .unwrap_err();
        assert_eq!(err.code, "unauthenticated");
        let err = MemoryOptions::from_json(r#"{"stor": "x"}"#).unwrap_err();
        assert!(err.message.contains("unknown field `stor`"), "{err:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_queued_sync_is_resumed_and_a_conversation_saved() {
        let dir = workspace("");
        let memory = MemoryHandle::open(options(&dir, "ann")).await.unwrap();
        let queued = v(memory.enqueue_sync(Selection::default()).await.unwrap());
        assert_eq!(queued["state"], "queued", "{queued}");
        let id = queued["id"].as_str().unwrap().to_owned();
        let job = memory.resume_job(&id).await.unwrap();
        job.wait().await.unwrap();
        let shown = v(memory.job(&id).await.unwrap());
        assert_eq!(shown["job"]["state"], "succeeded", "{shown}");
        assert!(!shown["events"].as_array().unwrap().is_empty(), "{shown}");
        let err = memory.resume_job(&id).await.unwrap_err();
        assert!(
            err.message
                .contains("only an interrupted, failed or queued job"),
            "{err:?}"
        );

        let tools = memory.tools(Some("morning".into())).await.unwrap();
        let options = crate::VoiceOptions {
            transport: Some("text".into()),
            ..Default::default()
        };
        let voice = crate::VoiceHandle::start(&tools, options).await.unwrap();
        voice.send_text("status").unwrap();
        while !voice
            .next_events(64)
            .await
            .iter()
            .any(|e| matches!(e, relay::core::voice::VoiceEvent::AssistantText { .. }))
        {}
        voice.close();
        let saved = v(memory.session("morning").await.unwrap());
        let roles: Vec<&str> = saved["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["role"].as_str().unwrap())
            .collect();
        assert!(
            roles.starts_with(&["user"]) && roles.contains(&"assistant"),
            "{saved}"
        );
        assert!(memory.delete_session("morning").await.unwrap());
        assert_eq!(v(memory.sessions().await.unwrap()), serde_json::json!([]));
    }
}
