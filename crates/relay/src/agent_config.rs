//! The coding agent: which one ([`AgentChoice`]), with which options ([`AgentConfig`]), built
//! once ([`Agent`]) and run across repositories ([`run_agent`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use relay_agent::claude::ClaudeCodeAgent;
use relay_agent::shell::ShellAgent;
use relay_core::agent::run::{AgentRunOptions, RunReport, run_across_repos};
use relay_core::agent::{AgentEnv, AgentTask, CodingAgent, PermissionMode, PermissionPolicy};
use relay_core::approval::{Approvals, Approver};
use relay_core::repo::RepoSelection;
use relay_core::{Job, JobFailure, RepoGraph};

use crate::Error;

/// Which coding agent runs tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AgentChoice {
    /// The Claude Code CLI (`claude`): [`AgentConfig::claude_binary`], else `RELAY_CLAUDE_BIN`,
    /// else PATH.
    #[default]
    Claude,
    /// Runs the task as a command line (split into words, no shell) in each repository; offline.
    Shell,
}

impl AgentChoice {
    /// Every agent, in the order a help text lists them: for parsers that show the choices
    /// (e.g. a CLI flag's possible values), each named by [`AgentChoice::as_str`].
    pub const ALL: [AgentChoice; 2] = [AgentChoice::Claude, AgentChoice::Shell];

    /// The agent's name: `claude` or `shell`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentChoice::Claude => "claude",
            AgentChoice::Shell => "shell",
        }
    }
}

impl std::fmt::Display for AgentChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AgentChoice {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "claude" => Ok(AgentChoice::Claude),
            "shell" => Ok(AgentChoice::Shell),
            other => Err(Error::usage(format!(
                "unknown agent `{other}`; use \"claude\" (Claude Code) or \"shell\" (runs the \
                 prompt as a command)"
            ))),
        }
    }
}

/// Seconds an agent may stay silent before it is stopped, when the configuration does not say.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// The agent options a durable agent run keeps in its job so that `relay jobs resume` and
/// workers run it as it was started: tools allowed and denied, permission mode, limits, and
/// Relay's own MCP server.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AgentOptions {
    /// Tools the claude agent may use without asking.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_tools: Vec<String>,
    /// Tools it may never use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disallowed_tools: Vec<String>,
    /// Its permission mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<PermissionMode>,
    /// Maximum turns per repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    /// Maximum spend per repository in USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_budget_usd: Option<f64>,
    /// Stop an agent silent for this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<u64>,
    /// The command serving Relay's tools to the agent over MCP, when the run had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_mcp: Option<RelayMcpCommand>,
}

/// The agent and the options applied to each of its runs. Built with chained setters from
/// [`AgentConfig::new`]; `Debug` shows the names of `env` variables, never their values.
///
/// ```
/// use std::time::Duration;
/// use relay::{AgentChoice, AgentConfig};
/// let config = AgentConfig::new(AgentChoice::Claude)
///     .model("claude-sonnet-4-5")
///     .max_turns(20)
///     .allowed_tools(["Read", "Edit"])
///     .timeout(Duration::from_secs(900));
/// let task = config.template("fix the failing test");
/// assert_eq!(task.max_turns, Some(20));
/// ```
#[derive(Clone, Default)]
pub struct AgentConfig {
    choice: AgentChoice,
    model: Option<String>,
    max_turns: Option<u32>,
    max_budget_usd: Option<f64>,
    allowed_tools: Vec<String>,
    disallowed_tools: Vec<String>,
    permission_mode: Option<PermissionMode>,
    idle_timeout: Option<Duration>,
    timeout: Option<Duration>,
    claude_binary: Option<PathBuf>,
    env: Vec<(String, String)>,
    policy: Option<Arc<dyn PermissionPolicy>>,
    approver: Option<Arc<dyn Approver>>,
    permission_timeout: Option<Duration>,
    claude_settings: Option<String>,
    relay_mcp: Option<RelayMcpCommand>,
}

impl AgentConfig {
    /// `choice` with every default: Claude Code's own model, no turn or budget limit, every
    /// tool outside `allowed_tools` denied (nobody is asked), stopped after 600 s of silence.
    pub fn new(choice: AgentChoice) -> Self {
        Self {
            choice,
            ..Self::default()
        }
    }

    /// Which agent this is.
    pub fn choice(&self) -> AgentChoice {
        self.choice
    }

    /// The Claude Code model chosen, if any.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The per-repository time limit, if any.
    pub fn timeout_duration(&self) -> Option<Duration> {
        self.timeout
    }

