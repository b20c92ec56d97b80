//! `relay.Tools`: Relay's tool registry (repository, agent and environment tools), so that an
//! application with its own model loop can advertise the tools and delegate the calls.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use relay_bindings_common::{
    AgentRunRequest, HostToolSpec, JobHandle, McpServeOptions, ToolsHandle, ToolsOptions,
};

use crate::environments::PyEnvironments;
use crate::errors::{UsageError, to_py_err};
use crate::host_tool::PythonTool;
use crate::job::PyJob;
use crate::mcp::PyMcpServer;
use crate::workspace::{PyWorkspace, value_to_py};
use crate::{aio, json, permission, runtime};

/// A tool registry with its session context (the primary project chosen by `switch_project`).
#[pyclass(module = "relay", name = "Tools", frozen)]
pub struct PyTools {
    inner: ToolsHandle,
}

impl PyTools {
    /// The facade, for voice sessions.
    pub fn handle(&self) -> &ToolsHandle {
        &self.inner
    }

    /// Wraps tools built elsewhere (`Memory.tools()`).
    pub fn from_handle(inner: ToolsHandle) -> Self {
        Self { inner }
    }
}

const AGENT_OPTIONS: &str = "agent, model, max_turns, max_budget_usd, allowed_tools, \
     disallowed_tools, permission_mode, idle_timeout_secs, timeout_secs, claude_binary, env";

/// The agent tool's settings: an agent name, or a dict of `Workspace.run_agent`'s options.
fn agent_request(value: &Bound<'_, PyAny>) -> PyResult<AgentRunRequest> {
    let mut request = AgentRunRequest::default();
    if let Ok(name) = value.cast::<PyString>() {
        request.agent = Some(name.to_str()?.to_owned());
        return Ok(request);
    }
    let options = value.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "agent must be \"claude\", \"shell\" or a dict of run_agent options ({AGENT_OPTIONS})"
        ))
    })?;
    for (key, item) in options.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "agent" => request.agent = item.extract()?,
            "model" => request.model = item.extract()?,
            "max_turns" => request.max_turns = item.extract()?,
            "max_budget_usd" => request.max_budget_usd = item.extract()?,
            "allowed_tools" => request.allowed_tools = item.extract()?,
            "disallowed_tools" => request.disallowed_tools = item.extract()?,
            "permission_mode" => request.permission_mode = item.extract()?,
            "idle_timeout_secs" => request.idle_timeout_secs = item.extract()?,
            "timeout_secs" => request.timeout_secs = item.extract()?,
            "claude_binary" => {
                let path: Option<std::path::PathBuf> = item.extract()?;
                request.claude_binary = path.map(|p| p.to_string_lossy().into_owned());
            }
            "env" => {
                let env: std::collections::BTreeMap<String, String> = item.extract()?;
                request.env = env.into_iter().collect();
            }
            other => {
                return Err(UsageError::new_err(format!(
                    "unknown agent option `{other}`; use {AGENT_OPTIONS}"
                )));
            }
        }
    }
    Ok(request)
}

/// Tool arguments as the JSON text the registry takes: text is passed as the model sent it.
fn arguments_json(arguments: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    match arguments {
        None => Ok("{}".to_owned()),
        Some(text) if text.is_instance_of::<PyString>() => text.extract(),
        Some(value) => json::dumps(value),
    }
}

/// A tool's parameter schema (a dict, or JSON text) as JSON text.
fn schema_json(name: &str, schema: &Bound<'_, PyAny>) -> PyResult<String> {
    if schema.is_instance_of::<PyString>() {
        return schema.extract();
    }
    json::dumps(schema).map_err(|e| {
        UsageError::new_err(format!(
            "the parameters of tool `{name}` must be a JSON Schema dict ({e})"
        ))
    })
}

#[pymethods]
impl PyTools {
    /// Builds a registry: repository tools over `workspace`; the agent tool (`run_agent_task`)
    /// when `agent` is given ("claude", "shell" or a dict of run_agent options) with
    /// `permission` answering its permission requests; environment tools over
    /// `environments`; `permissions` limits what callers may do (read, session, write_repos,
    /// run_agent, manage_infra; None grants all).
    #[new]
    #[pyo3(signature = (workspace = None, *, agent = None, permission = None, environments = None, permissions = None))]
    fn new(
        py: Python<'_>,
        workspace: Option<PyRef<'_, PyWorkspace>>,
        agent: Option<Bound<'_, PyAny>>,
        permission: Option<Bound<'_, PyAny>>,
        environments: Option<PyRef<'_, PyEnvironments>>,
        permissions: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let agent = agent.as_ref().map(agent_request).transpose()?;
        let policy = permission::policy(py, permission)?;
        let options = ToolsOptions {
            workspace: workspace.map(|w| w.handle()),
            agent,
            policy: policy.map(|p| p as _),
            environments: environments.map(|e| e.handle()),
            permissions,
        };
        runtime::enter(|| ToolsHandle::new(options))
            .map(|inner| Self { inner })
            .map_err(to_py_err)
    }

