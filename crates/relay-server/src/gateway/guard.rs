//! Guests' tool calls in a shared session: the guest's own role still applies, and a guest's
//! request that needs more than reading is the owner's to approve.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use relay_core::approval::{ApprovalAction, ApprovalRequest, Approver};
use relay_core::team::{Caller, Role};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolRegistry, ToolSpec};
use serde_json::Value;

use super::approver::Speaker;

/// The guests of one conversation as its tools see them. The factory wraps the conversation's
/// registry with [`guard`](Self::guard); the gateway keeps the guest list and the speaker
/// up to date.
#[derive(Clone)]
pub struct GuestGuard {
    owner: String,
    speaker: Speaker,
    guests: Arc<Mutex<HashMap<String, Caller>>>,
    approver: Arc<dyn Approver>,
}

impl std::fmt::Debug for GuestGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestGuard")
            .field("owner", &self.owner)
            .field("guests", &self.lock().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl GuestGuard {
    pub(crate) fn new(owner: &str, speaker: Speaker, approver: Arc<dyn Approver>) -> Self {
        GuestGuard {
            owner: owner.to_string(),
            speaker,
            guests: Arc::new(Mutex::new(HashMap::new())),
            approver,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Caller>> {
        self.guests.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn admit(&self, guest: &Caller) {
        if guest.user != self.owner {
            self.lock().insert(guest.user.clone(), guest.clone());
        }
    }

    pub(crate) fn dismiss(&self, user: &str) {
        self.lock().remove(user);
    }

    /// `registry` (the owner's) with every tool checked against the speaking guest: a call
    /// while a guest speaks needs the guest's role to grant the tool's permission, and one
    /// that needs more than reading asks the owner first. The owner's own calls go straight
    /// through. Calls still run (and are audited) by `registry`.
    pub fn guard(&self, registry: ToolRegistry) -> ToolRegistry {
        let inner = Arc::new(registry);
        let tools = inner.specs().into_iter().map(|spec| {
            Arc::new(Guarded {
                spec,
                inner: inner.clone(),
                guard: self.clone(),
            }) as Arc<dyn Tool>
        });
        ToolRegistry::new().with_tools(tools)
    }
}

struct Guarded {
    spec: ToolSpec,
    inner: Arc<ToolRegistry>,
    guard: GuestGuard,
}

#[async_trait]
impl Tool for Guarded {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let speaker = self.guard.speaker.get();
        let guest = self.guard.lock().get(&speaker).cloned();
        if let Some(guest) = guest {
            let permission = self.spec.permission;
            if !guest.may(permission) {
                return Err(ToolError::RoleDenied {
                    tool: self.spec.name.clone(),
                    needed: permission,
                    user: guest.user.clone(),
                    role: guest.role,
                    needed_role: Role::least_granting(permission),
                });
            }
            if permission != Permission::Read {
                let request = ApprovalRequest::new(
                    format!(
                        "{} asks to run {}. Allow it?",
                        guest.user,
                        self.spec.name.replace('_', " ")
                    ),
                    ApprovalAction::Tool {
                        name: self.spec.name.clone(),
                        arguments: args.clone(),
                    },
                )
                .requested_by(guest.user.clone())
                .approvers([self.guard.owner.clone()]);
                let answer = self.guard.approver.approve(request).await;
                if !answer.allows() {
                    return Err(ToolError::Failed(format!(
                        "{} did not allow {}'s request to run {}{}",
                        self.guard.owner,
                        guest.user,
                        self.spec.name,
                        answer.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                    )));
                }
            }
        }
        let output = self
            .inner
            .invoke(&self.spec.name, &args.to_string(), ctx)
            .await;
        if output.ok {
            Ok(output.value)
        } else {
            Err(ToolError::Failed(
                output.value["error"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| output.value.to_string()),
            ))
        }
    }
}
