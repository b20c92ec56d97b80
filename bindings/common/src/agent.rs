//! Agent runs across repositories, as every binding starts them: [`AgentRunRequest`] in,
//! [`JobHandle`] out.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use relay_agent::claude::ClaudeCodeAgent;
use relay_agent::shell::ShellAgent;
use relay_core::agent::run::{AgentRunOptions, RunReport, run_across_repos};
use relay_core::agent::{AgentEnv, AgentTask, CodingAgent, PermissionMode, PermissionPolicy};
use relay_core::{Job, JobFailure};

use crate::error::BindingError;
use crate::job::JobHandle;
use crate::workspace::{Selection, WorkspaceHandle};

/// Which coding agent runs the task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AgentChoice {
    /// The Claude Code CLI (`claude`): `claude_binary`, else `RELAY_CLAUDE_BIN`, else PATH.
    #[default]
    Claude,
    /// Runs the prompt as a command line (split into words, no shell) in each repository.
    Shell,
}

impl std::str::FromStr for AgentChoice {
    type Err = BindingError;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "claude" => Ok(AgentChoice::Claude),
            "shell" => Ok(AgentChoice::Shell),
            other => Err(BindingError::usage(format!(
                "unknown agent `{other}`; use \"claude\" (Claude Code) or \"shell\" (runs the \
                 prompt as a command)"
            ))),
        }
    }
}

/// A coding task to run in each selected repository, in dependency order. Every field but
/// `prompt` has a default; the bindings fill it from keyword arguments / option objects.
/// `Debug` shows the names of `env` variables, never their values.
#[derive(Clone, Default)]
pub struct AgentRunRequest {
    /// The task: a prompt for Claude Code, a command line for the shell agent.
    pub prompt: String,
    /// `"claude"` (default) or `"shell"`.
    pub agent: Option<String>,
    /// Which repositories (all by default).
    pub selection: Selection,
    /// Most repositories worked on at once within a dependency batch (0 or 1: one at a time).
    pub jobs: u32,
    /// Run a repository even when one of its dependencies failed.
    pub keep_going: bool,
    /// Model for Claude Code.
    pub model: Option<String>,
    /// Maximum agent turns per repository.
    pub max_turns: Option<u32>,
    /// Maximum spend per repository in USD.
    pub max_budget_usd: Option<f64>,
    /// Tools Claude Code may use without asking the permission callback.
    pub allowed_tools: Vec<String>,
    /// Tools Claude Code may never use.
    pub disallowed_tools: Vec<String>,
    /// `default`, `acceptEdits`, `plan`, `dontAsk` or `bypassPermissions`.
    pub permission_mode: Option<String>,
    /// Stop an agent that prints nothing for this long (default 600 s).
    pub idle_timeout_secs: Option<u64>,
    /// Stop an agent that runs longer than this.
    pub timeout_secs: Option<u64>,
    /// The `claude` binary (default: `RELAY_CLAUDE_BIN`, then PATH).
    pub claude_binary: Option<String>,
    /// Extra environment for the agent process (e.g. `ANTHROPIC_BASE_URL`, an API key from the
    /// embedding app). Values never appear in logs or errors.
    pub env: Vec<(String, String)>,
}

impl std::fmt::Debug for AgentRunRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRunRequest")
            .field("prompt", &self.prompt)
            .field("agent", &self.agent)
            .field("selection", &self.selection)
            .field("jobs", &self.jobs)
            .field("keep_going", &self.keep_going)
            .field("model", &self.model)
            .field("max_turns", &self.max_turns)
            .field("max_budget_usd", &self.max_budget_usd)
            .field("allowed_tools", &self.allowed_tools)
            .field("disallowed_tools", &self.disallowed_tools)
            .field("permission_mode", &self.permission_mode)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("timeout_secs", &self.timeout_secs)
            .field("claude_binary", &self.claude_binary)
            .field("env", &AgentEnv(self.env.clone()))
            .finish()
    }
}

/// Seconds an agent may stay silent before it is stopped, when the request does not say.
const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 600;

