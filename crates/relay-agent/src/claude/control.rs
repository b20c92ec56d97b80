//! The stream-json messages Relay writes to the CLI's stdin: the prompt and the control protocol.

use serde_json::{Value, json};

use relay_core::agent::PermissionDecision;

/// The `initialize` control request, sent first.
pub(crate) fn initialize(request_id: &str) -> Value {
    json!({"type": "control_request", "request_id": request_id,
           "request": {"subtype": "initialize", "hooks": null}})
}

/// The prompt as a stream-json user message.
pub(crate) fn user_message(prompt: &str) -> Value {
    json!({"type": "user", "message": {"role": "user", "content": prompt},
           "parent_tool_use_id": null, "session_id": ""})
}

/// The `interrupt` control request.
pub(crate) fn interrupt(request_id: &str) -> Value {
    json!({"type": "control_request", "request_id": request_id,
           "request": {"subtype": "interrupt"}})
}

/// The answer to a `can_use_tool` request (`Ask` must be resolved before calling this).
pub(crate) fn permission_response(
    request_id: &str,
    decision: &PermissionDecision,
    original_input: &Value,
) -> Value {
    let body = match decision {
        PermissionDecision::Allow { updated_input } => json!({
            "behavior": "allow",
            "updatedInput": updated_input.as_ref().unwrap_or(original_input),
        }),
        PermissionDecision::Deny { message } => json!({"behavior": "deny", "message": message}),
        PermissionDecision::Ask { question } => json!({
            "behavior": "deny",
            "message": format!("nobody was available to answer: {question}"),
        }),
    };
    success(request_id, body)
}

/// A success control response.
pub(crate) fn success(request_id: &str, response: Value) -> Value {
    json!({"type": "control_response",
           "response": {"subtype": "success", "request_id": request_id, "response": response}})
}

/// An error control response (for requests Relay does not handle).
pub(crate) fn error(request_id: &str, message: &str) -> Value {
    json!({"type": "control_response",
           "response": {"subtype": "error", "request_id": request_id, "error": message}})
}
