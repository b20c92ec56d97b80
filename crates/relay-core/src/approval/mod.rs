//! Approvals: a person says yes or no before Relay does something hard to undo.
//!
//! Tools whose effect is hard to undo (destroying or rolling back an environment, pushing,
//! merging, force-syncing, deleting branches) and the coding agent's permission questions raise
//! an [`ApprovalRequest`]. An [`Approver`] answers it: a person through a button or their own
//! transcribed speech ([`ApprovalHub`]), a terminal prompt, a fixed policy for scripts
//! ([`FixedApprover`]), or an embedding application's callback. The model never answers: an
//! answer carries who gave it and how ([`AnswerSource`]), and no answer within the request's
//! timeout is a denial.

mod audit;
mod hub;
mod question;
mod scope;
mod speech;
mod voice;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use hub::{ApprovalError, ApprovalEvent, ApprovalHub};
pub use question::{agent_question, denial_hint, denial_reason};
pub use scope::Approvals;
pub use speech::parse_spoken_answer;
pub use voice::QuestionSpeaker;

/// How long a request waits for an answer before it is denied, unless configured otherwise.
pub const DEFAULT_APPROVAL_TIMEOUT: Duration = Duration::from_secs(60);

/// What a request asks permission for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalAction {
    /// One of Relay's tools, about to run with these arguments.
    Tool {
        /// Tool name (`env_down`, `merge_pull_requests`, ...).
        name: String,
        /// The arguments the model gave.
        arguments: Value,
    },
    /// The coding agent wants to use one of its own tools (`can_use_tool`).
    AgentTool {
        /// The repository the agent works in.
        repo: String,
        /// The agent's tool (`Bash`, `Write`, ...).
        tool_name: String,
        /// The tool's input.
        input: Value,
    },
}

/// A question for a person. Serialized as the `approval_requested` payload of every adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Unique id; answers name it.
    pub id: String,
    /// The question as it is spoken and shown: "Claude wants to run `npm publish` in frontend.
    /// Allow it?"
    pub question: String,
    /// What would happen on a yes.
    pub action: ApprovalAction,
    /// The user whose request led here (in a shared session, possibly a guest).
    pub requested_by: Option<String>,
    /// The conversation it belongs to, if any.
    pub session: Option<String>,
    /// Users who may answer; empty means anyone who can see the request.
    pub approvers: Vec<String>,
    /// How long it waits for an answer before it is denied, ms.
    pub timeout_ms: u64,
}

impl ApprovalRequest {
    /// A request with a fresh id, no session, anyone may answer, the default timeout.
    pub fn new(question: impl Into<String>, action: ApprovalAction) -> Self {
        ApprovalRequest {
            id: fresh_id(),
            question: question.into(),
            action,
            requested_by: None,
            session: None,
            approvers: Vec::new(),
            timeout_ms: DEFAULT_APPROVAL_TIMEOUT.as_millis() as u64,
        }
    }

    /// Sets who asked.
    pub fn requested_by(mut self, user: impl Into<String>) -> Self {
        self.requested_by = Some(user.into());
        self
    }

    /// Sets the conversation.
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// Restricts who may answer (a shared session's owner for a guest's write).
    pub fn approvers(mut self, users: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.approvers = users.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = timeout.as_millis() as u64;
        self
    }

    /// Whether `user` may answer this request.
    pub fn answerable_by(&self, user: Option<&str>) -> bool {
        self.approvers.is_empty() || user.is_some_and(|u| self.approvers.iter().any(|a| a == u))
    }
}

/// A person's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// Yes, this time ("yes", "only this once").
    Allow,
    /// Yes, and the same action needs no question again in this session ("always").
    AllowForSession,
    /// No.
    Deny,
}

impl ApprovalDecision {
    /// Whether the action may go ahead.
    pub fn allows(self) -> bool {
        !matches!(self, ApprovalDecision::Deny)
    }
}

/// Where an answer came from; audited with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// A button on a page or app.
    Button,
    /// The user's own transcribed speech (never the model's output).
    Voice,
    /// A terminal prompt.
    Terminal,
    /// A fixed policy (`--approve`), set before the request existed.
    Policy,
    /// The embedding application's approval callback.
    Callback,
    /// The user of an MCP client, asked through MCP elicitation (`elicitation/create`).
    McpElicitation,
    /// Nobody answered in time: denied.
    Timeout,
    /// Nobody could be asked (no approver, the conversation ended): denied.
    Unavailable,
}

/// The answer to an [`ApprovalRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalAnswer {
    /// Yes or no.
    pub decision: ApprovalDecision,
    /// The user who answered, when a person did.
    pub answered_by: Option<String>,
    /// How the answer was given.
    pub via: AnswerSource,
    /// Why, in words (for denials without a person: "nobody answered within 60 s").
    pub reason: Option<String>,
}

impl ApprovalAnswer {
    /// A person's answer.
    pub fn by(user: impl Into<String>, decision: ApprovalDecision, via: AnswerSource) -> Self {
        ApprovalAnswer {
            decision,
            answered_by: Some(user.into()),
            via,
            reason: None,
        }
    }

    /// A denial nobody gave (timeout, no approver), with the reason.
    pub fn denied(via: AnswerSource, reason: impl Into<String>) -> Self {
        ApprovalAnswer {
            decision: ApprovalDecision::Deny,
            answered_by: None,
            via,
            reason: Some(reason.into()),
        }
    }

    /// Whether the action may go ahead.
    pub fn allows(&self) -> bool {
        self.decision.allows()
    }
}

/// Answers approval requests. Implementations never let the model answer for the user.
#[async_trait]
pub trait Approver: Send + Sync {
    /// Asks; resolves with the answer, a denial when nobody answered within
    /// `request.timeout_ms`.
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer;
}

/// Answers every request the same way, set in advance (`--approve allow|deny` for scripts).
#[derive(Debug, Clone, Copy)]
pub struct FixedApprover(pub ApprovalDecision);

#[async_trait]
impl Approver for FixedApprover {
    async fn approve(&self, _request: ApprovalRequest) -> ApprovalAnswer {
        ApprovalAnswer {
            decision: self.0,
            answered_by: None,
            via: AnswerSource::Policy,
            reason: (self.0 == ApprovalDecision::Deny)
                .then(|| "denied by the approval policy; nobody was asked".to_string()),
        }
    }
}

/// "60 s", or "250 ms" under a second.
pub(crate) fn wait_words(wait: Duration) -> String {
    if wait >= Duration::from_secs(1) {
        format!("{} s", wait.as_secs())
    } else {
        format!("{} ms", wait.as_millis())
    }
}

fn fresh_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // The process id keeps ids of several servers sharing one store apart.
    format!(
        "approval-{:x}-{:x}-{n}",
        crate::event::now_ms(),
        std::process::id()
    )
}
