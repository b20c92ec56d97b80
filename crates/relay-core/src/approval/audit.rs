//! The audit entry of one approval: the request and its answer, who answered and how.

use std::time::Duration;

use serde_json::json;

use super::{ApprovalAction, ApprovalAnswer, ApprovalRequest};
use crate::store::{AuditEntry, AuditOutcome};
use crate::team::Caller;

/// The entry for `request` answered with `answer`: kind `approval`, action the tool's name
/// (`agent:<Tool>` for the coding agent's tools), outcome `ok` when allowed and `denied`
/// otherwise; `args` carry the question, the action's arguments (secrets redacted), who asked,
/// who answered, how and why.
pub(super) fn entry(
    request: &ApprovalRequest,
    answer: &ApprovalAnswer,
    caller: Option<&Caller>,
    at_ms: u64,
    waited: Duration,
) -> AuditEntry {
    let (action, arguments) = match &request.action {
        ApprovalAction::Tool { name, arguments } => (name.clone(), arguments.clone()),
        ApprovalAction::AgentTool {
            repo,
            tool_name,
            input,
        } => (
            format!("agent:{tool_name}"),
            json!({"repo": repo, "input": input}),
        ),
    };
    let user = caller
        .map(|c| c.user.clone())
        .or_else(|| request.requested_by.clone())
        .unwrap_or_else(|| "unknown".to_owned());
    let detail = match (&answer.answered_by, answer.allows()) {
        (Some(who), true) => format!("allowed by {who} ({})", via(answer)),
        (Some(who), false) => format!("denied by {who} ({})", via(answer)),
        (None, true) => format!("allowed ({})", via(answer)),
        (None, false) => format!(
            "denied ({}): {}",
            via(answer),
            answer.reason.as_deref().unwrap_or("no reason given")
        ),
    };
    AuditEntry {
        at_ms,
        user,
        role: caller
            .map(|c| c.role.as_str().to_owned())
            .unwrap_or_default(),
        session: request.session.clone(),
        kind: "approval".into(),
        action,
        args: crate::redact::redact_json(json!({
            "id": request.id,
            "question": request.question,
            "arguments": arguments,
            "requested_by": request.requested_by,
            "decision": answer.decision,
            "answered_by": answer.answered_by,
            "via": answer.via,
            "reason": answer.reason,
        })),
        outcome: if answer.allows() {
            AuditOutcome::Ok
        } else {
            AuditOutcome::Denied
        },
        detail: Some(crate::redact::redact_url_credentials(&detail)),
        duration_ms: waited.as_millis() as u64,
    }
}

fn via(answer: &ApprovalAnswer) -> String {
    serde_json::to_value(answer.via)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
