//! Agent runs across repositories, as every binding starts them: [`AgentRunRequest`] (the
//! options as strings, the way Python keyword arguments and JavaScript option objects carry
//! them) in, [`JobHandle`] out. The decisions — which agent, its task template, the run — are
//! the facade's ([`relay::AgentConfig`], [`relay::run_agent`]).

use std::sync::Arc;
use std::time::Duration;

use relay::core::agent::{AgentEnv, PermissionMode, PermissionPolicy};
use relay::{AgentChoice, AgentConfig, AgentRun};

use crate::error::BindingError;
use crate::job::JobHandle;
use crate::workspace::{Selection, WorkspaceHandle};

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

impl AgentRunRequest {
    /// A request for `prompt` with every default.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            ..Self::default()
        }
    }

    /// The agent and its options as the facade takes them; `policy` answers Claude Code's
    /// permission requests (without one, tools outside `allowed_tools` are denied).
    pub fn config(
        &self,
        policy: Option<Arc<dyn PermissionPolicy>>,
    ) -> Result<AgentConfig, BindingError> {
        let choice = match &self.agent {
            Some(name) => name.parse::<AgentChoice>()?,
            None => AgentChoice::default(),
        };
        let mut config = AgentConfig::new(choice)
            .allowed_tools(self.allowed_tools.iter().cloned())
            .disallowed_tools(self.disallowed_tools.iter().cloned());
        if let Some(model) = &self.model {
            config = config.model(model.clone());
        }
        if let Some(turns) = self.max_turns {
            config = config.max_turns(turns);
        }
        if let Some(budget) = self.max_budget_usd {
            config = config.max_budget_usd(budget);
        }
        if let Some(mode) = &self.permission_mode {
            config = config.permission_mode(
                mode.parse::<PermissionMode>()
                    .map_err(BindingError::usage)?,
            );
        }
        if let Some(secs) = self.idle_timeout_secs {
            config = config.idle_timeout(Duration::from_secs(secs));
        }
        if let Some(secs) = self.timeout_secs {
            config = config.timeout(Duration::from_secs(secs));
        }
        if let Some(binary) = &self.claude_binary {
            config = config.claude_binary(binary);
        }
        for (key, value) in &self.env {
            config = config.env(key.clone(), value.clone());
        }
        if let Some(policy) = policy {
            config = config.policy(policy);
        }
        Ok(config)
    }
}

impl WorkspaceHandle {
    /// Starts `request` across the selected repositories in dependency order. Events: progress,
    /// every agent event (`type: "agent"`), one `repo_finished` per repository; the result is
    /// the run report (`{repos: [{name, outcome, changed_files, cost_usd, ...}]}`). Cancelling
    /// the job kills the agents' processes and fails `wait()` with `cancelled`. Must run inside
    /// a tokio runtime.
    pub fn run_agent(
        &self,
        request: AgentRunRequest,
        policy: Option<Arc<dyn PermissionPolicy>>,
    ) -> Result<JobHandle, BindingError> {
        self.run_agent_asking(request, policy, None)
    }

    /// [`run_agent`](Self::run_agent), with Claude Code's permission questions that `policy`
    /// answers `ask` (or all of them, without a policy) put to the host's approval callback —
    /// the same callback and answers as the tools' (`"allow"`, `"deny"`,
    /// `"allow_for_session"`); no answer within 60 s denies.
    pub fn run_agent_asking(
        &self,
        request: AgentRunRequest,
        policy: Option<Arc<dyn PermissionPolicy>>,
        approval: Option<Arc<dyn crate::approval::ApprovalCallback>>,
    ) -> Result<JobHandle, BindingError> {
        let mut config = request.config(policy)?;
        if let Some(callback) = approval {
            config = config.approver(Arc::new(crate::approval::CallbackApprover::new(callback)));
        }
        let run = AgentRun::new(request.prompt.clone())
            .repos(request.selection.clone().into_core()?)
            .jobs(request.jobs.max(1) as usize)
            .keep_going(request.keep_going);
        let job = relay::run_agent(self.repo_graph(), &config, run)?;
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
                .any(|e| matches!(e.kind, relay::core::EventKind::Agent { .. }))
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
                relay::core::EventKind::RepoFinished { repo, outcome, .. } => {
                    Some((repo.clone(), *outcome))
                }
                _ => None,
            })
            .expect("the cancelled repository is reported");
        assert_eq!(
            finished,
            ("api".to_string(), relay::core::RepoOutcome::Cancelled)
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