    /// The options a durable job keeps to resume the run the same way (the model and time
    /// limit are kept apart, in the job's spec).
    pub fn kept_options(&self) -> AgentOptions {
        AgentOptions {
            allowed_tools: self.allowed_tools.clone(),
            disallowed_tools: self.disallowed_tools.clone(),
            permission_mode: self.permission_mode,
            max_turns: self.max_turns,
            max_budget_usd: self.max_budget_usd,
            idle_timeout_secs: self.idle_timeout.map(|d| d.as_secs()),
            relay_mcp: self.relay_mcp.clone(),
        }
    }

    /// `self` with the kept `options` applied (see [`kept_options`](Self::kept_options)).
    pub fn with_kept_options(mut self, options: &AgentOptions) -> Self {
        self.allowed_tools = options.allowed_tools.clone();
        self.disallowed_tools = options.disallowed_tools.clone();
        self.permission_mode = options.permission_mode.or(self.permission_mode);
        self.max_turns = options.max_turns.or(self.max_turns);
        self.max_budget_usd = options.max_budget_usd.or(self.max_budget_usd);
        if let Some(secs) = options.idle_timeout_secs {
            self.idle_timeout = Some(Duration::from_secs(secs));
        }
        // The program may be gone (another installation resumes the job): the run goes on
        // without Relay's tools rather than failing to start its agent.
        match &options.relay_mcp {
            Some(mcp) if mcp.program.exists() => self.relay_mcp = Some(mcp.clone()),
            Some(mcp) => tracing::warn!(
                program = %mcp.program.display(),
                "the job's MCP server program is gone: the resumed agent gets no Relay tools"
            ),
            None => {}
        }
        self
    }

    /// Model for Claude Code.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Maximum agent turns per repository.
    pub fn max_turns(mut self, turns: u32) -> Self {
        self.max_turns = Some(turns);
        self
    }

    /// Maximum spend per repository in USD.
    pub fn max_budget_usd(mut self, usd: f64) -> Self {
        self.max_budget_usd = Some(usd);
        self
    }

    /// Tools Claude Code may use without asking the permission policy.
    pub fn allowed_tools(mut self, tools: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.allowed_tools = tools.into_iter().map(Into::into).collect();
        self
    }

    /// Tools Claude Code may never use.
    pub fn disallowed_tools(mut self, tools: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.disallowed_tools = tools.into_iter().map(Into::into).collect();
        self
    }

    /// Claude Code's permission mode.
    pub fn permission_mode(mut self, mode: PermissionMode) -> Self {
        self.permission_mode = Some(mode);
        self
    }

