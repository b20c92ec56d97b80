//! [`ElicitingApprover`]: an approval request put to an MCP client's user with MCP elicitation
//! (`elicitation/create`, a form with one required yes/no field).

use std::time::Duration;

use async_trait::async_trait;
use relay_core::approval::{
    AnswerSource, ApprovalAnswer, ApprovalDecision, ApprovalRequest, Approver,
};
use rmcp::model::{
    BooleanSchema, ElicitRequestParams, ElicitationAction, ElicitationSchema,
    PrimitiveSchemaDefinition,
};
use rmcp::service::ServiceError;
use rmcp::{Peer, RoleServer};
use serde_json::Value;

use super::approval::action_name;
use super::elicitation_message::{message, wait_words};

/// The field of the elicitation form that carries the answer.
const APPROVE_FIELD: &str = "approve";

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

/// The client's name and version from `initialize` ("the MCP client" before that).
fn client_name(peer: &Peer<RoleServer>) -> String {
    peer.peer_info()
        .map(|info| {
            let c = &info.client_info;
            format!("the MCP client {} {}", c.name, c.version)
        })
        .unwrap_or_else(|| "the MCP client".into())
}
