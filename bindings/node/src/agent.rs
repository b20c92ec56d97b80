//! Agent runs from JavaScript: `ws.runAgent(prompt, options)` returns a `Job` whose events include
//! every agent event (`type: "agent"`) and whose result is a `RunReport`.

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay::core::agent::PermissionPolicy;
use relay_bindings_common::{AgentRunRequest, ApprovalCallback, CallbackPolicy, Selection};

use crate::approval::JsApproval;
use crate::job::Job;
use crate::js_function::JsonFn;
use crate::permission::{JsPermission, PermissionFn};
use crate::workspace::{Workspace, start};

/// Options of `runAgent` (and of the agent behind the tools' coding tools).
#[napi(object, object_to_js = false)]
pub struct AgentRunOptions {
    /// `"claude"` (default: the Claude Code CLI) or `"shell"` (runs the prompt as a command line,
    /// split into words, no shell).
    pub agent: Option<String>,
    /// Exactly these repositories.
    pub repos: Option<Vec<String>>,
    /// These repositories and everything that depends on them.
    pub affected_by: Option<Vec<String>>,
    /// Most repositories worked on at once within a dependency batch (default 1).
    pub jobs: Option<u32>,
    /// Run a repository even when one of its dependencies failed (default false).
    pub keep_going: Option<bool>,
    /// Model for Claude Code.
    pub model: Option<String>,
    /// Maximum agent turns per repository.
    pub max_turns: Option<u32>,
    /// Maximum spend per repository in USD.
    pub max_budget_usd: Option<f64>,
    /// Tools Claude Code may use without asking `permission`.
    pub allowed_tools: Option<Vec<String>>,
    /// Tools Claude Code may never use.
    pub disallowed_tools: Option<Vec<String>>,
    /// `default`, `acceptEdits`, `plan`, `dontAsk` or `bypassPermissions`.
    pub permission_mode: Option<String>,
    /// Stop an agent that prints nothing for this many seconds (default 600).
    pub idle_timeout_secs: Option<u32>,
    /// Stop an agent that runs longer than this many seconds.
    pub timeout_secs: Option<u32>,
    /// The `claude` binary (default: `RELAY_CLAUDE_BIN`, then PATH).
    pub claude_binary: Option<String>,
    /// Extra environment for the agent process (e.g. `ANTHROPIC_API_KEY`); values never appear in
    /// logs or errors.
    pub env: Option<HashMap<String, String>>,
    /// Decides the tools Claude Code asks about (those not in `allowedTools`); may be `async`.
    /// A throw or rejection denies the tool with its message. Without it such tools are denied.
    #[napi(ts_type = "PermissionCallback")]
    pub permission: Option<PermissionFn>,
    /// Asked (like `tools.onApproval`) about the tools `permission` answers `{ decision: 'ask' }`
    /// for, or about every such tool without `permission`: "Claude wants to run `npm publish`
    /// in frontend. Allow it?". For `runAgent` only: the tools' agent asks `tools.onApproval`.
    #[napi(ts_type = "(request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>")]
    pub on_approval: Option<JsonFn>,
}

/// What `agent_request` makes of the options: the facade's request, the permission policy and
/// the approval callback.
pub(crate) type AgentParts = (
    AgentRunRequest,
    Option<Arc<dyn PermissionPolicy>>,
    Option<Arc<dyn ApprovalCallback>>,
);

/// The facade's request, the permission policy and the approval callback of `options`.
pub(crate) fn agent_request(prompt: String, options: Option<AgentRunOptions>) -> AgentParts {
    let Some(o) = options else {
        return (AgentRunRequest::new(prompt), None, None);
    };
    let approval = o.on_approval.map(|handler| {
        Arc::new(JsApproval::new(handler, "the approval handler")) as Arc<dyn ApprovalCallback>
    });
    let policy = o.permission.map(|function| {
        Arc::new(CallbackPolicy::new(Arc::new(JsPermission::new(function))))
            as Arc<dyn PermissionPolicy>
    });
    let request = AgentRunRequest {
        prompt,
        agent: o.agent,
        selection: Selection {
            repos: o.repos,
            affected_by: o.affected_by,
        },
        jobs: o.jobs.unwrap_or(1),
        keep_going: o.keep_going.unwrap_or(false),
        model: o.model,
        max_turns: o.max_turns,
        max_budget_usd: o.max_budget_usd,
        allowed_tools: o.allowed_tools.unwrap_or_default(),
        disallowed_tools: o.disallowed_tools.unwrap_or_default(),
        permission_mode: o.permission_mode,
        idle_timeout_secs: o.idle_timeout_secs.map(u64::from),
        timeout_secs: o.timeout_secs.map(u64::from),
        claude_binary: o.claude_binary,
        env: o
            .env
            .map(|env| env.into_iter().collect())
            .unwrap_or_default(),
    };
    (request, policy, approval)
}

#[napi]
impl Workspace {
    /// Starts a coding agent on `prompt` in each selected repository (all by default), in
    /// dependency order. The job's events include every agent event (`type: "agent"`, with
    /// `repo` and `event`) and one `repo_finished` per repository; its result is a `RunReport`.
    /// `job.cancel()` kills the agents' processes. Throws (code `usage`, `unknown_repo`) on a bad
    /// request before anything runs.
    #[napi(ts_return_type = "Job")]
    pub fn run_agent(
        &self,
        env: &Env,
        prompt: String,
        options: Option<AgentRunOptions>,
    ) -> Result<Job> {
        let (request, policy, approval) = agent_request(prompt, options);
        start(env, || {
            self.inner.run_agent_asking(request, policy, approval)
        })
    }
}
