//! "run `cargo test` in api and web", "run `ls` in dev": a command for repositories
//! (`run_agent_task`) or for an environment (`env_exec`).

use relay_core::agent::split_command_line;
use serde_json::json;

use super::{Intent, LIST_FILLER, Words, call};

/// Words in a target list that are not names, besides the usual list glue.
const FILLER: &[&str] = &["environment", "env", "every", "everywhere"];

/// The command as a program and its arguments; a line that does not split (an open quote) runs
/// through `sh -c` as typed.
pub(crate) fn command_words(command: &str) -> Vec<String> {
    match split_command_line(command) {
        Ok(words) if !words.is_empty() => words,
        _ => vec!["sh".into(), "-c".into(), command.into()],
    }
}

/// The command in quotes or backticks at the start of `rest`, and what follows it.
fn quoted(rest: &str) -> Option<(&str, &str)> {
    let quote = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '`' | '"' | '\''))?;
    let end = rest[1..].find(quote)? + 1;
    Some((&rest[1..end], &rest[end + 1..]))
}

/// An unquoted command runs up to the last " in " (what follows names the targets).
fn unquoted(rest: &str) -> (&str, &str) {
    match rest.to_lowercase().rfind(" in ") {
        // The lowercase text has the same byte offsets for the ASCII " in ".
        Some(pos) if rest.is_char_boundary(pos) => (&rest[..pos], &rest[pos..]),
        _ => (rest, ""),
    }
}

pub(super) fn parse(text: &str) -> Option<Intent> {
    let lower = text.to_lowercase();
    let lead = [
        "run ",
        "please run ",
        "can you run ",
        "could you run ",
        "now run ",
    ]
    .iter()
    .find(|p| lower.starts_with(*p))?;
    let rest = text[lead.len()..].trim_start();
    let (command, after) = quoted(rest).unwrap_or_else(|| unquoted(rest));
    let command = command.trim();
    if command.is_empty() {
        return None;
    }
    let words = Words::new(after);
    let targets: Vec<&str> = match words.find(&["in", "on"], 0) {
        Some(pos) => (pos + 1..words.typed.len())
            .filter(|&i| {
                let w = words.lower[i].as_str();
                !LIST_FILLER.contains(&w) && !FILLER.contains(&w)
            })
            .map(|i| words.typed[i])
            .collect(),
        None => Vec::new(),
    };
    let env_hint = words.has_any(&["environment", "env"]);
    let repo_hint = words.has_any(&["repo", "repos", "repository", "repositories"]);
    Some(match targets.as_slice() {
        [] => call("run_agent_task", json!({"task": command})),
        [target] if env_hint => call(
            "env_exec",
            json!({"name": target, "command": command_words(command)}),
        ),
        [target] if !repo_hint => Intent::RunIn {
            command: command.to_string(),
            target: target.to_string(),
        },
        _ => call("run_agent_task", json!({"task": command, "repos": targets})),
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn call_of(i: Intent) -> (String, serde_json::Value) {
        match i {
            Intent::Call { name, arguments } => (name, serde_json::from_str(&arguments).unwrap()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn commands_for_repositories_and_environments() {
        assert_eq!(
            call_of(parse("run `cargo test` in api and web")),
            (
                "run_agent_task".into(),
                json!({"task": "cargo test", "repos": ["api", "web"]})
            )
        );
        assert_eq!(
            call_of(parse("please run cargo test --quiet in the api, web repos")),
            (
                "run_agent_task".into(),
                json!({"task": "cargo test --quiet", "repos": ["api", "web"]})
            )
        );
        assert_eq!(
            call_of(parse("run `git status` everywhere")),
            ("run_agent_task".into(), json!({"task": "git status"}))
        );
        assert_eq!(
            call_of(parse("run `ls -la src` in environment dev")),
            (
                "env_exec".into(),
                json!({"name": "dev", "command": ["ls", "-la", "src"]})
            )
        );
        assert_eq!(
            call_of(parse("run `cargo test` in repo api")),
            (
                "run_agent_task".into(),
                json!({"task": "cargo test", "repos": ["api"]})
            )
        );
        assert_eq!(
            parse("run `ls` in dev"),
            Intent::RunIn {
                command: "ls".into(),
                target: "dev".into()
            }
        );
        assert_eq!(
            command_words("sh -c 'echo \"hi\"'"),
            ["sh", "-c", "echo \"hi\""]
        );
        assert_eq!(command_words("echo 'open"), ["sh", "-c", "echo 'open"]);
    }
}