impl AgentRunRequest {
    /// A request for `prompt` with every default.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            ..Self::default()
        }
    }

    /// The per-repository task template (its cwd is filled in per repository).
    pub fn template(&self) -> Result<AgentTask, BindingError> {
        let mut task = AgentTask::builder(self.prompt.clone(), ".")
            .allowed_tools(self.allowed_tools.iter().cloned())
            .disallowed_tools(self.disallowed_tools.iter().cloned())
            .idle_timeout(Duration::from_secs(
                self.idle_timeout_secs.unwrap_or(DEFAULT_IDLE_TIMEOUT_SECS),
            ));
        if let Some(model) = &self.model {
            task = task.model(model.clone());
        }
        if let Some(turns) = self.max_turns {
            task = task.max_turns(turns);
        }
        if let Some(budget) = self.max_budget_usd {
            task = task.max_budget_usd(budget);
        }
        if let Some(mode) = &self.permission_mode {
            task = task.permission_mode(
                mode.parse::<PermissionMode>()
                    .map_err(BindingError::usage)?,
            );
        }
        if let Some(secs) = self.timeout_secs {
            task = task.overall_timeout(Duration::from_secs(secs));
        }
        for (key, value) in &self.env {
            task = task.env(key.clone(), value.clone());
        }
        Ok(task.build())
    }

    /// The agent that runs the task; `policy` answers Claude Code's permission requests
    /// (without one, tools outside `allowed_tools` are denied).
    pub fn agent(
        &self,
        policy: Option<Arc<dyn PermissionPolicy>>,
    ) -> Result<AgentHandle, BindingError> {
        let choice = match &self.agent {
            Some(name) => name.parse()?,
            None => AgentChoice::default(),
        };
        Ok(match choice {
            AgentChoice::Shell => AgentHandle::Shell(Arc::new(ShellAgent::new())),
            AgentChoice::Claude => {
                let mut builder = ClaudeCodeAgent::builder();
                if let Some(binary) = &self.claude_binary {
                    builder = builder.binary(PathBuf::from(binary));
                }
                if let Some(policy) = policy {
                    builder = builder.shared_policy(policy);
                }
                AgentHandle::Claude(Arc::new(builder.build()))
            }
        })
    }
}

/// A built agent, kept concrete so that Claude Code can be checked before a run starts.
#[derive(Clone)]
pub enum AgentHandle {
    /// Claude Code.
    Claude(Arc<ClaudeCodeAgent>),
    /// The shell agent.
    Shell(Arc<ShellAgent>),
}

impl AgentHandle {
    /// Fails when the agent cannot run at all (Claude Code missing or too old), before any
    /// repository is touched.
    pub async fn check(&self) -> Result<(), BindingError> {
        match self {
            AgentHandle::Claude(claude) => claude.check().await.map(drop).map_err(Into::into),
            AgentHandle::Shell(_) => Ok(()),
        }
    }

    /// The agent as the trait object the orchestration and the tools take.
    pub fn as_dyn(&self) -> Arc<dyn CodingAgent> {
        match self {
            AgentHandle::Claude(claude) => claude.clone(),
            AgentHandle::Shell(shell) => shell.clone(),
        }
    }
}

