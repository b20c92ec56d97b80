//! Understands typed utterances without a model: explicit `/tool {json}` calls and a few plain
//! phrasings of the repository tools.

use serde_json::{Value, json};

/// What an utterance asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Call `name` with JSON `arguments` (text, validated by the registry).
    Call {
        /// Tool name.
        name: String,
        /// Arguments as JSON text.
        arguments: String,
    },
    /// List the tools.
    Help,
    /// Not understood.
    Unknown,
}

fn call(name: &str, args: Value) -> Intent {
    Intent::Call {
        name: name.into(),
        arguments: args.to_string(),
    }
}

/// Words after `marker` in `words`, with list glue (`and`, commas) removed.
fn names_after<'a>(words: &[&'a str], markers: &[&str]) -> Vec<&'a str> {
    let Some(pos) = words.iter().position(|w| markers.contains(w)) else {
        return Vec::new();
    };
    words[pos + 1..]
        .iter()
        .map(|w| w.trim_matches(|c: char| c == ',' || c == '?' || c == '.' || c == '!'))
        .filter(|w| {
            !w.is_empty()
                && ![
                    "and",
                    "the",
                    "repo",
                    "repos",
                    "repository",
                    "repositories",
                    "all",
                    "everything",
                ]
                .contains(w)
        })
        .collect()
}

/// Parses one utterance.
pub fn parse(utterance: &str) -> Intent {
    let text = utterance.trim();
    if let Some(rest) = text.strip_prefix('/') {
        let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if name == "help" {
            return Intent::Help;
        }
        let args = if args.trim().is_empty() {
            "{}"
        } else {
            args.trim()
        };
        return Intent::Call {
            name: name.to_string(),
            arguments: args.to_string(),
        };
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let has = |w: &str| {
        words
            .iter()
            .any(|x| x.trim_matches(|c: char| !c.is_alphanumeric()) == w)
    };
    if lower == "help" || lower == "?" || lower.contains("what can you do") {
        return Intent::Help;
    }
    if has("switch") || lower.contains("working on") || lower.contains("work on") {
        if let Some(name) = names_after(&words, &["to", "on"]).first() {
            return call("switch_project", json!({"name": name}));
        }
    }
    if has("branch") {
        if let Some(name) = names_after(&words, &["branch", "called", "named"]).last() {
            return call("create_branch", json!({"name": name}));
        }
    }
    if has("commit") {
        if let Some((_, message)) = text.split_once(':') {
            return call(
                "commit_changes",
                json!({"message": message.trim(), "all": true}),
            );
        }
    }
    if has("impact") || has("affect") || has("affects") || has("affected") {
        let repos = names_after(&words, &["of", "change", "changing", "affect", "affects"]);
        return if repos.is_empty() {
            call("impact_analysis", json!({}))
        } else {
            call("impact_analysis", json!({"repos": repos}))
        };
    }
    if has("sync") || has("pull") || has("update") {
        let repos = names_after(&words, &["sync", "pull", "update"]);
        return if repos.is_empty() {
            call("sync_repos", json!({}))
        } else {
            call("sync_repos", json!({"repos": repos}))
        };
    }
    if has("status")
        || has("briefing")
        || has("morning")
        || lower.contains("where are we")
        || lower.contains("what changed")
    {
        return call("project_status", json!({}));
    }
    Intent::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(i: &Intent) -> (String, Value) {
        match i {
            Intent::Call { name, arguments } => (
                name.clone(),
                serde_json::from_str(arguments).unwrap_or(Value::Null),
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn understands_plain_requests() {
        assert_eq!(
            args(&parse("Good morning, what's the status?")).0,
            "project_status"
        );
        assert_eq!(
            args(&parse("switch to backend")),
            ("switch_project".into(), json!({"name": "backend"}))
        );
        assert_eq!(
            args(&parse("I'm working on frontend")),
            ("switch_project".into(), json!({"name": "frontend"}))
        );
        assert_eq!(
            args(&parse("what is the impact of shared-api and auth?")),
            (
                "impact_analysis".into(),
                json!({"repos": ["shared-api", "auth"]})
            )
        );
        assert_eq!(
            args(&parse("sync everything")),
            ("sync_repos".into(), json!({}))
        );
        assert_eq!(
            args(&parse("sync backend")),
            ("sync_repos".into(), json!({"repos": ["backend"]}))
        );
        assert_eq!(
            args(&parse("create a branch called feature/x")),
            ("create_branch".into(), json!({"name": "feature/x"}))
        );
        assert_eq!(
            args(&parse("commit: Fix login")),
            (
                "commit_changes".into(),
                json!({"message": "Fix login", "all": true})
            )
        );
    }

    #[test]
    fn slash_calls_pass_arguments_through() {
        assert_eq!(
            parse(r#"/impact_analysis {"repos":["a"]}"#),
            Intent::Call {
                name: "impact_analysis".into(),
                arguments: r#"{"repos":["a"]}"#.into()
            }
        );
        assert_eq!(
            parse("/project_status"),
            Intent::Call {
                name: "project_status".into(),
                arguments: "{}".into()
            }
        );
        assert_eq!(parse("/help"), Intent::Help);
        assert_eq!(parse("sing me a song"), Intent::Unknown);
    }
}