    /// Stop an agent that prints nothing for this long (default [`DEFAULT_IDLE_TIMEOUT`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Stop an agent run (in one repository) that lasts longer than this.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The `claude` binary (default: `RELAY_CLAUDE_BIN`, then PATH).
    pub fn claude_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.claude_binary = Some(path.into());
        self
    }

    /// Extra environment for the agent process (an API key from the embedding app,
    /// `ANTHROPIC_BASE_URL`). Values never appear in logs or errors.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Answers Claude Code's permission requests for tools outside `allowed_tools` (without
    /// one they are denied: nobody is there to ask).
    pub fn policy(mut self, policy: Arc<dyn PermissionPolicy>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Puts Claude Code's permission questions to `approver` (a person: a terminal prompt, a
    /// page's buttons, an application's callback): "Claude wants to run `npm publish` in
    /// frontend. Allow it?". Without a [`policy`](Self::policy), every tool outside
    /// `allowed_tools` is asked about. Runs started by the `run_agent_task` tool of a registry
    /// with an approver ask that one without this.
    pub fn approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = Some(approver);
        self
    }

    /// How long the permission policy (and a person it asks) may take per question before the
    /// tool is denied (default 60 s).
    pub fn permission_timeout(mut self, timeout: Duration) -> Self {
        self.permission_timeout = Some(timeout);
        self
    }

    /// Extra Claude Code settings (JSON or a file path, the CLI's `--settings`), e.g. its
    /// sandbox for `Bash`: `{"sandbox": {"enabled": true}}`. See docs/agent.md.
    pub fn claude_settings(mut self, settings: impl Into<String>) -> Self {
        self.claude_settings = Some(settings.into());
        self
    }

    /// Gives Claude Code Relay's tools as an MCP server named `relay` (its tools are
    /// `mcp__relay__<tool>`, allowed without asking: the server itself enforces what it was
    /// granted), started by `command` over stdio. The shell agent ignores it.
    pub fn relay_mcp(mut self, command: RelayMcpCommand) -> Self {
        self.relay_mcp = Some(command);
        self
    }

    /// The MCP server given to Claude Code, if any.
    pub fn relay_mcp_command(&self) -> Option<&RelayMcpCommand> {
        self.relay_mcp.as_ref()
    }

    /// The task for one repository: `prompt` with these options (its working directory is
    /// filled in per repository by the orchestration).
    pub fn template(&self, prompt: impl Into<String>) -> AgentTask {
        let mut allowed = self.allowed_tools.clone();
        if self.relay_mcp.is_some() && self.choice == AgentChoice::Claude {
            allowed.push(RelayMcpCommand::ALLOW_RULE.into());
        }
        let mut task = AgentTask::builder(prompt, ".")
            .allowed_tools(allowed)
            .disallowed_tools(self.disallowed_tools.iter().cloned())
            .idle_timeout(self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT));
        if let Some(model) = &self.model {
            task = task.model(model.clone());
        }
        if let Some(turns) = self.max_turns {
            task = task.max_turns(turns);
        }
        if let Some(budget) = self.max_budget_usd {
            task = task.max_budget_usd(budget);
        }
        if let Some(mode) = self.permission_mode {
            task = task.permission_mode(mode);
        }
        if let Some(timeout) = self.timeout {
            task = task.overall_timeout(timeout);
        }
        for (key, value) in &self.env {
            task = task.env(key.clone(), value.clone());
        }
        if let Some(mcp) = &self.relay_mcp
            && self.choice == AgentChoice::Claude
        {
            task = task.mcp_config(mcp.claude_config());
        }
        task.build()
    }

    /// Builds the agent. Cheap: nothing is spawned until a run (see [`Agent::check`]).
    pub fn build(&self) -> Agent {
        match self.choice {
            AgentChoice::Shell => Agent::Shell(Arc::new(ShellAgent::new())),
            AgentChoice::Claude => {
                let mut builder = ClaudeCodeAgent::builder();
                if let Some(binary) = &self.claude_binary {
                    builder = builder.binary(binary.clone());
                }
                if let Some(policy) = &self.policy {
                    builder = builder.shared_policy(policy.clone());
                }
                if let Some(approver) = &self.approver {
                    let mut approvals = Approvals::new(approver.clone());
                    if let Some(timeout) = self.permission_timeout {
                        approvals = approvals.timeout(timeout);
                    }
                    builder = builder.asker(Arc::new(approvals));
                }
                if let Some(timeout) = self.permission_timeout {
                    builder = builder.permission_timeout(timeout);
                }
                if let Some(settings) = &self.claude_settings {
                    builder = builder.settings(settings.clone());
                }
                Agent::Claude(Arc::new(builder.build()))
            }
        }
    }
}

impl std::fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConfig")
            .field("choice", &self.choice)
            .field("model", &self.model)
            .field("max_turns", &self.max_turns)
            .field("max_budget_usd", &self.max_budget_usd)
            .field("allowed_tools", &self.allowed_tools)
            .field("disallowed_tools", &self.disallowed_tools)
            .field("permission_mode", &self.permission_mode)
            .field("idle_timeout", &self.idle_timeout)
            .field("timeout", &self.timeout)
            .field("claude_binary", &self.claude_binary)
            .field("env", &AgentEnv(self.env.clone()))
            .field("policy", &self.policy.as_ref().map(|_| "<policy>"))
            .field("approver", &self.approver.is_some())
            .field("relay_mcp", &self.relay_mcp)
            .finish()
    }
}

/// The command that serves Relay's tools over MCP on stdio for the coding agent: typically the
/// `relay` executable with `mcp --workspace <root>` (what `relay run` passes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RelayMcpCommand {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

impl RelayMcpCommand {
    /// The MCP server's name as the agent sees it: its tools are `mcp__relay__<tool>`.
    pub const SERVER_NAME: &'static str = "relay";
    /// The Claude Code permission rule allowing every tool of that server.
    pub const ALLOW_RULE: &'static str = "mcp__relay";

    /// `program` with `args`.
    pub fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// The `--mcp-config` JSON Claude Code reads: one stdio server named `relay`.
    pub fn claude_config(&self) -> String {
        serde_json::json!({
            "mcpServers": {
                Self::SERVER_NAME: {
                    "type": "stdio",
                    "command": self.program.display().to_string(),
                    "args": self.args,
                }
            }
        })
        .to_string()
    }
}

