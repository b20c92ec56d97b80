//! What to run: the prompt, where, and the agent options, built with [`AgentTask::builder`].

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the agent asks for permission before using tools (Claude Code's `--permission-mode`).
///
/// Note: the Claude Code CLI refuses [`PermissionMode::BypassPermissions`] when run as root;
/// prefer allowed tools or a [`PermissionPolicy`](super::PermissionPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PermissionMode {
    /// Ask (through the permission policy) for anything not allowed by rules.
    Default,
    /// Accept file edits without asking.
    AcceptEdits,
    /// Plan only; do not change anything.
    Plan,
    /// Never prompt; deny what is not pre-allowed.
    DontAsk,
    /// Skip all permission checks (refused by the CLI as root).
    BypassPermissions,
}

impl PermissionMode {
    /// The CLI's spelling of the mode.
    pub fn as_cli_str(self) -> &'static str {
        match self {
            PermissionMode::Default => "default",
            PermissionMode::AcceptEdits => "acceptEdits",
            PermissionMode::Plan => "plan",
            PermissionMode::DontAsk => "dontAsk",
            PermissionMode::BypassPermissions => "bypassPermissions",
        }
    }
}

impl std::str::FromStr for PermissionMode {
    type Err = String;

    /// Parses the CLI spelling (`default`, `acceptEdits`, `plan`, `dontAsk`,
    /// `bypassPermissions`); the error lists the valid ones.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            PermissionMode::Default,
            PermissionMode::AcceptEdits,
            PermissionMode::Plan,
            PermissionMode::DontAsk,
            PermissionMode::BypassPermissions,
        ]
        .into_iter()
        .find(|mode| mode.as_cli_str() == text)
        .ok_or_else(|| {
            format!(
                "unknown permission mode `{text}`; use default, acceptEdits, plan, dontAsk or \
                 bypassPermissions"
            )
        })
    }
}

/// One coding task for one repository.
///
/// ```
/// use relay_core::agent::AgentTask;
/// let task = AgentTask::builder("fix the failing test", "/tmp/backend")
///     .repo("backend")
///     .max_turns(8)
///     .allowed_tools(["Read", "Edit"])
///     .build();
/// assert_eq!(task.max_turns, Some(8));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentTask {
    /// The instruction for the agent.
    pub prompt: String,
    /// Working directory: the repository the agent works in.
    pub cwd: PathBuf,
    /// Name of the repository (used in events and the run summary).
    pub repo: Option<String>,
    /// Model name or alias.
    pub model: Option<String>,
    /// Maximum agentic turns.
    pub max_turns: Option<u32>,
    /// Maximum spend in USD for this run.
    pub max_budget_usd: Option<f64>,
    /// Permission mode.
    pub permission_mode: Option<PermissionMode>,
    /// Tools allowed without asking (`Read`, `Edit`, `Bash(git *)`, ...).
    pub allowed_tools: Vec<String>,
    /// Tools never allowed.
    pub disallowed_tools: Vec<String>,
    /// Extra directories the agent may access (the other repositories of a multi-repo run).
    pub add_dirs: Vec<PathBuf>,
    /// Text appended to the system prompt (the multi-repo context).
    pub append_system_prompt: Option<String>,
    /// MCP configuration: a JSON string or a path to a JSON file.
    pub mcp_config: Option<String>,
    /// Resume the conversation with this session id.
    pub resume_session_id: Option<String>,
    /// Ask for partial message stream events (`stream_event` frames).
    pub include_partial_messages: bool,
    /// Give up when no output arrives for this long.
    pub idle_timeout: Option<Duration>,
    /// Give up when the whole run takes longer than this.
    pub overall_timeout: Option<Duration>,
    /// Extra environment variables for the agent process (values redacted in `Debug`).
    #[serde(skip)]
    pub env: AgentEnv,
    /// For the shell agent: the command line to run (split into words, never through a shell).
    pub command: Option<Vec<String>>,
}

