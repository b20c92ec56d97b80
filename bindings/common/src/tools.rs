//! [`ToolsHandle`]: Relay's tool registry as the bindings expose it, so that an application with
//! its own voice loop (a Node WebSocket server, a mobile app) can advertise Relay's tools to its
//! model and delegate the calls.

use std::sync::Arc;

use relay_core::EventKind;
use relay_core::agent::PermissionPolicy;
use relay_core::tools::{
    Permission, PrimaryProject, SessionContext, ToolContext, ToolOutput, ToolProgressSink,
    ToolRegistry, ToolSpec,
};
use relay_core::{Job, JobFailure};
use relay_voice::protocol::FunctionTool;
use tokio::sync::mpsc;

use crate::agent::AgentRunRequest;
use crate::environments::EnvironmentsHandle;
use crate::error::BindingError;
use crate::job::JobHandle;
use crate::workspace::WorkspaceHandle;

/// What the registry offers. Each group of tools is there when its part is given.
#[derive(Clone, Default)]
pub struct ToolsOptions {
    /// Repository tools (status, switch project, impact, sync, branch, commit) over this
    /// workspace; also the repositories the agent tool works in.
    pub workspace: Option<WorkspaceHandle>,
    /// The agent tool (`run_agent_task`), running with these defaults (the prompt is ignored:
    /// the model gives the task). Needs `workspace`.
    pub agent: Option<AgentRunRequest>,
    /// Answers the agent's permission requests (without one, tools outside `allowed_tools`
    /// are denied).
    pub policy: Option<Arc<dyn PermissionPolicy>>,
    /// Environment tools (`env_up`, `env_status`, `env_exec`, ...) over this provider.
    pub environments: Option<EnvironmentsHandle>,
    /// Permissions granted to callers: `read`, `session`, `write_repos`, `run_agent`,
    /// `manage_infra`. `None` grants all; a tool needing one not granted answers with an error
    /// the model can relay.
    pub permissions: Option<Vec<String>>,
}

/// A tool registry with its session context (the primary project chosen by `switch_project`).
#[derive(Clone)]
pub struct ToolsHandle {
    registry: Arc<ToolRegistry>,
    session: Arc<SessionContext>,
}

impl ToolsHandle {
    /// Builds the registry `options` describe.
    pub fn new(options: ToolsOptions) -> Result<Self, BindingError> {
        let mut registry = ToolRegistry::new();
        if let Some(workspace) = &options.workspace {
            registry = registry.with_repo_tools(workspace.repo_graph());
        }
        if let Some(request) = &options.agent {
            let workspace = options.workspace.as_ref().ok_or_else(|| {
                BindingError::usage(
                    "the agent tool works in a workspace's repositories: pass `workspace` too",
                )
            })?;
            let agent = request.agent(options.policy.clone())?;
            registry = registry.with_agent_tools(
                workspace.repo_graph(),
                agent.as_dyn(),
                request.template()?,
            );
        }
        if let Some(environments) = &options.environments {
            registry = registry.with_env_tools(environments.provider());
        }
        if let Some(names) = &options.permissions {
            registry = registry.with_permissions(parse_permissions(names)?);
        }
        Ok(Self {
            registry: Arc::new(registry),
            session: SessionContext::new(),
        })
    }

    /// The registry (for a voice session).
    pub fn registry(&self) -> Arc<ToolRegistry> {
        self.registry.clone()
    }

    /// The session context the tools share.
    pub fn session(&self) -> Arc<SessionContext> {
        self.session.clone()
    }

    /// Every tool's spec (name, description, JSON-Schema parameters, permission,
    /// long_running, timeout_ms), sorted by name.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.registry.specs()
    }

    /// The tools in the OpenAI Realtime `session.tools` format
    /// (`[{type: "function", name, description, parameters}]`).
    pub fn realtime_tools(&self) -> Vec<FunctionTool> {
        self.registry
            .specs()
            .iter()
            .map(FunctionTool::from)
            .collect()
    }

    /// The primary project chosen with `switch_project`, if any.
    pub fn primary_project(&self) -> Option<PrimaryProject> {
        self.session.primary()
    }

    /// Calls tool `name` with `arguments` (JSON text, as the model sent it). The job's events
    /// are the tool's progress; its result is `{ok, value}` — bad arguments, unknown tools and
    /// failures are `ok: false` with an `error` and a `hint` the model can act on, never an
    /// exception. Cancelling the job stops the tool (an agent run's processes are killed).
    /// Must run inside a tokio runtime.
    pub fn invoke(&self, name: &str, arguments: &str) -> JobHandle {
        let registry = self.registry.clone();
        let session = self.session.clone();
        let (name, arguments) = (name.to_string(), arguments.to_string());
        let job: Job<ToolOutput, BindingError> =
            Job::spawn(format!("tool {name}"), move |ctx| async move {
                let (tx, mut progress) = mpsc::unbounded_channel();
                let tool_ctx = ToolContext {
                    session,
                    progress: ToolProgressSink::new(tx),
                };
                let call = registry.invoke(&name, &arguments, tool_ctx);
                tokio::pin!(call);
                let mut reports = 0u64;
                loop {
                    tokio::select! {
                        output = &mut call => {
                            while let Ok(p) = progress.try_recv() {
                                reports += 1;
                                ctx.emit(progress_event(p, reports)).await;
                            }
                            return Ok(output);
                        }
                        Some(p) = progress.recv() => {
                            reports += 1;
                            ctx.emit(progress_event(p, reports)).await;
                        }
                        _ = ctx.cancelled() => return Err(JobFailure::Cancelled.into()),
                    }
                }
            });
        JobHandle::new(job)
    }
}

