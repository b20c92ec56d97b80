//! From the CLI's `result` frame to an [`AgentOutcome`], with errors that say what to do.

use super::decoder::ResultFrame;
use relay_core::agent::{AgentOutcome, AgentStatus};

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

#[cfg(test)]
mod tests {
    use super::*;
    use relay_core::agent::TokenUsage;

    fn frame(subtype: &str, is_error: bool) -> ResultFrame {
        ResultFrame {
            subtype: subtype.into(),
            is_error,
            session_id: Some("s".into()),
            num_turns: 3,
            duration_ms: 10,
            total_cost_usd: 0.9,
            cost_since_last_result: None,
            result: None,
            usage: TokenUsage::default(),
            permission_denials: Vec::new(),
            api_error_status: None,
            api_error_type: None,
            errors: Vec::new(),
            terminal_reason: None,
        }
    }

    #[test]
    fn every_result_subtype_maps_to_a_status_and_an_actionable_error() {
        let ok = outcome_from_result(frame("success", false), false);
        assert_eq!(ok.status, AgentStatus::Success);
        assert!(ok.error.is_none());

        let turns = outcome_from_result(frame("error_max_turns", true), false);
        assert_eq!(turns.status, AgentStatus::Failed);
        assert!(turns.error.unwrap().contains("raise max_turns"));

        let budget = outcome_from_result(frame("error_max_budget_usd", true), false);
        assert!(budget.error.unwrap().contains("raise max_budget_usd"));

        let mut during = frame("error_during_execution", true);
        during.errors = vec!["tool crashed".into()];
        assert!(
            outcome_from_result(during, false)
                .error
                .unwrap()
                .contains("tool crashed")
        );

        let interrupted = outcome_from_result(frame("error_during_execution", true), true);
        assert_eq!(interrupted.status, AgentStatus::Interrupted);

        let mut api = frame("success", true);
        api.api_error_status = Some(529);
        api.api_error_type = Some("overloaded_error".into());
        let api = outcome_from_result(api, false);
        assert_eq!(api.status, AgentStatus::Failed);
        assert!(api.error.unwrap().contains("overloaded; retry later"));

        let future = outcome_from_result(frame("error_something_new", true), false);
        assert!(future.error.unwrap().contains("error_something_new"));
    }

    #[test]
    fn cost_is_per_run_when_the_cli_reports_cumulative_totals() {
        let mut f = frame("success", false);
        f.total_cost_usd = 0.9; // session total, including earlier results
        f.cost_since_last_result = Some(0.1);
        assert_eq!(outcome_from_result(f, false).cost_usd, 0.1);
        // Older CLIs without the per-result breakdown: the total is all we have.
        assert_eq!(
            outcome_from_result(frame("success", false), false).cost_usd,
            0.9
        );
    }
}