impl AgentTask {
    /// Starts building a task running `prompt` in `cwd`.
    pub fn builder(prompt: impl Into<String>, cwd: impl Into<PathBuf>) -> AgentTaskBuilder {
        AgentTaskBuilder {
            task: AgentTask {
                prompt: prompt.into(),
                cwd: cwd.into(),
                repo: None,
                model: None,
                max_turns: None,
                max_budget_usd: None,
                permission_mode: None,
                allowed_tools: Vec::new(),
                disallowed_tools: Vec::new(),
                add_dirs: Vec::new(),
                append_system_prompt: None,
                mcp_config: None,
                resume_session_id: None,
                include_partial_messages: false,
                idle_timeout: None,
                overall_timeout: None,
                env: AgentEnv::default(),
                command: None,
            },
        }
    }

    /// The repository name for events: the given name or the directory's file name.
    pub fn repo_name(&self) -> String {
        self.repo.clone().unwrap_or_else(|| {
            self.cwd
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }
}

/// Builder for [`AgentTask`].
#[derive(Debug, Clone)]
pub struct AgentTaskBuilder {
    task: AgentTask,
}

impl AgentTaskBuilder {
    /// Names the repository.
    pub fn repo(mut self, name: impl Into<String>) -> Self {
        self.task.repo = Some(name.into());
        self
    }
    /// Sets the model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.task.model = Some(model.into());
        self
    }
    /// Sets the maximum number of turns.
    pub fn max_turns(mut self, turns: u32) -> Self {
        self.task.max_turns = Some(turns);
        self
    }
    /// Sets the maximum budget in USD.
    pub fn max_budget_usd(mut self, usd: f64) -> Self {
        self.task.max_budget_usd = Some(usd);
        self
    }
    /// Sets the permission mode.
    pub fn permission_mode(mut self, mode: PermissionMode) -> Self {
        self.task.permission_mode = Some(mode);
        self
    }
    /// Adds tools allowed without asking.
    pub fn allowed_tools<I, S>(mut self, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.task
            .allowed_tools
            .extend(tools.into_iter().map(Into::into));
        self
    }
    /// Adds tools that are never allowed.
    pub fn disallowed_tools<I, S>(mut self, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.task
            .disallowed_tools
            .extend(tools.into_iter().map(Into::into));
        self
    }
    /// Adds a directory the agent may also access.
    pub fn add_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.task.add_dirs.push(dir.into());
        self
    }
    /// Appends text to the system prompt.
    pub fn append_system_prompt(mut self, text: impl Into<String>) -> Self {
        self.task.append_system_prompt = Some(text.into());
        self
    }
    /// Sets the MCP configuration (JSON text or a file path).
    pub fn mcp_config(mut self, config: impl Into<String>) -> Self {
        self.task.mcp_config = Some(config.into());
        self
    }
    /// Resumes an earlier session.
    pub fn resume(mut self, session_id: impl Into<String>) -> Self {
        self.task.resume_session_id = Some(session_id.into());
        self
    }
    /// Asks for partial message events.
    pub fn include_partial_messages(mut self, yes: bool) -> Self {
        self.task.include_partial_messages = yes;
        self
    }
    /// Sets the idle timeout (no output for this long ends the run).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.task.idle_timeout = Some(timeout);
        self
    }
    /// Sets the overall timeout.
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.task.overall_timeout = Some(timeout);
        self
    }
    /// Adds an environment variable for the agent process (values are never logged).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.task.env.0.push((key.into(), value.into()));
        self
    }
    /// Sets the command for the shell agent (program and arguments; no shell is involved).
    pub fn command<I, S>(mut self, argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.task.command = Some(argv.into_iter().map(Into::into).collect());
        self
    }
    /// Finishes the task.
    pub fn build(self) -> AgentTask {
        self.task
    }
}

/// Environment variables for an agent process. `Debug` shows the names only, since values are
/// often secrets (API keys).
#[derive(Clone, Default, PartialEq)]
pub struct AgentEnv(pub Vec<(String, String)>);

impl std::fmt::Debug for AgentEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, _)| (k, "<redacted>")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_environment_values() {
        let task = AgentTask::builder("p", "/r")
            .env("ANTHROPIC_API_KEY", "sk-ant-secret-value")
            .build();
        let text = format!("{task:?}");
        assert!(text.contains("ANTHROPIC_API_KEY"), "{text}");
        assert!(!text.contains("sk-ant-secret-value"), "{text}");
    }
}
