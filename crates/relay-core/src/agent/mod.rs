//! Coding agents: the `CodingAgent` trait, the Claude Code adapter and the shell agent.
//!
//! Only the event type lives here until the agent capability lands.

use serde::{Deserialize, Serialize};

/// An event from a coding agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// Text the agent wrote.
    Text {
        /// The text.
        text: String,
    },
}
