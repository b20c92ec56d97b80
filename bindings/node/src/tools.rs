//! `Tools`: Relay's tool registry, for an app with its own voice loop (a Node WebSocket voice
//! server): advertise `realtimeTools()` to the model, run each call with `invoke` / `call`. The
//! app's own tools join them with `register` (see `host_tool.rs`).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{BindingError, ToolsHandle, ToolsOptions as FacadeOptions, to_json};

use crate::agent::{AgentRunOptions, agent_request};
use crate::convert::{ClassArg, JsonText, js_error, parse_json};
use crate::environments::Environments;
use crate::job::Job;
use crate::workspace::{Workspace, start};

/// Options of `new Tools(...)`: each part adds its family of tools.
#[napi(object, object_to_js = false)]
pub struct ToolsOptions {
    /// Repository tools (status, switch project, impact, sync, branch, commit) over this
    /// workspace.
    #[napi(ts_type = "Workspace")]
    pub workspace: Option<ClassArg<Workspace>>,
    /// The coding-agent tool (`run_agent_task`) with these defaults, including its `permission`
    /// callback; the model gives the task. Needs `workspace`.
    pub agent: Option<AgentRunOptions>,
    /// Environment tools (`env_up`, `env_status`, `env_exec`, ...) over this provider.
    #[napi(ts_type = "Environments")]
    pub environments: Option<ClassArg<Environments>>,
    /// Permissions granted to callers (`read`, `session`, `write_repos`, `run_agent`,
    /// `manage_infra`); default all. A tool needing another answers with an error for the model.
    pub permissions: Option<Vec<String>>,
}

/// A tool registry and the session state its tools share (the primary project).
#[napi]
pub struct Tools {
    pub(crate) inner: ToolsHandle,
}

#[napi]
impl Tools {
    /// Builds the registry. Throws (code `usage`) on an unknown permission or agent, or an
    /// agent without a workspace.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<ToolsOptions>) -> Result<Self> {
        let options = match options {
            None => FacadeOptions::default(),
            Some(o) => {
                let (agent, policy) = match o.agent {
                    Some(agent) => {
                        let (request, policy, approval) = agent_request(String::new(), Some(agent));
                        if approval.is_some() {
                            return Err(js_error(
                                &env,
                                BindingError::usage(
                                    "the tools' agent asks the tools' approval handler: call \
                                     tools.onApproval(handler) instead of agent.onApproval",
                                ),
                            ));
                        }
                        (Some(request), policy)
                    }
                    None => (None, None),
                };
                FacadeOptions {
                    workspace: o.workspace.map(|w| w.0),
                    agent,
                    policy,
                    environments: o.environments.map(|e| e.0),
                    permissions: o.permissions,
                }
            }
        };
        ToolsHandle::new(options)
            .map(|inner| Self { inner })
            .map_err(|e| js_error(&env, e))
    }

    /// Every tool's spec, sorted by name.
    #[napi(ts_return_type = "ToolSpec[]")]
    pub fn specs<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        parse_json(env, to_json(&self.inner.specs()))
    }

    /// The tools in the OpenAI Realtime `session.tools` format, ready for a `session.update`.
    #[napi(ts_return_type = "RealtimeTool[]")]
    pub fn realtime_tools<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        parse_json(env, to_json(&self.inner.realtime_tools()))
    }

    /// Calls tool `name` with `args` (the model's JSON text, or an object). The job's events are
    /// the tool's progress; its result is `{ ok, value }`: bad arguments, unknown tools and
    /// failures are `ok: false` with `value.error` and `value.hint` for the model, never a
    /// rejection. `job.cancel()` stops the tool.
    #[napi(ts_return_type = "Job")]
    pub fn invoke(
        &self,
        env: &Env,
        name: String,
        #[napi(ts_arg_type = "string | Record<string, unknown>")] args: Option<JsonText>,
    ) -> Result<Job> {
        let arguments = args.map(|a| a.0).unwrap_or_default();
        start(env, || Ok(self.inner.invoke(&name, &arguments)))
    }
}
