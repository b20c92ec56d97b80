//! The coding agent of `relay run`, `relay voice` and `relay chat`: `--agent` and the options
//! applied to each of its runs, as a [`relay::AgentConfig`].

use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use relay::core::Workspace;
use relay::core::agent::PermissionMode;
use relay::{AgentChoice, AgentConfig, RelayMcpCommand};

/// `--agent`: one of [`AgentChoice::ALL`], parsed by `AgentChoice`'s own `FromStr`.
fn agent_choice() -> impl TypedValueParser<Value = AgentChoice> {
    PossibleValuesParser::new(AgentChoice::ALL.map(AgentChoice::as_str))
        .try_map(|name| name.parse::<AgentChoice>().map_err(|e| e.to_string()))
}

/// The agent and its per-run options.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// The coding agent: claude (the Claude Code CLI, found via RELAY_CLAUDE_BIN or PATH) or
    /// shell (runs the task as a command in each repository; offline). Default: claude; shell
    /// for `relay chat`.
    #[arg(long, value_name = "AGENT", value_parser = agent_choice())]
    pub agent: Option<AgentChoice>,
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
    /// Do not give the claude agent Relay's read tools (status, graph, impact) as the MCP
    /// server `relay`; by default it gets them in workspaces of more than one repository.
    #[arg(long)]
    no_mcp: bool,
}

impl AgentArgs {
    /// The agent chosen (or `default`) with the options given, the claude `model` and a limit of
    /// `timeout` seconds per run (flags each command names its own way: `relay voice` has a
    /// `--model` and a `--timeout` of its own). The claude agent keeps the facade's default
    /// policy: tools outside `--allowed-tools` are denied, since no one is there to ask.
    pub fn config(
        &self,
        default: AgentChoice,
        model: Option<&str>,
        timeout: Option<u64>,
    ) -> AgentConfig {
        let mut config = AgentConfig::new(self.agent.unwrap_or(default))
            .allowed_tools(self.allowed_tools.iter().cloned())
            .idle_timeout(Duration::from_secs(self.idle_timeout));
        if let Some(model) = model {
            config = config.model(model);
        }
        if let Some(turns) = self.max_turns {
            config = config.max_turns(turns);
        }
        if let Some(budget) = self.max_budget_usd {
            config = config.max_budget_usd(budget);
        }
        if let Some(mode) = self.permission_mode {
            config = config.permission_mode(mode);
        }
        if let Some(secs) = timeout {
            config = config.timeout(Duration::from_secs(secs));
        }
        config
    }

    /// `config` with Relay's tools as the claude agent's MCP server `relay` (this executable
    /// running `relay mcp` on `workspace`, read-only), unless `--no-mcp` was given or the
    /// workspace has a single repository (there is no graph to ask about).
    pub fn with_relay_mcp(&self, config: AgentConfig, workspace: &Workspace) -> AgentConfig {
        if self.no_mcp || workspace.graph().len() < 2 {
            return config;
        }
        let Ok(exe) = std::env::current_exe() else {
            tracing::warn!("cannot find the relay executable: the agent gets no MCP server");
            return config;
        };
        let target = workspace
            .config_file()
            .unwrap_or_else(|| workspace.root())
            .display()
            .to_string();
        config.relay_mcp(RelayMcpCommand::new(
            exe,
            ["mcp".to_string(), "--workspace".into(), target],
        ))
    }
}
