//! Words around approvals: the coding agent's questions, why a denial happened, what the model
//! should do about it.

use super::{AnswerSource, ApprovalAnswer};
use crate::agent::PermissionRequest;

/// The question for one of the coding agent's permission requests: "Claude wants to run
/// `npm publish` in frontend. Allow it?" (commands are quoted, files named).
pub fn agent_question(request: &PermissionRequest) -> String {
    let input = &request.input;
    let text = |key: &str| input.get(key).and_then(|v| v.as_str()).map(short);
    let what = match request.tool_name.as_str() {
        "Bash" => text("command").map(|c| format!("run `{c}`")),
        "Write" => text("file_path").map(|p| format!("write {p}")),
        "Edit" | "MultiEdit" => text("file_path").map(|p| format!("edit {p}")),
        "NotebookEdit" => text("notebook_path").map(|p| format!("edit {p}")),
        "WebFetch" => text("url").map(|u| format!("fetch {u}")),
        _ => None,
    }
    .unwrap_or_else(|| format!("use {}", request.tool_name));
    format!("Claude wants to {what} in {}. Allow it?", request.repo)
}

fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        format!("{}…", one_line.chars().take(120).collect::<String>())
    } else {
        one_line
    }
}

/// Why an action was not approved, in words for the model and the user: "the user said no",
/// "nobody answered within 60 s", the policy's or the adapter's reason.
pub fn denial_reason(answer: &ApprovalAnswer) -> String {
    match (answer.via, &answer.answered_by, &answer.reason) {
        (
            AnswerSource::Button
            | AnswerSource::Voice
            | AnswerSource::Terminal
            | AnswerSource::Callback
            | AnswerSource::McpElicitation,
            Some(user),
            _,
        ) => format!("the user ({user}) said no"),
        (
            AnswerSource::Button
            | AnswerSource::Voice
            | AnswerSource::Terminal
            | AnswerSource::Callback
            | AnswerSource::McpElicitation,
            None,
            None,
        ) => "the user said no".into(),
        (_, _, Some(reason)) => reason.clone(),
        (AnswerSource::Timeout, _, None) => "nobody answered in time".into(),
        (_, _, None) => "it was not approved".into(),
    }
}

/// What the model should do after a denial.
pub fn denial_hint(answer: &ApprovalAnswer) -> &'static str {
    match answer.via {
        AnswerSource::Timeout => {
            "nobody approved it in time: tell the user, and try again only when they ask for it \
             and are there to answer"
        }
        AnswerSource::Policy => {
            "the approval policy of this session denies actions that need approval: tell the user \
             (they can run it themselves, or allow it with --approve allow)"
        }
        AnswerSource::Unavailable => {
            "nobody could be asked for approval: tell the user; they can do it themselves"
        }
        _ => "the user did not approve it: do not try again; ask what they want instead",
    }
}
