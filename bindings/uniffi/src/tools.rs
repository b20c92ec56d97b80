//! `Tools`: the tool registry a voice model acts through (repository, agent and environment
//! tools, plus tools written in Kotlin or Swift), callable directly too.

use std::collections::HashMap;
use std::sync::Arc;

use relay_bindings_common::{ToolsHandle, ToolsOptions};

use crate::agent::AgentRunRequest;
use crate::environments::Environments;
use crate::error::RelayError;
use crate::host_tool::{ForeignToolHandler, ToolDefinition, ToolHandler};
use crate::job::Job;
use crate::policy::{ForeignPolicy, PermissionPolicy};
use crate::runtime;
use crate::workspace::Workspace;

/// A tool registry. Which tools it has depends on what it is given: `workspace` adds the
/// repository tools (`project_status`, `impact_analysis`, `sync_repos`, ...); `agent` (with
/// `workspace`) adds `run_agent_task`, run with that request's options and `policy`;
/// `environments` adds `env_up`, `env_exec`, ...; `permissions` (`read`, `session`,
/// `write_repos`, `run_agent`, `manage_infra`) limits what may be called.
#[derive(uniffi::Object)]
pub struct Tools {
    inner: ToolsHandle,
}

impl Tools {
    /// The shared facade, for voice sessions.
    pub(crate) fn handle(&self) -> &ToolsHandle {
        &self.inner
    }

    /// Wraps tools built elsewhere (`Memory.tools`).
    pub(crate) fn from_handle(inner: ToolsHandle) -> Arc<Self> {
        Arc::new(Self { inner })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("tool descriptions always serialize")
}

#[uniffi::export]
impl Tools {
    /// Builds a registry (see the type's documentation). `agent.prompt` is not used: each
    /// `run_agent_task` call supplies its task. `agentEnv` is extra environment for the agent
    /// processes (kept out of the record so that `toString()` never shows an API key). Throws
    /// `Usage` for `agent` without `workspace`, an unknown agent or permission name.
    #[uniffi::constructor(default(
        workspace = None,
        agent = None,
        policy = None,
        environments = None,
        permissions = None,
        agent_env
    ))]
    pub fn new(
        workspace: Option<Arc<Workspace>>,
        agent: Option<AgentRunRequest>,
        policy: Option<Arc<dyn PermissionPolicy>>,
        environments: Option<Arc<Environments>>,
        permissions: Option<Vec<String>>,
        agent_env: HashMap<String, String>,
    ) -> Result<Arc<Self>, RelayError> {
        let options = ToolsOptions {
            workspace: workspace.map(|w| w.handle().clone()),
            agent: agent.map(|a| a.into_common(agent_env)),
            policy: ForeignPolicy::wrap(policy),
            environments: environments.map(|e| e.handle().clone()),
            permissions,
        };
        let inner = runtime::enter(|| ToolsHandle::new(options))?;
        Ok(Arc::new(Self { inner }))
    }

    /// The tool names, in registration order.
    pub fn names(&self) -> Vec<String> {
        self.inner.specs().into_iter().map(|s| s.name).collect()
    }

    /// Every tool's description as a JSON array of `{name, description, parameters,
    /// permission, ...}` (parameters as JSON Schema).
    pub fn specs_json(&self) -> String {
        to_json(&self.inner.specs())
    }

    /// The tools in the OpenAI Realtime `session.tools` format (a JSON array of
    /// `{"type": "function", "name", "description", "parameters"}`), for an app that talks to
    /// the model itself.
    pub fn realtime_tools_json(&self) -> String {
        to_json(&self.inner.realtime_tools())
    }

    /// Adds a tool written in Kotlin or Swift: the model sees `definition`, and `handler` runs
    /// each call whose arguments match the definition's schema. Voice sessions started after
    /// this call offer it; sessions already running keep their tools. Throws `Usage` for a
    /// name that is malformed or already taken (Relay's tools keep theirs), an empty
    /// description, parameters that are not a JSON Schema object, or an unknown permission.
    pub fn register(
        &self,
        definition: ToolDefinition,
        handler: Arc<dyn ToolHandler>,
    ) -> Result<(), RelayError> {
        Ok(self
            .inner
            .register(definition.into(), Arc::new(ForeignToolHandler(handler)))?)
    }

    /// Calls tool `name` with `argumentsJson` (a JSON object). The job streams the tool's
    /// progress; its result is `{"ok": bool, "value": ...}` as JSON, where a failed tool (bad
    /// arguments, unknown tool, a failing repository) is `ok: false` with `value.error` and
    /// `value.hint`, as the voice model would see it.
    #[uniffi::method(default(arguments_json = "{}"))]
    pub fn invoke(&self, name: String, arguments_json: String) -> Arc<Job> {
        Job::new(runtime::enter(|| self.inner.invoke(&name, &arguments_json)))
    }
}
