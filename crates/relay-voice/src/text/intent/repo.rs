//! Plain phrasings of the repository tools: status, switch project, branch, commit, impact, sync.

use serde_json::json;

use super::{Intent, LIST_FILLER, call};

/// Words after `marker` in `words`, with list glue (`and`, commas) removed.
fn names_after<'a>(words: &[&'a str], markers: &[&str]) -> Vec<&'a str> {
    let Some(pos) = words.iter().position(|w| markers.contains(w)) else {
        return Vec::new();
    };
    words[pos + 1..]
        .iter()
        .map(|w| w.trim_matches(|c: char| c == ',' || c == '?' || c == '.' || c == '!'))
        .filter(|w| !w.is_empty() && !LIST_FILLER.contains(w))
        .collect()
}

/// The repository tools' phrasings.
pub(super) fn parse(text: &str) -> Option<Intent> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let has = |w: &str| {
        words
            .iter()
            .any(|x| x.trim_matches(|c: char| !c.is_alphanumeric()) == w)
    };
    if (has("switch") || lower.contains("working on") || lower.contains("work on"))
        && let Some(name) = names_after(&words, &["to", "on"]).first()
    {
        return Some(call("switch_project", json!({"name": name})));
    }
    if has("branch")
        && let Some(name) = names_after(&words, &["branch", "called", "named"]).last()
    {
        return Some(call("create_branch", json!({"name": name})));
    }
    if has("commit")
        && let Some((_, message)) = text.split_once(':')
    {
        return Some(call(
            "commit_changes",
            json!({"message": message.trim(), "all": true}),
        ));
    }
    if has("impact") || has("affect") || has("affects") || has("affected") {
        let repos = names_after(&words, &["of", "change", "changing", "affect", "affects"]);
        return Some(if repos.is_empty() {
            call("impact_analysis", json!({}))
        } else {
            call("impact_analysis", json!({"repos": repos}))
        });
    }
    if has("sync") || has("pull") || has("update") {
        let repos = names_after(&words, &["sync", "pull", "update"]);
        return Some(if repos.is_empty() {
            call("sync_repos", json!({}))
        } else {
            call("sync_repos", json!({"repos": repos}))
        });
    }
    if has("status")
        || has("briefing")
        || has("morning")
        || lower.contains("where are we")
        || lower.contains("what changed")
    {
        return Some(call("project_status", json!({})));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use serde_json::Value;

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
}
