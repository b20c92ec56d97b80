//! The `store:` and `team:` sections: defaults, values, and every mistake reported with its
//! line and what to do.

use std::time::Duration;

use relay_core::Workspace;
use relay_core::store::StoreUrl;
use relay_core::team::Role;

fn parse(yaml: &str) -> Result<Workspace, String> {
    let dir = tempfile::tempdir().unwrap();
    Workspace::parse(yaml, dir.path(), None).map_err(|e| e.to_string())
}

#[test]
fn without_the_sections_the_defaults_apply() {
    let ws = parse("repositories:\n  - name: api\n").unwrap();
    assert_eq!(ws.store().url, None);
    assert_eq!(ws.store().session_ttl, Duration::from_secs(7 * 86_400));
    assert!(ws.team().is_empty());
}

#[test]
fn store_and_team_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "repositories:\n  - name: api\nstore:\n  url: sqlite:state/relay.db\n  session_ttl: 12h\nteam:\n  - user: ann\n    role: team_lead\n  - user: bob\n    role: developer\n    max_environments: 1\n";
    let ws = Workspace::parse(yaml, dir.path(), None).unwrap();
    let root = dir.path().canonicalize().unwrap();
    assert_eq!(
        ws.store().url,
        Some(StoreUrl::Sqlite(root.join("state/relay.db")))
    );
    assert_eq!(ws.store().session_ttl, Duration::from_secs(12 * 3600));
    assert_eq!(ws.team().len(), 2);
    assert_eq!(
        (ws.team()[0].user.as_str(), ws.team()[0].role),
        ("ann", Role::TeamLead)
    );
    assert_eq!(ws.team()[1].limits().max_environments, Some(1));
    assert_eq!(ws.team()[1].limits().profiles, ["developer"]);

    let ws = parse("repositories:\n  - name: api\nstore:\n  url: redis://cache:6379/2\n").unwrap();
    assert_eq!(
        ws.store().url,
        Some(StoreUrl::Redis("redis://cache:6379/2".into()))
    );
}

#[test]
fn mistakes_are_reported_with_their_line_and_what_to_do() {
    let err = parse(
        "repositories:\n  - name: api\nstore:\n  url: mysql://db/x\n  session_ttl: forever\nteam:\n  - user: ann\n    role: teamlead\n  - user: ann\n    role: admin\n  - user: carl\n    role: boss\n",
    )
    .unwrap_err();
    assert!(
        err.contains(":4:") && err.contains("store.url: invalid store URL `mysql://db/x`"),
        "{err}"
    );
    assert!(
        err.contains(":5:") && err.contains("invalid duration `forever`"),
        "{err}"
    );
    assert!(
        err.contains(":8:")
            && err.contains("unknown role `teamlead`")
            && err.contains("did you mean `team_lead`?"),
        "{err}"
    );
    assert!(
        err.contains(":9:") && err.contains("user `ann` is listed twice (first on line 7)"),
        "{err}"
    );
    assert!(
        err.contains(":12:")
            && err.contains("unknown role `boss`")
            && err.contains("roles are reader, developer, team_lead and admin"),
        "{err}"
    );

    let err = parse("repositories:\n  - name: api\nstore:\n  url: redis://:hunter2@cache:6379/0\n")
        .unwrap_err();
    assert!(
        err.contains(":4:") && err.contains("holds a password") && err.contains("RELAY_STORE_URL"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    let err = parse("repositories:\n  - name: api\nstore:\n  path: x\n").unwrap_err();
    assert!(
        err.contains(":4:3: Unknown field `path`, expected `url` or `session_ttl`"),
        "{err}"
    );
    let err = parse(
        "repositories:\n  - name: api\nteam:\n  - user: ann\n    role: admin\n    rights: all\n",
    )
    .unwrap_err();
    assert!(err.contains("Unknown field `rights`"), "{err}");
    let err = parse("repositories:\n  - name: api\nstore:\n  session_ttl: 0h\n").unwrap_err();
    assert!(err.contains("longer than zero"), "{err}");
}
