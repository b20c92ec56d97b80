//! Tools that need a person's approval, served over MCP. The MCP client is a model (Claude
//! Code, an IDE agent), never the person, so the model cannot approve: when the client declared
//! the elicitation capability, the question goes to the client's user through MCP elicitation
//! ([`ElicitingApprover`]); otherwise nobody can be asked and such calls are denied with what
//! the user can do instead. An approver the application gave the registry comes first. See
//! docs/mcp.md.

use std::sync::Arc;

use async_trait::async_trait;
use relay_core::approval::{
    AnswerSource, ApprovalAction, ApprovalAnswer, ApprovalRequest, Approver,
};
use relay_core::tools::ToolRegistry;
use rmcp::service::ElicitationMode;
use rmcp::{Peer, RoleServer};

use super::elicitation::ElicitingApprover;

/// Denies every approval request of an MCP server whose registry has no approver of its own
/// and whose client cannot be asked (it did not declare elicitation).
#[derive(Debug, Clone, Copy)]
pub struct NoApprovalOverMcp;

#[async_trait]
impl Approver for NoApprovalOverMcp {
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        ApprovalAnswer::denied(
            AnswerSource::Unavailable,
            format!(
                "{} needs a person's approval, which cannot be asked over MCP; the user can \
                 do it themselves (the relay command) or ask for it in relay voice or relay chat",
                action_name(&request.action)
            ),
        )
    }
}

/// The registry one call runs through: when the server asks over MCP (the application gave
/// no approver) and `peer` declared form elicitation, `registry` with an [`ElicitingApprover`]
/// for that client; else `registry` as it is.
pub(crate) fn registry_for_call(
    registry: &Arc<ToolRegistry>,
    elicit: bool,
    peer: &Peer<RoleServer>,
) -> Arc<ToolRegistry> {
    if elicit
        && peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
    {
        let approver = ElicitingApprover::new(peer.clone());
        Arc::new((**registry).clone().with_approver(Arc::new(approver)))
    } else {
        registry.clone()
    }
}

pub(crate) fn action_name(action: &ApprovalAction) -> &str {
    match action {
        ApprovalAction::Tool { name, .. } => name,
        ApprovalAction::AgentTool { tool_name, .. } => tool_name,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use relay_core::approval::{ApprovalDecision, FixedApprover};
    use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolRegistry, ToolSpec};
    use serde_json::{Value, json};

    use crate::server::McpServer;

    struct Merge;
    #[async_trait::async_trait]
    impl Tool for Merge {
        fn spec(&self) -> ToolSpec {
            ToolSpec::new(
                "merge",
                "Merges.",
                json!({"type": "object"}),
                Permission::WriteRepos,
            )
            .needs_approval()
        }
        async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
            Ok(json!({"merged": true}))
        }
    }

    #[tokio::test]
    async fn over_mcp_nobody_can_approve_unless_the_app_gave_an_approver() {
        let server = McpServer::new(Arc::new(ToolRegistry::new().with(Arc::new(Merge))));
        let out = server
            .registry()
            .invoke("merge", "{}", ToolContext::default())
            .await;
        assert_eq!(
            out.value["error"],
            "`merge` was not run: merge needs a person's approval, which cannot be asked over \
             MCP; the user can do it themselves (the relay command) or ask for it in relay \
             voice or relay chat"
        );
        let approved = ToolRegistry::new()
            .with(Arc::new(Merge))
            .with_approver(Arc::new(FixedApprover(ApprovalDecision::Allow)));
        let server = McpServer::new(Arc::new(approved));
        let out = server
            .registry()
            .invoke("merge", "{}", ToolContext::default())
            .await;
        assert!(out.ok, "{out:?}");
    }
}
