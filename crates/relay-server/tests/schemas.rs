//! Relay's payload types read every payload GitHub's schema allows: for each webhook of the events
//! Relay handles, the smallest valid payload (required fields only; once as filled as possible,
//! once with every nullable field null) and GitHub's examples parse.
//! A field Relay requires but GitHub does not guarantee fails here, not in production.

use relay_server::webhooks::{WebhookEvent, parse};
use relay_testkit::webhooks::OctokitWebhooks;

const HANDLED: &[&str] = &[
    "ping",
    "push",
    "pull_request",
    "pull_request_review",
    "check_run",
    "check_suite",
    "workflow_run",
    "issues",
];

#[test]
fn every_payload_githubs_schema_allows_for_a_handled_event_parses() {
    let gh = OctokitWebhooks::load();
    let mut checked = Vec::new();
    for key in gh.keys() {
        let Some(event) = gh.event_name(&key) else {
            continue;
        };
        if !HANDLED.contains(&event.as_str()) {
            continue;
        }
        let minimal = gh.instance(&key);
        gh.assert_valid(&key, &minimal);
        let body = serde_json::to_vec(&minimal).unwrap();
        let parsed = parse(&event, &body).unwrap_or_else(|e| {
            panic!("{key}: the smallest payload GitHub allows: {e}\n{minimal:#}")
        });
        assert_eq!(parsed.name(), event, "{key}");
        assert!(!matches!(parsed, WebhookEvent::Other(_)), "{key}");
        let nulls = gh.instance_with_nulls(&key);
        gh.assert_valid(&key, &nulls);
        parse(&event, &serde_json::to_vec(&nulls).unwrap())
            .unwrap_or_else(|e| panic!("{key}: nullable fields left null: {e}\n{nulls:#}"));
        if let Some(example) = gh.example(&key) {
            gh.assert_valid(&key, &example);
            parse(&event, &serde_json::to_vec(&example).unwrap())
                .unwrap_or_else(|e| panic!("{key}: GitHub's example: {e}"));
        }
        checked.push(key);
    }
    // Every handled event has webhooks in the description (e.g. 18 for pull_request).
    for event in HANDLED {
        assert!(
            checked
                .iter()
                .any(|k| gh.event_name(k).as_deref() == Some(*event)),
            "no webhook of `{event}` in GitHub's description; checked {checked:?}"
        );
    }
    assert!(checked.len() > 30, "{checked:?}");
}

#[test]
fn events_relay_ignores_are_accepted_whatever_their_shape() {
    let gh = OctokitWebhooks::load();
    for key in gh.keys() {
        let event = gh.event_name(&key).unwrap_or_else(|| key.clone());
        if HANDLED.contains(&event.as_str()) {
            continue;
        }
        let body = serde_json::to_vec(&gh.instance(&key)).unwrap();
        let parsed = parse(&event, &body).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(parsed, WebhookEvent::Other(event), "{key}");
    }
}
