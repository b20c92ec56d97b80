//! The CLI's command line for a task. Arguments are passed as a vector (no shell ever sees them).

use relay_core::agent::AgentTask;

/// Builds the argument list (without the program).
pub(crate) fn cli_args(task: &AgentTask) -> Vec<String> {
    let mut args: Vec<String> = [
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
        "--input-format",
        "stream-json",
        // can_use_tool requests come to us over the control protocol.
        "--permission-prompt-tool",
        "stdio",
    ]
    .map(String::from)
    .to_vec();
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    if let Some(model) = &task.model {
        push("--model", model.clone());
    }
    if let Some(turns) = task.max_turns {
        push("--max-turns", turns.to_string());
    }
    if let Some(budget) = task.max_budget_usd {
        push("--max-budget-usd", budget.to_string());
    }
    if let Some(mode) = task.permission_mode {
        push("--permission-mode", mode.as_cli_str().to_string());
    }
    // File tools are decided by Relay (their paths are checked), never pre-allowed in the CLI.
    let allowed: Vec<&str> = task
        .allowed_tools
        .iter()
        .map(String::as_str)
        .filter(|t| !super::confine::CHECKED_TOOLS.contains(t))
        .collect();
    if !allowed.is_empty() {
        push("--allowedTools", allowed.join(","));
    }
    if !task.disallowed_tools.is_empty() {
        push("--disallowedTools", task.disallowed_tools.join(","));
    }
    for dir in &task.add_dirs {
        push("--add-dir", dir.display().to_string());
    }
    if let Some(text) = &task.append_system_prompt {
        push("--append-system-prompt", text.clone());
    }
    if let Some(config) = &task.mcp_config {
        push("--mcp-config", config.clone());
    }
    if let Some(session) = &task.resume_session_id {
        push("--resume", session.clone());
    }
    if task.include_partial_messages {
        args.push("--include-partial-messages".into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay_core::agent::PermissionMode;

    #[test]
    fn every_option_becomes_its_flag() {
        let task = AgentTask::builder("p", "/repo")
            .model("sonnet")
            .max_turns(3)
            .max_budget_usd(0.5)
            .permission_mode(PermissionMode::AcceptEdits)
            .allowed_tools(["Read", "Edit", "Bash(git:*)"])
            .disallowed_tools(["Bash"])
            .add_dir("/other")
            .append_system_prompt("ctx; $(rm -rf /)")
            .mcp_config("{}")
            .resume("abc")
            .include_partial_messages(true)
            .build();
        let args = cli_args(&task);
        let pairs: Vec<(&str, &str)> = args
            .windows(2)
            .map(|w| (w[0].as_str(), w[1].as_str()))
            .collect();
        for expected in [
            ("--model", "sonnet"),
            ("--max-turns", "3"),
            ("--max-budget-usd", "0.5"),
            ("--permission-mode", "acceptEdits"),
            ("--allowedTools", "Bash(git:*)"),
            ("--disallowedTools", "Bash"),
            ("--add-dir", "/other"),
            ("--append-system-prompt", "ctx; $(rm -rf /)"),
            ("--mcp-config", "{}"),
            ("--resume", "abc"),
            ("--input-format", "stream-json"),
            ("--output-format", "stream-json"),
            ("--permission-prompt-tool", "stdio"),
        ] {
            assert!(
                pairs.contains(&expected),
                "missing {expected:?} in {args:?}"
            );
        }
        assert!(args.contains(&"--include-partial-messages".to_string()));
        assert!(args.contains(&"--verbose".to_string()));
        // The prompt never appears on the command line: it goes over stdin.
        assert!(!args.contains(&"p".to_string()));
    }
}