fn progress_event(p: relay_core::tools::ToolProgress, reports: u64) -> EventKind {
    EventKind::Progress {
        done: p.done.unwrap_or(reports),
        total: p.total,
        repo: p.repo,
        message: p.message,
    }
}

fn parse_permissions(names: &[String]) -> Result<Vec<Permission>, BindingError> {
    names
        .iter()
        .map(|name| {
            serde_json::from_value(serde_json::Value::from(name.as_str())).map_err(|_| {
                BindingError::usage(format!(
                    "unknown permission `{name}`; use read, session, write_repos, run_agent or \
                     manage_infra"
                ))
            })
        })
        .collect()
}

impl std::fmt::Debug for ToolsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolsHandle")
            .field("registry", &self.registry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::EnvironmentsOptions;
    use crate::test_support::workspace;

    fn tools(dir: &tempfile::TempDir, permissions: Option<Vec<String>>) -> ToolsHandle {
        let ws = WorkspaceHandle::open(Some(dir.path().to_str().unwrap())).unwrap();
        let environments = EnvironmentsHandle::open(EnvironmentsOptions {
            provider: Some("local".into()),
            workspace: Some(ws.clone()),
            local_root: Some(dir.path().join("envs").display().to_string()),
        })
        .unwrap();
        ToolsHandle::new(ToolsOptions {
            workspace: Some(ws),
            agent: Some(AgentRunRequest {
                agent: Some("shell".into()),
                ..AgentRunRequest::default()
            }),
            policy: None,
            environments: Some(environments),
            permissions,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn every_group_is_registered_and_advertised_in_realtime_format() {
        let dir = workspace();
        let tools = tools(&dir, None);
        let names: Vec<String> = tools.specs().into_iter().map(|s| s.name).collect();
        for expected in ["project_status", "run_agent_task", "env_up", "env_exec"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        let realtime = serde_json::to_value(tools.realtime_tools()).unwrap();
        assert_eq!(realtime[0]["type"], "function");
        assert!(realtime[0]["parameters"].is_object());
    }

    #[tokio::test]
    async fn invoke_runs_the_agent_tool_and_streams_its_progress() {
        let dir = workspace();
        let job = tools(&dir, None).invoke(
            "run_agent_task",
            r#"{"task": "touch from-voice.txt", "repos": ["app"]}"#,
        );
        let mut messages = Vec::new();
        loop {
            let batch = job.next_batch(64).await;
            if batch.is_empty() {
                break;
            }
            for event in batch {
                if let EventKind::Progress { message, .. } = event.kind {
                    messages.push(message);
                }
            }
        }
        assert!(messages.iter().any(|m| m.contains("app")), "{messages:?}");
        let output = job.wait().await.unwrap();
        assert_eq!(output["ok"], true, "{output}");
        assert!(dir.path().join("app/from-voice.txt").exists());
        assert!(!dir.path().join("api/from-voice.txt").exists());
    }

    #[tokio::test]
    async fn bad_calls_are_readable_outputs_and_permissions_are_enforced() {
        let dir = workspace();
        let output = tools(&dir, None)
            .invoke("env_up", r#"{"nme": "dev"}"#)
            .wait()
            .await
            .unwrap();
        assert_eq!(output["ok"], false);
        assert!(output["value"]["hint"].is_string(), "{output}");

        let read_only = tools(&dir, Some(vec!["read".into()]));
        let output = read_only
            .invoke("run_agent_task", r#"{"task": "touch x"}"#)
            .wait()
            .await
            .unwrap();
        assert_eq!(output["ok"], false);
        assert!(!dir.path().join("api/x").exists());

        let ws = WorkspaceHandle::open(Some(dir.path().to_str().unwrap())).unwrap();
        let err = ToolsHandle::new(ToolsOptions {
            workspace: Some(ws),
            permissions: Some(vec!["root".into()]),
            ..ToolsOptions::default()
        })
        .unwrap_err();
        assert!(
            err.message.contains("unknown permission `root`"),
            "{}",
            err.message
        );
        let err = ToolsHandle::new(ToolsOptions {
            agent: Some(AgentRunRequest::default()),
            ..ToolsOptions::default()
        })
        .unwrap_err();
        assert!(err.message.contains("pass `workspace`"), "{}", err.message);
    }
}
