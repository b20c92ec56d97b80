//! [`ToolsHandle`]: Relay's tool registry as the bindings expose it, so that an application with
//! its own voice loop (a Node WebSocket server, a mobile app) can advertise Relay's tools to its
//! model and delegate the calls.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use relay::core::EventKind;
use relay::core::agent::PermissionPolicy;
use relay::core::tools::{
    PrimaryProject, SessionContext, ToolOutput, ToolRegistry, ToolSpec, ToolUpdate,
};
use relay::core::{Job, JobFailure, RepoGraph};
use relay::voice::protocol::FunctionTool;
use relay::{SessionMemory, ToolsBuilder, parse_permission};

use crate::agent::AgentRunRequest;
use crate::environments::EnvironmentsHandle;
use crate::error::BindingError;
use crate::host_tool::{HostTool, HostToolSpec, ToolCallback};
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
/// Clones share both.
#[derive(Clone)]
pub struct ToolsHandle {
    // Behind a lock so host tools can be added after construction; each session and call takes
    // a snapshot (a map of `Arc`s, cheap to clone).
    registry: Arc<Mutex<ToolRegistry>>,
    session: Arc<SessionContext>,
    graph: Option<Arc<dyn RepoGraph>>,
    // The saved conversation a voice session on these tools records (see `MemoryHandle::tools`).
    memory: Option<Arc<SessionMemory>>,
}

impl ToolsHandle {
    /// Builds the registry `options` describe, through [`relay::ToolsBuilder`].
    pub fn new(options: ToolsOptions) -> Result<Self, BindingError> {
        let mut tools = ToolsBuilder::new();
        if let Some(workspace) = &options.workspace {
            tools = tools.repos(workspace.repo_graph());
        }
        if let Some(request) = &options.agent {
            tools = tools.agent(request.config(options.policy.clone())?);
        }
        if let Some(environments) = &options.environments {
            tools = tools.environments(environments.provider());
        }
        if let Some(names) = &options.permissions {
            let granted: Result<Vec<_>, _> = names.iter().map(|n| parse_permission(n)).collect();
            tools = tools.permissions(granted?);
        }
        Ok(Self {
            registry: Arc::new(Mutex::new(tools.build()?)),
            session: SessionContext::new(),
            graph: options.workspace.as_ref().map(WorkspaceHandle::repo_graph),
            memory: None,
        })
    }

    /// The registry the facade built for a caller ([`relay::Relay::tools`]), with the saved
    /// session whose context the tools share, if any.
    pub(crate) fn from_relay(
        registry: ToolRegistry,
        graph: Option<Arc<dyn RepoGraph>>,
        memory: Option<Arc<SessionMemory>>,
    ) -> Self {
        Self {
            registry: Arc::new(Mutex::new(registry)),
            session: memory
                .as_ref()
                .map_or_else(SessionContext::new, |m| m.context()),
            graph,
            memory,
        }
    }

    /// The saved session a voice session on these tools records into, if any.
    pub(crate) fn memory(&self) -> Option<Arc<SessionMemory>> {
        self.memory.clone()
    }

    /// Adds a tool written in the host language. Its name must not be taken (Relay's tools
    /// keep their names). Sessions started earlier keep the tools they started with.
    pub fn register(
        &self,
        spec: HostToolSpec,
        callback: Arc<dyn ToolCallback>,
    ) -> Result<(), BindingError> {
        let spec = spec.into_spec()?;
        let mut registry = self.lock();
        if registry.spec(&spec.name).is_some() {
            return Err(BindingError::usage(format!(
                "a tool named `{}` is already registered; choose another name",
                spec.name
            )));
        }
        registry.register(Arc::new(HostTool::new(spec, callback)));
        Ok(())
    }

