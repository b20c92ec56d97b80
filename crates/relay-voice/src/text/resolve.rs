//! Deciding what "run `X` in NAME" means when NAME could be an environment or a repository.

use relay_core::tools::{SessionContext, ToolContext, ToolRegistry};
use serde_json::json;

use super::intent::command_words;

/// The tool call for running `command` in `target`: `env_exec` when an environment of that name
/// exists (asked through `env_status`, which the user does not see), else `run_agent_task` in
/// the repository of that name (which explains itself when there is none).
pub(super) async fn run_in(
    registry: &ToolRegistry,
    context: &std::sync::Arc<SessionContext>,
    command: &str,
    target: &str,
) -> (String, String) {
    let is_env = registry.spec("env_status").is_some()
        && registry
            .invoke(
                "env_status",
                &json!({ "name": target }).to_string(),
                ToolContext {
                    session: context.clone(),
                    ..Default::default()
                },
            )
            .await
            .ok;
    if is_env {
        let args = json!({"name": target, "command": command_words(command)});
        ("env_exec".into(), args.to_string())
    } else {
        let args = json!({"task": command, "repos": [target]});
        ("run_agent_task".into(), args.to_string())
    }
}