/// A built agent, kept concrete so that Claude Code can be checked before a run starts.
#[derive(Clone)]
pub enum Agent {
    /// Claude Code.
    Claude(Arc<ClaudeCodeAgent>),
    /// The shell agent.
    Shell(Arc<ShellAgent>),
}

impl Agent {
    /// Fails when the agent cannot run at all (Claude Code missing or too old), before any
    /// repository is touched.
    pub async fn check(&self) -> Result<(), Error> {
        match self {
            Agent::Claude(claude) => claude.check().await.map(drop).map_err(Into::into),
            Agent::Shell(_) => Ok(()),
        }
    }

    /// The agent as the trait object the orchestration and the tools take.
    pub fn as_dyn(&self) -> Arc<dyn CodingAgent> {
        match self {
            Agent::Claude(claude) => claude.clone(),
            Agent::Shell(shell) => shell.clone(),
        }
    }
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_dyn().name())
    }
}

/// One task to run across repositories.
#[derive(Debug, Clone)]
pub struct AgentRun {
    /// A prompt for Claude Code, a command line for the shell agent.
    pub prompt: String,
    /// Which repositories (all by default).
    pub repos: RepoSelection,
    /// Most repositories worked on at once within a dependency batch (at least 1).
    pub jobs: usize,
    /// Run a repository even when one of its dependencies failed.
    pub keep_going: bool,
}

impl AgentRun {
    /// `prompt` in every repository, one at a time, stopping dependents of a failure.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            repos: RepoSelection::All,
            jobs: 1,
            keep_going: false,
        }
    }

    /// Which repositories.
    pub fn repos(mut self, repos: RepoSelection) -> Self {
        self.repos = repos;
        self
    }

    /// Most repositories at once within a dependency batch (0 counts as 1).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Run a repository even when one of its dependencies failed.
    pub fn keep_going(mut self, keep_going: bool) -> Self {
        self.keep_going = keep_going;
        self
    }
}

/// Starts `run` through the agent `config` describes, in dependency order. Unknown repository
/// names fail here, before anything starts; a missing `claude` fails the job before any
/// repository is touched. Events: progress, every agent event, one `repo_finished` per
/// repository. A cancelled job fails with [`JobFailure::Cancelled`] (the repositories finished
/// before are in the events). Must run inside a tokio runtime.
pub fn run_agent(
    graph: Arc<dyn RepoGraph>,
    config: &AgentConfig,
    run: AgentRun,
) -> Result<Job<RunReport, Error>, Error> {
    run.repos.resolve(graph.workspace())?;
    let agent = config.build();
    let options = AgentRunOptions::new(config.template(run.prompt))
        .repos(run.repos)
        .jobs(run.jobs.max(1))
        .keep_going(run.keep_going);
    Ok(Job::spawn("agent run", move |ctx| async move {
        agent.check().await?;
        let report = ctx
            .forward(run_across_repos(graph, agent.as_dyn(), options))
            .await?;
        // The orchestration reports a cancelled run as repositories marked `cancelled`; the
        // caller is promised that a cancelled job fails with `cancelled`.
        if ctx.is_cancelled() {
            return Err(JobFailure::Cancelled.into());
        }
        Ok(report)
    }))
}

/// Continues the agent session `session` (Claude Code's `--resume`) in `repo` with `prompt`:
/// how a durable agent run finishes the repository its process died in.
pub(crate) fn run_agent_resuming(
    graph: Arc<dyn RepoGraph>,
    config: &AgentConfig,
    prompt: &str,
    repo: &str,
    session: &str,
) -> Result<Job<RunReport, Error>, Error> {
    let agent = config.build();
    let mut template = config.template(prompt);
    template.resume_session_id = Some(session.to_owned());
    let options = AgentRunOptions::new(template)
        .repos(RepoSelection::Named(vec![repo.to_owned()]))
        .jobs(1);
    Ok(Job::spawn("agent run", move |ctx| async move {
        agent.check().await?;
        let report = ctx
            .forward(run_across_repos(graph, agent.as_dyn(), options))
            .await?;
        if ctx.is_cancelled() {
            return Err(JobFailure::Cancelled.into());
        }
        Ok(report)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_name_parses_back() {
        for choice in AgentChoice::ALL {
            assert_eq!(choice.to_string().parse::<AgentChoice>().unwrap(), choice);
        }
        assert!("codex".parse::<AgentChoice>().unwrap_err().is_usage());
    }
}