impl WorkspaceHandle {
    /// Starts `request` across the selected repositories in dependency order. Events: progress,
    /// every agent event (`type: "agent"`), one `repo_finished` per repository; the result is
    /// the run report (`{repos: [{name, outcome, changed_files, cost_usd, ...}]}`). Cancelling
    /// the job kills the agents' processes. Must run inside a tokio runtime.
    pub fn run_agent(
        &self,
        request: AgentRunRequest,
        policy: Option<Arc<dyn PermissionPolicy>>,
    ) -> Result<JobHandle, BindingError> {
        let selection = request.selection.clone().into_core()?;
        // Unknown names are a usage error before anything starts, as in `relay run`.
        selection.resolve(self.repo_graph().workspace())?;
        let agent = request.agent(policy)?;
        let options = AgentRunOptions::new(request.template()?)
            .repos(selection)
            .jobs(request.jobs.max(1) as usize)
            .keep_going(request.keep_going);
        let graph = self.repo_graph();
        let job: Job<RunReport, BindingError> = Job::spawn("agent run", move |ctx| async move {
            agent.check().await?;
            let run = run_across_repos(graph, agent.as_dyn(), options);
            let report = ctx.forward(run).await?;
            // The orchestration reports a cancelled run as repositories marked `cancelled`;
            // the bindings promise that `wait()` of a cancelled job fails with `cancelled`.
            // The repositories finished before the cancel are in the `repo_finished` events.
            if ctx.is_cancelled() {
                return Err(JobFailure::Cancelled.into());
            }
            Ok(report)
        });
        Ok(JobHandle::new(job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::test_support::workspace;

    fn open(dir: &tempfile::TempDir) -> WorkspaceHandle {
        WorkspaceHandle::open(Some(dir.path().to_str().unwrap())).unwrap()
    }

    fn shell(prompt: &str) -> AgentRunRequest {
        AgentRunRequest {
            agent: Some("shell".into()),
            ..AgentRunRequest::new(prompt)
        }
    }

    #[tokio::test]
    async fn a_shell_run_changes_every_repository_and_reports_it() {
        let dir = workspace();
        let job = open(&dir)
            .run_agent(shell("touch made-by-agent.txt"), None)
            .unwrap();
        let mut kinds = Vec::new();
        loop {
            let batch = job.next_batch(64).await;
            if batch.is_empty() {
                break;
            }
            kinds.extend(batch.into_iter().map(|e| {
                serde_json::to_value(&e).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }));
        }
        assert_eq!(kinds.first().map(String::as_str), Some("job_started"));
        assert_eq!(kinds.last().map(String::as_str), Some("job_finished"));
        assert!(kinds.iter().any(|k| k == "agent"), "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| *k == "repo_finished").count(), 2);
        let report = job.wait().await.unwrap();
        let repos = report["repos"].as_array().unwrap();
        assert_eq!(repos[0]["name"], "api");
        assert_eq!(repos[1]["outcome"], "success");
        assert_eq!(
            repos[1]["changed_files"],
            serde_json::json!(["made-by-agent.txt"])
        );
        assert!(dir.path().join("app/made-by-agent.txt").exists());
    }

    #[test]
    fn debug_output_never_shows_environment_values() {
        let request = AgentRunRequest {
            env: vec![("ANTHROPIC_API_KEY".into(), "sk-ant-secret".into())],
            ..AgentRunRequest::new("fix it")
        };
        let text = format!("{request:?}");
        assert!(
            text.contains("ANTHROPIC_API_KEY") && !text.contains("sk-ant-secret"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_failed_dependency_skips_its_dependents() {
        let dir = workspace();
        let request = AgentRunRequest {
            selection: Selection {
                repos: Some(vec!["api".into(), "app".into()]),
                affected_by: None,
            },
            ..shell("false")
        };
        let report = open(&dir).run_agent(request, None).unwrap().wait().await;
        let report = report.unwrap();
        assert_eq!(report["repos"][0]["outcome"], "failed");
        assert_eq!(report["repos"][1]["outcome"], "skipped");
    }

    #[tokio::test]
    async fn cancelling_a_run_kills_the_agent_fails_wait_and_reports_the_repository() {
        let dir = workspace();
        let request = AgentRunRequest {
            selection: Selection {
                repos: Some(vec!["api".into()]),
                affected_by: None,
            },
            ..shell("sleep 37")
        };
        let job = open(&dir).run_agent(request, None).unwrap();
        // Wait until the agent runs, then cancel.
        loop {
            let batch = job.next_batch(16).await;
            assert!(!batch.is_empty(), "the run ended before the agent started");
            if batch
                .iter()
                .any(|e| matches!(e.kind, relay_core::EventKind::Agent { .. }))
            {
                break;
            }
        }
        job.cancel();
        let mut rest = Vec::new();
        loop {
            let batch = job.next_batch(16).await;
            if batch.is_empty() {
                break;
            }
            rest.extend(batch);
        }
        assert!(!sleep_37_running(), "the agent's process was killed");
        let finished = rest
            .iter()
            .find_map(|e| match &e.kind {
                relay_core::EventKind::RepoFinished { repo, outcome, .. } => {
                    Some((repo.clone(), *outcome))
                }
                _ => None,
            })
            .expect("the cancelled repository is reported");
        assert_eq!(
            finished,
            ("api".to_string(), relay_core::RepoOutcome::Cancelled)
        );
        let err = job.wait().await.unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str()),
            (ErrorKind::Cancelled, "cancelled")
        );
    }

    /// Whether a `sleep 37` (this crate's tests' unique agent command) is alive.
    fn sleep_37_running() -> bool {
        std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
            std::fs::read(entry.path().join("cmdline")).is_ok_and(|c| c == b"sleep\x0037\x00")
        })
    }

    #[tokio::test]
    async fn bad_requests_fail_before_anything_runs() {
        let dir = workspace();
        let ws = open(&dir);
        let err = ws
            .run_agent(
                AgentRunRequest {
                    agent: Some("gpt".into()),
                    ..AgentRunRequest::new("x")
                },
                None,
            )
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage);
        assert!(
            err.message.contains("unknown agent `gpt`"),
            "{}",
            err.message
        );

        let err = ws
            .run_agent(
                AgentRunRequest {
                    selection: Selection {
                        repos: Some(vec!["nope".into()]),
                        affected_by: None,
                    },
                    ..shell("true")
                },
                None,
            )
            .unwrap_err();
        assert_eq!(err.code, "unknown_repo");

        let err = ws
            .run_agent(
                AgentRunRequest {
                    permission_mode: Some("yolo".into()),
                    ..shell("true")
                },
                None,
            )
            .unwrap_err();
        assert!(err.message.contains("acceptEdits"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_missing_claude_binary_fails_the_job_with_a_clear_error() {
        let dir = workspace();
        let request = AgentRunRequest {
            claude_binary: Some("/nonexistent/claude".into()),
            ..AgentRunRequest::new("fix it")
        };
        let err = open(&dir)
            .run_agent(request, None)
            .unwrap()
            .wait()
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str()),
            (ErrorKind::Agent, "agent_not_found")
        );
        assert!(
            err.message.contains("/nonexistent/claude"),
            "{}",
            err.message
        );
        assert!(!dir.path().join("api/made-by-agent.txt").exists());
    }
}
