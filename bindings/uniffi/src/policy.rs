//! The agent's permission policy as a foreign trait: Kotlin implements
//! `interface PermissionPolicy { suspend fun decide(request: PermissionRequest): PermissionDecision }`
//! (Swift: `func decide(request:) async throws -> PermissionDecision`), and [`ForeignPolicy`]
//! adapts it to `relay::core::agent::PermissionPolicy`.
//!
//! `decide` is async on both sides: uniffi 0.32 runs a Kotlin `suspend` implementation in a
//! coroutine and completes the Rust future from it (dropping the Rust future cancels the
//! coroutine), so a policy may take as long as it needs (ask a person) without holding a thread.
//! A policy that throws denies the tool with the exception's text: the run goes on and the model
//! hears why.

use std::sync::Arc;

use async_trait::async_trait;
use relay::core::agent::{
    PermissionDecision as CoreDecision, PermissionPolicy as CorePolicy,
    PermissionRequest as CoreRequest,
};

/// A tool use the agent asks permission for.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PermissionRequest {
    /// Repository the agent works in.
    pub repo: String,
    /// Tool name (`Bash`, `Write`, `Edit`, ...).
    pub tool_name: String,
    /// The tool's input as a JSON object (e.g. `{"command": "ls"}` for `Bash`).
    pub input_json: String,
    /// Tool use id, when the agent gave one.
    pub tool_use_id: Option<String>,
    /// The agent's own short description of the action, when given.
    pub description: Option<String>,
}

impl From<&CoreRequest> for PermissionRequest {
    fn from(r: &CoreRequest) -> Self {
        PermissionRequest {
            repo: r.repo.clone(),
            tool_name: r.tool_name.clone(),
            input_json: r.input.to_string(),
            tool_use_id: r.tool_use_id.clone(),
            description: r.description.clone(),
        }
    }
}

/// A policy's answer.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum PermissionDecision {
    /// Let the tool run; `updated_input_json` (a JSON object) replaces the agent's input.
    Allow {
        /// A JSON object replacing the agent's input, or `None` to keep it.
        updated_input_json: Option<String>,
    },
    /// Refuse; `message` goes back to the model, so say why in words it can act on.
    Deny {
        /// Why the tool was refused, in words the model can act on.
        message: String,
    },
    /// Ask a person `question`. Bindings have no asker yet, so the tool is denied (with the
    /// question in the denial).
    Ask {
        /// What to ask the person.
        question: String,
    },
}

impl PermissionDecision {
    /// Converts to the core decision; an `updated_input_json` that is not a JSON object denies
    /// the tool (running it with input the policy did not mean would be worse).
    fn into_core(self) -> CoreDecision {
        match self {
            PermissionDecision::Allow {
                updated_input_json: None,
            } => CoreDecision::allow(),
            PermissionDecision::Allow {
                updated_input_json: Some(text),
            } => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(value) if value.is_object() => CoreDecision::Allow {
                    updated_input: Some(value),
                },
                Ok(_) | Err(_) => CoreDecision::deny(format!(
                    "the permission policy allowed the tool with updatedInputJson that is not a \
                     JSON object ({text:?}); the tool was not run. Fix the policy to return an \
                     object such as {{\"command\": \"ls\"}}, or null to keep the agent's input"
                )),
            },
            PermissionDecision::Deny { message } => CoreDecision::deny(message),
            PermissionDecision::Ask { question } => CoreDecision::ask(question),
        }
    }
}

/// Why a policy could not decide. Whatever a Kotlin or Swift implementation throws arrives here
/// and denies the tool with this text.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum PolicyError {
    /// The policy failed; `reason` says how.
    #[error("{reason}")]
    Failed {
        /// How the policy failed.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for PolicyError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        PolicyError::Failed { reason: e.reason }
    }
}

/// Decides whether the coding agent may use a tool. Implemented in Kotlin or Swift and passed to
/// `Workspace.runAgent`. Called on a background coroutine, possibly for several requests at once
/// when repositories run in parallel.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait PermissionPolicy: Send + Sync {
    /// Decides one request. May suspend as long as it needs (to ask a person). Throwing denies
    /// the tool with the exception's text.
    async fn decide(&self, request: PermissionRequest) -> Result<PermissionDecision, PolicyError>;
}

/// A foreign [`PermissionPolicy`] as the core's policy trait.
pub(crate) struct ForeignPolicy(pub Arc<dyn PermissionPolicy>);

#[async_trait]
impl CorePolicy for ForeignPolicy {
    async fn decide(&self, request: &CoreRequest) -> CoreDecision {
        match self.0.decide(request.into()).await {
            Ok(decision) => decision.into_core(),
            Err(PolicyError::Failed { reason }) => CoreDecision::deny(format!(
                "the permission policy failed, so {} was denied: {reason}",
                request.tool_name
            )),
        }
    }
}

impl ForeignPolicy {
    /// Wraps an optional foreign policy for the core.
    pub(crate) fn wrap(policy: Option<Arc<dyn PermissionPolicy>>) -> Option<Arc<dyn CorePolicy>> {
        policy.map(|p| Arc::new(ForeignPolicy(p)) as Arc<dyn CorePolicy>)
    }
}