    /// Puts approval questions to `approver` from now on.
    pub fn set_approver(&self, approver: Arc<dyn relay::core::approval::Approver>) {
        let mut registry = self.lock();
        *registry = registry.clone().with_approver(approver);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ToolRegistry> {
        // A panic while holding the lock cannot leave the map half-updated: use it as it is.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A snapshot of the registry (for a voice session).
    pub fn registry(&self) -> Arc<ToolRegistry> {
        Arc::new(self.lock().clone())
    }

    /// The workspace's repositories, when the registry has them.
    pub fn graph(&self) -> Option<Arc<dyn RepoGraph>> {
        self.graph.clone()
    }

    /// The session context the tools share.
    pub fn session(&self) -> Arc<SessionContext> {
        self.session.clone()
    }

    /// Every tool's spec (name, description, JSON-Schema parameters, permission,
    /// long_running, timeout_ms), sorted by name.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.lock().specs()
    }

    /// The tools in the OpenAI Realtime `session.tools` format
    /// (`[{type: "function", name, description, parameters}]`).
    pub fn realtime_tools(&self) -> Vec<FunctionTool> {
        self.specs().iter().map(FunctionTool::from).collect()
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
        let registry = self.registry();
        let session = self.session.clone();
        let (name, arguments) = (name.to_string(), arguments.to_string());
        let job: Job<ToolOutput, BindingError> = Job::spawn(
            format!("tool {name}"),
            move |ctx| async move {
                let mut updates = registry.invoke_with_updates(&name, &arguments, session);
                let mut reports = 0u64;
                loop {
                    tokio::select! {
                        update = updates.next() => match update {
                            Some(ToolUpdate::Progress(p)) => {
                                reports += 1;
                                ctx.emit(progress_event(p, reports)).await;
                            }
                            Some(ToolUpdate::Finished(output)) => return Ok(output),
                            // The stream always ends with Finished; this is never read.
                            None => return Ok(ToolOutput::error("the tool call ended without an output")),
                        },
                        _ = ctx.cancelled() => return Err(JobFailure::Cancelled.into()),
                    }
                }
            },
        );
        JobHandle::new(job)
    }
}

fn progress_event(mut p: relay::core::Progress, reports: u64) -> EventKind {
    p.done = p.done.or(Some(reports));
    EventKind::Progress(p)
}

impl std::fmt::Debug for ToolsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolsHandle")
            .field("registry", &*self.lock())
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
                if let EventKind::Progress(relay::core::Progress { message, .. }) = event.kind {
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

    struct Weather;
    #[async_trait::async_trait]
    impl ToolCallback for Weather {
        async fn call(&self, arguments_json: String) -> Result<String, String> {
            let args: serde_json::Value = serde_json::from_str(&arguments_json).unwrap();
            match args["city"].as_str() {
                Some("Atlantis") => Err("ValueError: no such city".into()),
                Some(city) => Ok(format!(r#"{{"city": "{city}", "sky": "clear"}}"#)),
                None => Ok("no city".into()),
            }
        }
    }

    fn weather_spec() -> HostToolSpec {
        HostToolSpec {
            name: "weather".into(),
            description: "The weather in a city.".into(),
            parameters_json: Some(
                r#"{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"#
                    .into(),
            ),
            ..HostToolSpec::default()
        }
    }

    #[tokio::test]
    async fn host_tools_are_validated_advertised_and_called() {
        let dir = workspace();
        let tools = tools(&dir, None);
        tools.register(weather_spec(), Arc::new(Weather)).unwrap();
        assert!(tools.specs().iter().any(|s| s.name == "weather"));

        let ok = tools
            .invoke("weather", r#"{"city": "Oslo"}"#)
            .wait()
            .await
            .unwrap();
        assert_eq!(
            ok,
            serde_json::json!({"ok": true, "value": {"city": "Oslo", "sky": "clear"}})
        );
        let raised = tools
            .invoke("weather", r#"{"city": "Atlantis"}"#)
            .wait()
            .await
            .unwrap();
        assert_eq!(raised["ok"], false);
        assert!(
            raised["value"]["error"]
                .as_str()
                .unwrap()
                .contains("no such city"),
            "{raised}"
        );
        let invalid = tools
            .invoke("weather", r#"{"town": "Oslo"}"#)
            .wait()
            .await
            .unwrap();
        assert!(
            invalid["value"]["error"].as_str().unwrap().contains("city"),
            "{invalid}"
        );

        let err = tools
            .register(weather_spec(), Arc::new(Weather))
            .unwrap_err();
        assert!(
            err.message.contains("already registered"),
            "{}",
            err.message
        );
        let err = tools
            .register(
                HostToolSpec {
                    name: "project_status".into(),
                    ..weather_spec()
                },
                Arc::new(Weather),
            )
            .unwrap_err();
        assert!(
            err.message.contains("already registered"),
            "{}",
            err.message
        );
        for (spec, expected) in [
            (
                HostToolSpec {
                    name: "bad name".into(),
                    ..weather_spec()
                },
                "not usable",
            ),
            (
                HostToolSpec {
                    description: " ".into(),
                    ..weather_spec()
                },
                "needs a description",
            ),
            (
                HostToolSpec {
                    parameters_json: Some("{".into()),
                    ..weather_spec()
                },
                "not JSON",
            ),
            (
                HostToolSpec {
                    parameters_json: Some(r#"{"type": "string"}"#.into()),
                    ..weather_spec()
                },
                "\"type\": \"object\"",
            ),
            (
                HostToolSpec {
                    permission: Some("sudo".into()),
                    name: "w2".into(),
                    ..weather_spec()
                },
                "unknown permission",
            ),
        ] {
            let err = tools.register(spec, Arc::new(Weather)).unwrap_err();
            assert!(
                err.message.contains(expected),
                "{expected}: {}",
                err.message
            );
        }
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
