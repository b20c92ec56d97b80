//! The default [`CodingAgent`]: the Claude Code CLI (`claude`) driven as a subprocess.
//!
//! The CLI is spawned directly (never through a shell) in its own process group with
//! `--print --output-format stream-json --verbose --input-format stream-json
//! --permission-prompt-tool stdio`; the prompt goes to stdin as a stream-json user message after
//! the `initialize` control request. Tool permission requests (`can_use_tool`) are answered by the
//! configured [`PermissionPolicy`]. See `docs/agent.md` for the frames and the lifecycle.
//!
//! ```no_run
//! # async fn demo() -> Result<(), relay_core::agent::AgentError> {
//! use relay_core::agent::{AgentContext, AgentTask, CodingAgent, ToolRules};
//! use relay_agent::claude::ClaudeCodeAgent;
//! let agent = ClaudeCodeAgent::builder()
//!     .policy(ToolRules::new().allow("Read").allow("Edit"))
//!     .build();
//! let task = AgentTask::builder("fix the failing test", "/work/backend").max_turns(10).build();
//! let outcome = agent.run(task, AgentContext::new(|event| println!("{event:?}"))).await?;
//! println!("{:?} after {} turns, ${:.4}", outcome.status, outcome.num_turns, outcome.cost_usd);
//! # Ok(()) }
//! ```

mod args;
pub mod binary;
mod confine;
mod control;
pub mod decoder;

mod outcome;
mod session;
mod wire;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::OnceCell;

use relay_core::agent::{
    AgentContext, AgentEnv, AgentError, AgentOutcome, AgentTask, CodingAgent, PermissionAsker,
    PermissionPolicy,
};

pub use crate::lines::{DEFAULT_MAX_LINE_BYTES, LineError, LineReader};
pub use decoder::{Decoded, FrameDecoder, ResultFrame};

/// Settings shared by every run of one [`ClaudeCodeAgent`].
pub(crate) struct ClaudeConfig {
    binary: Option<PathBuf>,
    /// `None`: every tool outside `allowed_tools` is asked about when someone can be asked,
    /// denied otherwise.
    pub(crate) policy: Option<Arc<dyn PermissionPolicy>>,
    pub(crate) asker: Option<Arc<dyn PermissionAsker>>,
    pub(crate) env: AgentEnv,
    pub(crate) max_line_bytes: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) overall_timeout: Option<Duration>,
    pub(crate) exit_grace: Duration,
    pub(crate) permission_timeout: Duration,
    pub(crate) settings: Option<String>,
}

/// How long a permission question (the policy, then a person) may take before the tool is
/// denied: 60 s.
pub const DEFAULT_PERMISSION_TIMEOUT: Duration = Duration::from_secs(60);

/// The Claude Code CLI as a [`CodingAgent`]. Cheap to share (`Arc`) across concurrent runs.
pub struct ClaudeCodeAgent {
    config: ClaudeConfig,
    checked: OnceCell<(PathBuf, String)>,
}

impl std::fmt::Debug for ClaudeCodeAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaudeCodeAgent")
            .field("binary", &self.config.binary)
            .field("env", &self.config.env)
            .field("max_line_bytes", &self.config.max_line_bytes)
            .field("idle_timeout", &self.config.idle_timeout)
            .field("overall_timeout", &self.config.overall_timeout)
            .finish_non_exhaustive()
    }
}

impl ClaudeCodeAgent {
    /// Starts configuring an agent.
    pub fn builder() -> ClaudeCodeAgentBuilder {
        ClaudeCodeAgentBuilder {
            config: ClaudeConfig {
                binary: None,
                policy: None,
                asker: None,
                env: AgentEnv::default(),
                max_line_bytes: DEFAULT_MAX_LINE_BYTES,
                idle_timeout: Some(Duration::from_secs(600)),
                overall_timeout: None,
                exit_grace: Duration::from_secs(10),
                permission_timeout: DEFAULT_PERMISSION_TIMEOUT,
                settings: None,
            },
        }
    }

