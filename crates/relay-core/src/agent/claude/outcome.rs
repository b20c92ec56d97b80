//! From the CLI's `result` frame to an [`AgentOutcome`], with errors that say what to do.

use super::decoder::ResultFrame;
use crate::agent::{AgentOutcome, AgentStatus};

/// Builds the outcome. `interrupted` tells whether Relay sent an interrupt during the run.
pub(crate) fn outcome_from_result(frame: ResultFrame, interrupted: bool) -> AgentOutcome {
    let status = if !frame.is_error && frame.subtype == "success" {
        AgentStatus::Success
    } else if interrupted {
        AgentStatus::Interrupted
    } else {
        AgentStatus::Failed
    };
    let error = match status {
        AgentStatus::Success => None,
        AgentStatus::Interrupted => Some("the run was interrupted on request".to_string()),
        AgentStatus::Failed => Some(describe_failure(&frame)),
    };
    AgentOutcome {
        status,
        cost_usd: run_cost(&frame),
        subtype: frame.subtype,
        session_id: frame.session_id,
        num_turns: frame.num_turns,
        duration_ms: frame.duration_ms,
        result_text: frame.result,
        permission_denials: frame.permission_denials,
        usage: frame.usage,
        error,
    }
}

/// The cost of this run alone. `total_cost_usd` is cumulative over the CLI session (it keeps
/// growing across results, and includes earlier runs when a session is resumed), so the per-model
/// `model_usage_since_last_result` is preferred when the CLI reports it.
pub(crate) fn run_cost(frame: &ResultFrame) -> f64 {
    frame.cost_since_last_result.unwrap_or(frame.total_cost_usd)
}

fn describe_failure(frame: &ResultFrame) -> String {
    if let Some(status) = frame.api_error_status {
        let kind = frame.api_error_type.as_deref().unwrap_or("error");
        let detail = frame.result.as_deref().unwrap_or_default();
        let hint = match status {
            401 | 403 => "check ANTHROPIC_API_KEY (or the agent's credentials)",
            429 => "the API rate limit was hit; retry later or lower --jobs",
            529 | 503 => "the Anthropic API is overloaded; retry later",
            500..=599 => "the Anthropic API failed; retry later",
            _ => "check the request options (model, tools)",
        };
        return format!("the Anthropic API answered {status} ({kind}): {detail}; {hint}");
    }
    match frame.subtype.as_str() {
        "error_max_turns" => format!(
            "the agent stopped after {} turns, its max-turns limit; raise max_turns or narrow the task",
            frame.num_turns
        ),
        "error_max_budget_usd" => format!(
            "the agent stopped at its budget (spent ${:.4}); raise max_budget_usd",
            run_cost(frame)
        ),
        "error_during_execution" if !frame.errors.is_empty() => {
            format!(
                "the agent failed while working: {}",
                frame.errors.join("; ")
            )
        }
        other => {
            let detail = frame
                .result
                .clone()
                .or_else(|| (!frame.errors.is_empty()).then(|| frame.errors.join("; ")))
                .unwrap_or_else(|| "no detail given".into());
            format!("the agent ended with `{other}`: {detail}")
        }
    }
}
