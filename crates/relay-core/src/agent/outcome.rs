//! How an agent run ended.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Final state of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// The agent finished the task.
    Success,
    /// The agent stopped with an error result (max turns, budget, API error, ...).
    Failed,
    /// The run was interrupted on request.
    Interrupted,
}

/// A tool use the permission policy or the agent's rules denied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionDenial {
    /// Tool name.
    pub tool_name: String,
    /// Tool use id.
    pub tool_use_id: Option<String>,
    /// Tool input.
    pub tool_input: Value,
}

/// Token counts for a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Tokens read from the prompt cache.
    pub cache_read_input_tokens: u64,
    /// Tokens written to the prompt cache.
    pub cache_creation_input_tokens: u64,
}

/// The result of a run that reached its end (a `result` frame, or the command's exit for the
/// shell agent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentOutcome {
    /// How it ended.
    pub status: AgentStatus,
    /// The agent's result subtype (`success`, `error_max_turns`, ...; `exit` for the shell agent).
    pub subtype: String,
    /// Session id, usable to resume.
    pub session_id: Option<String>,
    /// Turns used.
    pub num_turns: u32,
    /// Cost of this run in USD (never a cumulative session total).
    pub cost_usd: f64,
    /// Wall time of the run in milliseconds, as the agent reported it.
    pub duration_ms: u64,
    /// Final text.
    pub result_text: Option<String>,
    /// Tool uses that were denied.
    pub permission_denials: Vec<PermissionDenial>,
    /// Token usage.
    pub usage: TokenUsage,
    /// What went wrong, for failed runs (says what to do where we know).
    pub error: Option<String>,
}

impl AgentOutcome {
    /// Whether the run succeeded.
    pub fn is_success(&self) -> bool {
        self.status == AgentStatus::Success
    }
}