    /// Finds the binary and checks its version (once; later calls reuse the answer).
    /// Returns the binary path and its version.
    pub async fn check(&self) -> Result<(PathBuf, String), AgentError> {
        self.checked
            .get_or_try_init(|| async {
                let path = binary::locate(self.config.binary.as_deref())?;
                let version = binary::check_version(&path).await?;
                Ok((path, version))
            })
            .await
            .cloned()
    }
}

#[async_trait]
impl CodingAgent for ClaudeCodeAgent {
    fn name(&self) -> &str {
        "claude"
    }

    async fn run(&self, task: AgentTask, ctx: AgentContext) -> Result<AgentOutcome, AgentError> {
        let (binary, _) = self.check().await?;
        session::run(&self.config, &binary, task, ctx).await
    }
}

/// Builder for [`ClaudeCodeAgent`].
pub struct ClaudeCodeAgentBuilder {
    config: ClaudeConfig,
}

impl ClaudeCodeAgentBuilder {
    /// Uses this `claude` binary instead of `RELAY_CLAUDE_BIN` or PATH.
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.binary = Some(path.into());
        self
    }
    /// Sets the permission policy answering `can_use_tool` (default: deny everything not
    /// allowed by the task's `allowed_tools`).
    pub fn policy(mut self, policy: impl PermissionPolicy + 'static) -> Self {
        self.config.policy = Some(Arc::new(policy));
        self
    }
    /// Sets a shared permission policy.
    pub fn shared_policy(mut self, policy: Arc<dyn PermissionPolicy>) -> Self {
        self.config.policy = Some(policy);
        self
    }
    /// Sets who answers the policy's questions (a person, through voice or a UI).
    pub fn asker(mut self, asker: Arc<dyn PermissionAsker>) -> Self {
        self.config.asker = Some(asker);
        self
    }
    /// Adds an environment variable for every run (values are never logged).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.env.0.push((key.into(), value.into()));
        self
    }
    /// Largest stdout line accepted (default 256 MiB).
    pub fn max_line_bytes(mut self, bytes: usize) -> Self {
        self.config.max_line_bytes = bytes;
        self
    }
    /// Default idle timeout for runs whose task sets none (default 10 minutes).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.idle_timeout = timeout;
        self
    }
    /// Default overall timeout for runs whose task sets none (default: none).
    pub fn overall_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.overall_timeout = timeout;
        self
    }
    /// How long to wait for the CLI to exit after its result before killing it (default 10 s).
    pub fn exit_grace(mut self, grace: Duration) -> Self {
        self.config.exit_grace = grace;
        self
    }
    /// How long the permission policy, and then a person it asks, may each take to answer a
    /// tool permission question before the tool is denied (default
    /// [`DEFAULT_PERMISSION_TIMEOUT`]).
    pub fn permission_timeout(mut self, timeout: Duration) -> Self {
        self.config.permission_timeout = timeout;
        self
    }
    /// Extra Claude Code settings for every run, as JSON or a settings file path (the CLI's
    /// `--settings`). The way to turn on the CLI's own sandbox for `Bash`, which Relay's path
    /// checks do not cover, where the installed CLI supports it, e.g.
    /// `{"sandbox": {"enabled": true, "autoAllowBashIfSandboxed": false}}` (on Linux the CLI
    /// needs `bubblewrap` for it). See docs/agent.md.
    pub fn settings(mut self, settings: impl Into<String>) -> Self {
        self.config.settings = Some(settings.into());
        self
    }
    /// Finishes the agent.
    pub fn build(self) -> ClaudeCodeAgent {
        ClaudeCodeAgent {
            config: self.config,
            checked: OnceCell::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_environment_values() {
        let agent = ClaudeCodeAgent::builder()
            .env("ANTHROPIC_API_KEY", "sk-ant-secret-value")
            .build();
        assert!(!format!("{agent:?}").contains("sk-ant-secret-value"));
    }
}
