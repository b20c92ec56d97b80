//! Plain phrasings of the environment tools: "bring up environment dev", "snapshot dev as
//! before-upgrade", "roll dev back to before-upgrade", "tear down dev", "list environments".

use serde_json::{Value, json};

use super::{Intent, Words, call};

/// Words around an environment's name that are not the name.
const FILLER: &[&str] = &[
    "the",
    "a",
    "an",
    "new",
    "my",
    "our",
    "of",
    "up",
    "down",
    "back",
    "environment",
    "env",
    "called",
    "named",
    "it",
    "this",
    "that",
    "all",
    "everything",
];

const ENV: &[&str] = &["environment", "env"];

fn with_name(tool: &str, name: Option<&str>, mut args: Value) -> Option<Intent> {
    args["name"] = json!(name?);
    Some(call(tool, args))
}

pub(super) fn parse(w: &Words<'_>) -> Option<Intent> {
    if w.has_any(&["rollback", "restore"]) || (w.has("roll") && w.has("back")) {
        let name = w.name_after(&["roll", "rollback", "restore"], FILLER);
        let snapshot = w.name_after(&["to", "from"], &["the", "snapshot"]);
        let args = match snapshot {
            Some(s) => json!({"snapshot": s}),
            // The registry then says the snapshot is missing.
            None => json!({}),
        };
        return with_name("env_rollback", name, args);
    }
    if (w.has("tear") && w.has("down"))
        || (w.has_any(&["destroy", "delete", "remove"]) && w.has_any(ENV))
    {
        let name = w.name_after(&["tear", "destroy", "delete", "remove"], FILLER);
        return with_name("env_down", name, json!({}));
    }
    if w.has("stop") && w.has_any(ENV) {
        let name = w.name_after(&["stop"], FILLER);
        return with_name("env_down", name, json!({"stop_only": true}));
    }
    if (w.has_any(&["bring", "spin"]) && w.has("up"))
        || (w.has_any(&["create", "start", "provision", "launch"]) && w.has_any(ENV))
    {
        let name = w.name_after(
            &["bring", "spin", "create", "start", "provision", "launch"],
            FILLER,
        );
        let mut args = json!({});
        if let Some(profile) = w.name_after(&["profile"], &["the"]) {
            args["profile"] = json!(profile);
        }
        return with_name("env_up", name, args);
    }
    if w.has("snapshot") {
        let name = w.name_after(&["snapshot"], FILLER);
        let args = match w.name_after(&["as", "called", "named"], &["the"]) {
            Some(s) => json!({"snapshot": s}),
            None => json!({}),
        };
        return with_name("env_snapshot", name, args);
    }
    if w.has_any(&["environments", "envs"]) {
        return Some(call("env_status", json!({})));
    }
    if w.has_any(ENV) && w.has_any(&["status", "how", "show"]) {
        return Some(match w.name_after(ENV, &["the", "of", "is"]) {
            Some(name) => call("env_status", json!({"name": name})),
            None => call("env_status", json!({})),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn call_of(text: &str) -> (String, Value) {
        match parse(text) {
            Intent::Call { name, arguments } => (name, serde_json::from_str(&arguments).unwrap()),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn environment_requests() {
        for (text, tool, args) in [
            ("bring up environment dev", "env_up", json!({"name": "dev"})),
            ("bring Dev-2 up", "env_up", json!({"name": "Dev-2"})),
            (
                "create a new environment called qa with profile team_lead",
                "env_up",
                json!({"name": "qa", "profile": "team_lead"}),
            ),
            (
                "spin up a dev environment",
                "env_up",
                json!({"name": "dev"}),
            ),
            (
                "snapshot dev as before-upgrade",
                "env_snapshot",
                json!({"name": "dev", "snapshot": "before-upgrade"}),
            ),
            (
                "take a snapshot of dev called Before_Upgrade",
                "env_snapshot",
                json!({"name": "dev", "snapshot": "Before_Upgrade"}),
            ),
            ("snapshot dev", "env_snapshot", json!({"name": "dev"})),
            (
                "roll dev back to before-upgrade",
                "env_rollback",
                json!({"name": "dev", "snapshot": "before-upgrade"}),
            ),
            (
                "restore environment dev from snapshot before-upgrade",
                "env_rollback",
                json!({"name": "dev", "snapshot": "before-upgrade"}),
            ),
            ("tear down dev", "env_down", json!({"name": "dev"})),
            ("tear dev down", "env_down", json!({"name": "dev"})),
            (
                "destroy the environment qa",
                "env_down",
                json!({"name": "qa"}),
            ),
            (
                "stop environment dev",
                "env_down",
                json!({"name": "dev", "stop_only": true}),
            ),
            ("list environments", "env_status", json!({})),
            (
                "what's the status of environment dev?",
                "env_status",
                json!({"name": "dev"}),
            ),
        ] {
            assert_eq!(call_of(text), (tool.to_string(), args), "{text}");
        }
    }

    #[test]
    fn repository_requests_are_left_alone() {
        assert_eq!(call_of("status please").0, "project_status");
        assert_eq!(call_of("sync backend").0, "sync_repos");
        assert_eq!(parse("tear it all down"), Intent::Unknown);
    }
}
