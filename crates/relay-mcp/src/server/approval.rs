//! Tools that need a person's approval, served over MCP. The MCP client is a model (Claude
//! Code, an IDE agent), never the person, so the model cannot approve: when the client declared
//! the elicitation capability, the question goes to the client's user through MCP elicitation
//! (`elicitation/create`, a form with one yes/no field); otherwise nobody can be asked and such
//! calls are denied with what the user can do instead. An approver the application gave the
//! registry comes first. See docs/mcp.md.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relay_core::approval::{
    AnswerSource, ApprovalAction, ApprovalAnswer, ApprovalDecision, ApprovalRequest, Approver,
};
use relay_core::tools::ToolRegistry;
use rmcp::model::{
    BooleanSchema, ElicitRequestParams, ElicitationAction, ElicitationSchema,
    PrimitiveSchemaDefinition,
};
use rmcp::service::{ElicitationMode, ServiceError};
use rmcp::{Peer, RoleServer};
use serde_json::Value;

/// The field of the elicitation form that carries the answer.
pub(crate) const APPROVE_FIELD: &str = "approve";

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

/// Asks the user of one MCP client through MCP elicitation. The answer is theirs: the client
/// shows the form to its user, and the model behind the client never sees the request.
pub struct ElicitingApprover {
    peer: Peer<RoleServer>,
}

impl std::fmt::Debug for ElicitingApprover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElicitingApprover")
            .field("client", &client_name(&self.peer))
            .finish()
    }
}

impl ElicitingApprover {
    /// Asks the user of the client at `peer` (which should have declared form elicitation;
    /// if it did not, every request is denied saying so).
    pub fn new(peer: Peer<RoleServer>) -> Self {
        ElicitingApprover { peer }
    }
}

#[async_trait]
impl Approver for ElicitingApprover {
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        let client = client_name(&self.peer);
        let limit = Duration::from_millis(request.timeout_ms);
        let params = ElicitRequestParams::FormElicitationParams {
            meta: None,
            message: message(&request),
            requested_schema: schema(),
        };
        let result = self
            .peer
            .create_elicitation_with_timeout(params, Some(limit))
            .await;
        let answer = |decision: ApprovalDecision, reason: String| ApprovalAnswer {
            decision,
            answered_by: request.requested_by.clone(),
            via: AnswerSource::McpElicitation,
            reason: Some(reason),
        };
        match result {
            Ok(result) => match result.action {
                ElicitationAction::Accept => match approved(result.content.as_ref()) {
                    Some(true) => answer(ApprovalDecision::Allow, format!("approved in {client}")),
                    Some(false) => answer(
                        ApprovalDecision::Deny,
                        format!("the user said no in {client}"),
                    ),
                    None => answer(
                        ApprovalDecision::Deny,
                        format!(
                            "{client} accepted the approval form without a yes/no `{APPROVE_FIELD}` \
                             field ({}); taken as no",
                            result
                                .content
                                .as_ref()
                                .map_or_else(|| "no content".to_owned(), Value::to_string)
                        ),
                    ),
                },
                ElicitationAction::Decline => answer(
                    ApprovalDecision::Deny,
                    format!("the user declined in {client}"),
                ),
                // Cancel, and whatever later protocol versions add: no.
                _ => answer(
                    ApprovalDecision::Deny,
                    format!("the user dismissed the question in {client}"),
                ),
            },
            Err(ServiceError::Timeout { .. }) => ApprovalAnswer::denied(
                AnswerSource::Timeout,
                format!("nobody answered in {client} within {}", wait_words(limit)),
            ),
            Err(e) => {
                tracing::warn!(approval = %request.id, client, error = %e, "MCP elicitation failed");
                ApprovalAnswer::denied(
                    AnswerSource::Unavailable,
                    format!(
                        "{} needs a person's approval and {client} could not ask its user ({e}); \
                         the user can do it themselves (the relay command) or ask for it in \
                         relay voice or relay chat",
                        action_name(&request.action)
                    ),
                )
            }
        }
    }
}

/// The answer in an accepted form: `Some(yes)` when the `approve` field is a boolean.
fn approved(content: Option<&Value>) -> Option<bool> {
    content?.get(APPROVE_FIELD)?.as_bool()
}

/// The form: one required yes/no field.
fn schema() -> ElicitationSchema {
    ElicitationSchema::builder()
        .required_property(
            APPROVE_FIELD,
            PrimitiveSchemaDefinition::Boolean(
                BooleanSchema::new()
                    .title("Allow it?")
                    .description("Yes runs it now; no (or declining) refuses it."),
            ),
        )
        .description("Relay asks for your approval")
        .build_unchecked()
}

/// What the client's user reads: the question, then the tool, a summary of its arguments,
/// what it acts on, who asked and how long the question waits.
pub(crate) fn message(request: &ApprovalRequest) -> String {
    let mut lines = vec![format!(
        "Relay asks for your approval: {}",
        request.question
    )];
    match &request.action {
        ApprovalAction::Tool { name, arguments } => {
            lines.push(format!("Tool: {name}"));
            lines.push(format!("Arguments: {}", summary(arguments)));
            if let Some(target) = target(arguments) {
                lines.push(format!("Target: {target}"));
            }
        }
        ApprovalAction::AgentTool {
            repo,
            tool_name,
            input,
        } => {
            lines.push(format!("Tool: {tool_name} (the coding agent's)"));
            lines.push(format!("Arguments: {}", summary(input)));
            lines.push(format!("Target: repository {repo}"));
        }
    }
    if let Some(user) = &request.requested_by {
        lines.push(format!("Requested by: {user}"));
    }
    lines.push(format!(
        "No answer within {} refuses it.",
        wait_words(Duration::from_millis(request.timeout_ms))
    ));
    lines.join("\n")
}

/// `key: value, ...`, each value at most 80 characters, the whole at most 300.
fn summary(arguments: &Value) -> String {
    let Some(object) = arguments.as_object().filter(|o| !o.is_empty()) else {
        return "none".into();
    };
    let text = object
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k}: {}", clip(&v, 80))
        })
        .collect::<Vec<_>>()
        .join(", ");
    clip(&text, 300)
}

/// What the call acts on, from the usual argument names.
fn target(arguments: &Value) -> Option<String> {
    let mut parts = Vec::new();
    for (key, word) in [
        ("name", ""),
        ("repo", "repository "),
        ("branch", "branch "),
        ("snapshot", "snapshot "),
    ] {
        if let Some(value) = arguments.get(key).and_then(Value::as_str) {
            parts.push(format!("{word}{value}"));
        }
    }
    if let Some(repos) = arguments.get("repos").and_then(Value::as_array) {
        let names: Vec<&str> = repos.iter().filter_map(Value::as_str).collect();
        if !names.is_empty() {
            parts.push(format!("repositories {}", names.join(", ")));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// "60 s", or "250 ms" under a second.
fn wait_words(wait: Duration) -> String {
    if wait >= Duration::from_secs(1) {
        format!("{} s", wait.as_secs())
    } else {
        format!("{} ms", wait.as_millis())
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn action_name(action: &ApprovalAction) -> &str {
    match action {
        ApprovalAction::Tool { name, .. } => name,
        ApprovalAction::AgentTool { tool_name, .. } => tool_name,
    }
}

/// The client's name and version from `initialize` ("the MCP client" before that).
fn client_name(peer: &Peer<RoleServer>) -> String {
    peer.peer_info()
        .map(|info| {
            let c = &info.client_info;
            format!("the MCP client {} {}", c.name, c.version)
        })
        .unwrap_or_else(|| "the MCP client".into())
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
