//! Tools that need a person's approval, served over MCP: the MCP client is a model (Claude
//! Code, an IDE agent), never the person, so nobody can be asked here and such calls are
//! denied with what the user can do instead. (MCP elicitation could put the question to the
//! client's user; rmcp supports it, Relay does not use it yet: see docs/mcp.md.)

use async_trait::async_trait;
use relay_core::approval::{AnswerSource, ApprovalAnswer, ApprovalRequest, Approver};

/// Denies every approval request of an MCP server whose registry has no approver of its own.
#[derive(Debug, Clone, Copy)]
pub struct NoApprovalOverMcp;

#[async_trait]
impl Approver for NoApprovalOverMcp {
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        let what = match &request.action {
            relay_core::approval::ApprovalAction::Tool { name, .. } => name.clone(),
            relay_core::approval::ApprovalAction::AgentTool { tool_name, .. } => tool_name.clone(),
        };
        ApprovalAnswer::denied(
            AnswerSource::Unavailable,
            format!(
                "{what} needs a person's approval, which cannot be asked over MCP; the user can \
                 do it themselves (the relay command) or ask for it in relay voice or relay chat"
            ),
        )
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
