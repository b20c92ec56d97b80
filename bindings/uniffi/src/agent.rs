//! Agent runs: `Workspace.runAgent(AgentRunRequest(...), policy)` starts a coding agent in each
//! selected repository (dependency order) and returns a `RelayJob`.

use std::collections::HashMap;
use std::sync::Arc;

use relay_bindings_common::{AgentRunRequest as CommonRequest, Selection};

use crate::error::RelayError;
use crate::job::Job;
use crate::policy::{ForeignPolicy, PermissionPolicy};
use crate::runtime;
use crate::workspace::Workspace;

/// A coding task to run in each selected repository. Only `prompt` is required; in Kotlin
/// `AgentRunRequest(prompt = "fix the failing test", agent = "claude", repos = listOf("api"))`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AgentRunRequest {
    /// The task: a prompt for Claude Code, a command line for the shell agent.
    pub prompt: String,
    /// `"claude"` (Claude Code, the default) or `"shell"` (runs the prompt as a command, split
    /// into words, no shell).
    #[uniffi(default = None)]
    pub agent: Option<String>,
    /// Only these repositories (all by default).
    #[uniffi(default = None)]
    pub repos: Option<Vec<String>>,
    /// Only repositories affected by a change to these (and the changed ones).
    #[uniffi(default = None)]
    pub affected_by: Option<Vec<String>>,
    /// Most repositories worked on at once within a dependency batch (0 or 1: one at a time).
    #[uniffi(default = 0)]
    pub jobs: u32,
    /// Run a repository even when one of its dependencies failed.
    #[uniffi(default = false)]
    pub keep_going: bool,
    /// Model for Claude Code.
    #[uniffi(default = None)]
    pub model: Option<String>,
    /// Maximum agent turns per repository.
    #[uniffi(default = None)]
    pub max_turns: Option<u32>,
    /// Maximum spend per repository in USD.
    #[uniffi(default = None)]
    pub max_budget_usd: Option<f64>,
    /// Tools Claude Code may use without asking the permission policy.
    #[uniffi(default)]
    pub allowed_tools: Vec<String>,
    /// Tools Claude Code may never use.
    #[uniffi(default)]
    pub disallowed_tools: Vec<String>,
    /// `default`, `acceptEdits`, `plan`, `dontAsk` or `bypassPermissions`.
    #[uniffi(default = None)]
    pub permission_mode: Option<String>,
    /// Stop an agent that prints nothing for this long (default 600 s).
    #[uniffi(default = None)]
    pub idle_timeout_secs: Option<u64>,
    /// Stop an agent that runs longer than this.
    #[uniffi(default = None)]
    pub timeout_secs: Option<u64>,
    /// The `claude` binary (default: `RELAY_CLAUDE_BIN`, then PATH).
    #[uniffi(default = None)]
    pub claude_binary: Option<String>,
}

impl AgentRunRequest {
    /// The shared request, with `env` (kept out of the record: Kotlin and Swift print every
    /// record field in `toString()`/`description`, and `env` usually carries an API key).
    pub(crate) fn into_common(self, env: HashMap<String, String>) -> CommonRequest {
        let r = self;
        let mut env: Vec<(String, String)> = env.into_iter().collect();
        env.sort();
        CommonRequest {
            prompt: r.prompt,
            agent: r.agent,
            selection: Selection {
                repos: r.repos,
                affected_by: r.affected_by,
            },
            jobs: r.jobs,
            keep_going: r.keep_going,
            model: r.model,
            max_turns: r.max_turns,
            max_budget_usd: r.max_budget_usd,
            allowed_tools: r.allowed_tools,
            disallowed_tools: r.disallowed_tools,
            permission_mode: r.permission_mode,
            idle_timeout_secs: r.idle_timeout_secs,
            timeout_secs: r.timeout_secs,
            claude_binary: r.claude_binary,
            env,
        }
    }
}

#[uniffi::export]
impl Workspace {
    /// Starts `request` across the selected repositories in dependency order. Events: progress,
    /// every agent event (`kind == "agent"`), one `repo_finished` per repository; `wait()`
    /// returns the run report as JSON (`{"repos": [{"name", "outcome", "changed_files", ...}]}`).
    /// `policy` decides the tools Claude Code asks about (without one, tools outside
    /// `allowedTools` are denied). Cancelling the job (or the coroutine awaiting it) kills the
    /// agents' processes. `env` is extra environment for the agent processes
    /// (`ANTHROPIC_BASE_URL`, an API key from the app); its values never appear in logs or
    /// errors. Throws `Usage` for an unknown agent or permission mode and `Repo` for an unknown
    /// repository before anything runs. `approval` (like `Tools.onApproval`) is asked about the
    /// tools `policy` answers `Ask` for, or about every such tool without `policy`: "Claude
    /// wants to run `npm publish` in frontend. Allow it?".
    #[uniffi::method(default(policy = None, approval = None, env))]
    pub fn run_agent(
        &self,
        request: AgentRunRequest,
        policy: Option<Arc<dyn PermissionPolicy>>,
        env: HashMap<String, String>,
        approval: Option<Arc<dyn crate::approval::ApprovalHandler>>,
    ) -> Result<Arc<Job>, RelayError> {
        let approval = approval.map(|handler| {
            Arc::new(crate::approval::ForeignApproval(handler))
                as Arc<dyn relay_bindings_common::ApprovalCallback>
        });
        let handle = runtime::enter(|| {
            self.handle().run_agent_asking(
                request.into_common(env),
                ForeignPolicy::wrap(policy),
                approval,
            )
        })?;
        Ok(Job::new(handle))
    }
}

/// Makes this process the reaper of orphaned descendants (Linux `PR_SET_CHILD_SUBREAPER`), so
/// that processes started by an agent that was killed do not stay zombies where PID 1 does not
/// reap them (some containers). Call once at start-up if your app runs agents there; returns
/// whether it took effect.
#[uniffi::export]
pub fn become_child_subreaper() -> bool {
    relay::agent::become_child_subreaper()
}
