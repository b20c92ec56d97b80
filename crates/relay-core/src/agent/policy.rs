//! Who decides whether the agent may use a tool: the embedding app's permission policy.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A tool use the agent asks permission for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionRequest {
    /// Repository the agent works in.
    pub repo: String,
    /// Tool name (`Bash`, `Write`, ...).
    pub tool_name: String,
    /// Tool input.
    pub input: Value,
    /// Tool use id, when the agent gave one.
    pub tool_use_id: Option<String>,
    /// The agent's own short description of the action, when given.
    pub description: Option<String>,
}

/// A policy's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum PermissionDecision {
    /// Let the tool run (optionally with changed input).
    Allow {
        /// Replacement input; `None` keeps the agent's input.
        updated_input: Option<Value>,
    },
    /// Refuse; the message goes back to the model.
    Deny {
        /// Why, in words the model can act on.
        message: String,
    },
    /// Ask a person this question (the voice layer speaks it) through the
    /// [`PermissionAsker`]; without one, the tool is denied.
    Ask {
        /// The question.
        question: String,
    },
}

impl PermissionDecision {
    /// Allow unchanged.
    pub fn allow() -> Self {
        PermissionDecision::Allow {
            updated_input: None,
        }
    }
    /// Deny with a message.
    pub fn deny(message: impl Into<String>) -> Self {
        PermissionDecision::Deny {
            message: message.into(),
        }
    }
    /// Ask a person.
    pub fn ask(question: impl Into<String>) -> Self {
        PermissionDecision::Ask {
            question: question.into(),
        }
    }
}

/// Decides tool permissions for an agent run.
#[async_trait]
pub trait PermissionPolicy: Send + Sync {
    /// Decides one request. May take as long as it needs (a person may be asked).
    async fn decide(&self, request: &PermissionRequest) -> PermissionDecision;
}

/// Answers the questions of [`PermissionDecision::Ask`]: a person, through voice or a UI.
#[async_trait]
pub trait PermissionAsker: Send + Sync {
    /// Asks `question` about `request`; returns `Allow` or `Deny` (an `Ask` answer is a denial).
    async fn ask(&self, request: &PermissionRequest, question: &str) -> PermissionDecision;
}

/// Allows every tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

#[async_trait]
impl PermissionPolicy for AllowAll {
    async fn decide(&self, _request: &PermissionRequest) -> PermissionDecision {
        PermissionDecision::allow()
    }
}

/// Asks a person about every tool ("Claude wants to run `npm publish` in frontend. Allow
/// it?", see [`agent_question`](crate::approval::agent_question)). The default policy of an
/// agent run whose caller can be asked (an approver or a [`PermissionAsker`] is set).
#[derive(Debug, Clone, Copy, Default)]
pub struct AskAll;

#[async_trait]
impl PermissionPolicy for AskAll {
    async fn decide(&self, request: &PermissionRequest) -> PermissionDecision {
        PermissionDecision::ask(crate::approval::agent_question(request))
    }
}

/// Denies every tool with one message. The default when no policy is configured.
#[derive(Debug, Clone)]
pub struct DenyAll {
    message: String,
}

impl DenyAll {
    /// Denies with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl Default for DenyAll {
    fn default() -> Self {
        Self::new(
            "no permission policy is configured for this agent run; \
             allow the tool with allowed_tools or set a PermissionPolicy",
        )
    }
}

#[async_trait]
impl PermissionPolicy for DenyAll {
    async fn decide(&self, _request: &PermissionRequest) -> PermissionDecision {
        PermissionDecision::deny(self.message.clone())
    }
}

/// Decides by tool name: listed tools are allowed, denied or asked about; others get `otherwise`.
#[derive(Debug, Clone)]
pub struct ToolRules {
    allow: Vec<String>,
    deny: Vec<String>,
    ask: Vec<String>,
    otherwise: PermissionDecision,
}

impl ToolRules {
    /// Rules where unlisted tools are denied.
    pub fn new() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            ask: Vec::new(),
            otherwise: PermissionDecision::deny("this tool is not allowed by the permission rules"),
        }
    }
    /// Allows a tool.
    pub fn allow(mut self, tool: impl Into<String>) -> Self {
        self.allow.push(tool.into());
        self
    }
    /// Denies a tool.
    pub fn deny(mut self, tool: impl Into<String>) -> Self {
        self.deny.push(tool.into());
        self
    }
    /// Asks a person about a tool.
    pub fn ask(mut self, tool: impl Into<String>) -> Self {
        self.ask.push(tool.into());
        self
    }
    /// Sets the decision for unlisted tools.
    pub fn otherwise(mut self, decision: PermissionDecision) -> Self {
        self.otherwise = decision;
        self
    }
}

impl Default for ToolRules {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl PermissionPolicy for ToolRules {
    async fn decide(&self, request: &PermissionRequest) -> PermissionDecision {
        let name = &request.tool_name;
        if self.deny.contains(name) {
            PermissionDecision::deny(format!("{name} is denied by the permission rules"))
        } else if self.allow.contains(name) {
            PermissionDecision::allow()
        } else if self.ask.contains(name) {
            PermissionDecision::ask(crate::approval::agent_question(request))
        } else {
            self.otherwise.clone()
        }
    }
}