    /// Every tool's spec: list of {"name", "description", "parameters" (JSON Schema),
    /// "permission", "long_running", "timeout" (ms or None)}, sorted by name.
    fn specs(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.specs())
    }

    /// The tools in the OpenAI Realtime `session.tools` format:
    /// [{"type": "function", "name", "description", "parameters"}].
    fn realtime_tools(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.realtime_tools())
    }

    /// The primary project chosen with `switch_project` ({"name", "related"}), or None.
    fn primary_project(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, &self.inner.primary_project())
    }

    /// Starts calling tool `name` with `arguments` (a dict, or JSON text as a model sent it):
    /// a Job whose events are the tool's progress and whose result is {"ok", "value"}. Unknown
    /// tools, bad arguments and failures are `ok: False` with {"error", "hint"}, not exceptions.
    #[pyo3(signature = (name, arguments = None))]
    fn invoke(&self, name: &str, arguments: Option<Bound<'_, PyAny>>) -> PyResult<PyJob> {
        let arguments = arguments_json(arguments.as_ref())?;
        Ok(PyJob::new(runtime::enter(|| {
            self.inner.invoke(name, &arguments)
        })))
    }

    /// Coroutine: `invoke(name, arguments)` and its result {"ok", "value"}. Cancelling it stops
    /// the tool.
    #[pyo3(signature = (name, arguments = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        arguments: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let arguments = arguments_json(arguments.as_ref())?;
        // Without a running loop nothing may start (as for every awaitable).
        pyo3_async_runtimes::get_running_loop(py)?;
        let job: Arc<JobHandle> = Arc::new(runtime::enter(|| self.inner.invoke(name, &arguments)));
        aio::json_coroutine(py, async move { job.wait_json().await })
    }

    /// Adds `function` as tool `name`, next to Relay's tools: a plain function or `async def`
    /// taking the arguments dict (validated against `parameters` first) and returning any
    /// JSON-serializable value. It runs on the event loop running now (register from a
    /// coroutine). Raising gives the model `ok: False` with the exception's type and text.
    /// With `needs_approval=True` every call first asks the `on_approval` callback (refused
    /// without one); the function runs only after a yes.
    /// Sessions started earlier keep the tools they started with.
    #[pyo3(signature = (name, function, *, description, parameters = None, permission = None, long_running = false, timeout_secs = None, needs_approval = false))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn register(
        &self,
        py: Python<'_>,
        name: String,
        function: Bound<'_, PyAny>,
        description: String,
        parameters: Option<Bound<'_, PyAny>>,
        permission: Option<String>,
        long_running: bool,
        timeout_secs: Option<u64>,
        needs_approval: bool,
    ) -> PyResult<()> {
        let parameters_json = parameters
            .as_ref()
            .map(|schema| schema_json(&name, schema))
            .transpose()?;
        let callback = PythonTool::new(py, &name, function)?;
        let spec = HostToolSpec {
            name,
            description,
            parameters_json,
            permission,
            long_running,
            timeout_secs,
            needs_approval,
        };
        self.inner
            .register(spec, Arc::new(callback))
            .map_err(to_py_err)
    }

    /// Decorator form of `register`: `@tools.tool(description=..., parameters=...)` registers
    /// the function under its own name (or `name`), described by its docstring unless
    /// `description` is given, and returns it unchanged. `@tools.tool` works too.
    #[pyo3(signature = (name = None, *, description = None, parameters = None, permission = None, long_running = false, timeout_secs = None, needs_approval = false))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn tool<'py>(
        slf: &Bound<'py, Self>,
        name: Option<Bound<'py, PyAny>>,
        description: Option<String>,
        parameters: Option<Bound<'py, PyAny>>,
        permission: Option<String>,
        long_running: bool,
        timeout_secs: Option<u64>,
        needs_approval: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        aio::tool_decorator(slf.py())?.call1((
            slf,
            name,
            description,
            parameters,
            permission,
            long_running,
            timeout_secs,
            needs_approval,
        ))
    }

    /// Serves these tools (Relay's and the ones registered so far) to MCP clients over
    /// Streamable HTTP at `http` (default "127.0.0.1:0", a free port): an MCP client may read,
    /// and do what `allow` adds (session, write_repos, run_agent, manage_infra). With `token`,
    /// requests need `Authorization: Bearer <token>`. Python tools run on the event loop they
    /// were registered from. Returns the running `McpServer` (its `url`, `close()`).
    #[pyo3(signature = (*, http = None, token = None, allow = None, allow_hosts = None))]
    fn serve_mcp(
        &self,
        http: Option<String>,
        token: Option<String>,
        allow: Option<Vec<String>>,
        allow_hosts: Option<Vec<String>>,
    ) -> PyResult<PyMcpServer> {
        let options = McpServeOptions {
            http,
            token,
            allow: allow.unwrap_or_default(),
            allow_hosts: allow_hosts.unwrap_or_default(),
        };
        runtime::enter(|| self.inner.serve_mcp(options))
            .map(PyMcpServer::new)
            .map_err(to_py_err)
    }

    /// Answers approval questions from now on (see the stub).
    fn on_approval(&self, py: Python<'_>, callback: Bound<'_, PyAny>) -> PyResult<()> {
        let callback = crate::approval::PythonApproval::new(py, callback)?;
        self.inner.on_approval(Arc::new(callback));
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("<relay.Tools {} tools>", self.inner.specs().len())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTools>()
}
