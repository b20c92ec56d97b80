//! The coding agent of `relay run`, `relay voice` and `relay chat`: `--agent` and the options
//! applied to each of its runs.

use std::sync::Arc;
use std::time::Duration;

use relay_agent::claude::ClaudeCodeAgent;
use relay_agent::shell::ShellAgent;
use relay_core::agent::{AgentTask, CodingAgent, PermissionMode};

use crate::error::CliError;

/// Which coding agent runs tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentKind {
    /// The Claude Code CLI (`claude`, found via RELAY_CLAUDE_BIN or PATH).
    Claude,
    /// Runs the task as a command (split into words, no shell) in each repository; offline.
    Shell,
}

/// The agent and its per-run options.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// The coding agent (default: claude; shell for `relay chat`).
    #[arg(long, value_enum)]
    pub agent: Option<AgentKind>,
    /// Maximum agent turns per repository.
    #[arg(long, value_name = "N")]
    max_turns: Option<u32>,
    /// Maximum spend per repository in USD.
    #[arg(long, value_name = "USD")]
    max_budget_usd: Option<f64>,
    /// Tools the claude agent may use without asking (comma-separated, e.g. Read,Edit,Write).
    /// Anything else it asks for is denied: nobody is asked.
    #[arg(long, value_delimiter = ',', value_name = "TOOLS")]
    allowed_tools: Vec<String>,
    /// Permission mode for the claude agent: default, acceptEdits, plan, dontAsk.
    #[arg(long, value_name = "MODE")]
    permission_mode: Option<PermissionMode>,
    /// Stop an agent that prints nothing for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    idle_timeout: u64,
}

impl AgentArgs {
    /// The agent chosen, or `default`.
    pub fn kind(&self, default: AgentKind) -> AgentKind {
        self.agent.unwrap_or(default)
    }

    /// The task template: `prompt` with the options given, the claude `model` and a limit of
    /// `overall_timeout` seconds per run (flags each command names its own way: `relay voice`
    /// has a `--model` and a `--timeout` of its own).
    pub fn template(
        &self,
        prompt: &str,
        model: Option<&str>,
        overall_timeout: Option<u64>,
    ) -> AgentTask {
        let mut template = AgentTask::builder(prompt, ".")
            .allowed_tools(self.allowed_tools.iter().cloned())
            .idle_timeout(Duration::from_secs(self.idle_timeout));
        if let Some(model) = model {
            template = template.model(model);
        }
        if let Some(turns) = self.max_turns {
            template = template.max_turns(turns);
        }
        if let Some(budget) = self.max_budget_usd {
            template = template.max_budget_usd(budget);
        }
        if let Some(mode) = self.permission_mode {
            template = template.permission_mode(mode);
        }
        if let Some(secs) = overall_timeout {
            template = template.overall_timeout(Duration::from_secs(secs));
        }
        template.build()
    }

    /// Builds the agent. The claude agent keeps its default policy: tools outside
    /// `--allowed-tools` are denied, since no one is there to ask. A missing or too old
    /// `claude` is a usage error, reported before any repository is touched.
    pub async fn build(&self, default: AgentKind) -> Result<Arc<dyn CodingAgent>, CliError> {
        Ok(match self.kind(default) {
            AgentKind::Shell => Arc::new(ShellAgent::new()),
            AgentKind::Claude => {
                let claude = ClaudeCodeAgent::builder().build();
                claude
                    .check()
                    .await
                    .map_err(|e| CliError::usage(e.to_string()))?;
                Arc::new(claude)
            }
        })
    }
}
