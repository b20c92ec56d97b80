//! The words of an approval request as an MCP client's user reads them.

use std::time::Duration;

use relay_core::approval::{ApprovalAction, ApprovalRequest};
use serde_json::Value;

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
pub(crate) fn wait_words(wait: Duration) -> String {
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
