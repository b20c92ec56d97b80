//! `relay team`, `relay audit` and `relay audit verify` end to end: commands that change
//! something are audited (denials too), tokens identify users, and tampering with the SQLite
//! file is found and named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn relay(dir: &Path, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_STORE_URL")
        .env_remove("RELAY_TOKEN")
        .env("RELAY_USER", user)
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .output()
        .expect("relay runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

fn demo(team: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(tmp.path(), "root", &["demo", "--dir", "demo"]);
    assert!(out.status.success(), "{}", text(&out));
    let ws = tmp.path().join("demo/workspace");
    let file = ws.join("relay.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{yaml}{team}")).unwrap();
    (tmp, ws)
}

const TEAM: &str = "team:\n  - user: ann\n    role: developer\n  - user: root\n    role: admin\n";

#[test]
fn changing_commands_are_audited_and_the_chain_verifies() {
    let (_t, ws) = demo(TEAM);
    assert!(relay(&ws, "ann", &["branch", "feature-a"]).status.success());
    assert!(
        relay(&ws, "ann", &["status"]).status.success(),
        "reads are not audited"
    );
    let out = relay(&ws, "root", &["audit", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let records = json(&out);
    let actions: Vec<(String, String, String)> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let e = &r["entry"];
            (
                e["user"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
                e["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("ann".into(), "relay branch".into(), "ok".into())),
        "{actions:?}"
    );
    assert!(
        actions.iter().all(|(_, a, _)| a != "relay status"),
        "{actions:?}"
    );
    let branch = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["entry"]["action"] == "relay branch")
        .unwrap();
    assert_eq!(
        branch["entry"]["args"]["argv"],
        serde_json::json!(["branch", "feature-a"])
    );
    assert_eq!(branch["entry"]["role"], "developer");

    let out = relay(&ws, "root", &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("audit log intact"), "{}", text(&out));

    // A developer sees only their own entries and may not verify or read others'.
    let out = relay(&ws, "ann", &["audit", "--json"]);
    assert!(
        json(&out)
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["entry"]["user"] == "ann")
    );
    let out = relay(&ws, "ann", &["audit", "--user", "root"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("the team_lead role has"),
        "{}",
        text(&out)
    );
    let out = relay(&ws, "ann", &["audit", "--since", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("invalid duration `soon`"),
        "{}",
        text(&out)
    );
}

#[test]
fn tokens_print_once_identify_users_and_revoked_or_wrong_ones_fail() {
    let (_t, ws) = demo(TEAM);
    let out = relay(&ws, "ann", &["team", "token", "create", "ann"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a developer may not: {}",
        text(&out)
    );
    assert!(text(&out).contains("the admin role has"), "{}", text(&out));

    let out = relay(&ws, "root", &["team", "token", "create", "ann"]);
    assert!(out.status.success(), "{}", text(&out));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(token.starts_with("relay_") && token.len() == 70, "{token}");
    let listed = text(&relay(&ws, "root", &["team", "token", "list"]));
    assert!(
        listed.contains(&token[..14]) && !listed.contains(&token),
        "{listed}"
    );

    let as_token = |t: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_relay"))
            .current_dir(&ws)
            .args(args)
            .env_remove("RELAY_USER")
            .env("USER", "nobody-in-the-team")
            .env("RELAY_TOKEN", t)
            .output()
            .unwrap()
    };
    let out = as_token(&token, &["team", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["you"]["user"], "ann");
    let out = as_token("relay_wrong", &["status"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("the token is not valid"),
        "{}",
        text(&out)
    );

    assert!(
        relay(&ws, "root", &["team", "token", "revoke", "ann"])
            .status
            .success()
    );
    let out = as_token(&token, &["status"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).contains("was revoked"), "{}", text(&out));
    assert!(!text(&out).contains(&token));

    // The denied and successful token commands are in the log, the token itself is not.
    let log = text(&relay(&ws, "root", &["audit", "--json"]));
    assert!(
        log.contains("\"denied\"") && log.contains("relay team token create"),
        "{log}"
    );
    assert!(!log.contains(&token));
}

#[test]
fn a_user_outside_the_team_is_stopped_before_anything_changes() {
    let (_t, ws) = demo(TEAM);
    let out = relay(&ws, "mallory", &["branch", "evil"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("user `mallory` is not in the team"),
        "{}",
        text(&out)
    );
    let branches = Command::new("git")
        .current_dir(ws.join("backend"))
        .args(["branch", "--list", "evil"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&branches.stdout).trim().is_empty(),
        "no branch was made"
    );
}

fn tampered(sql: &str) -> (String, Option<i32>) {
    let (_t, ws) = demo("");
    for name in ["a", "b", "c", "d"] {
        assert!(
            relay(&ws, "root", &["branch", &format!("f-{name}")])
                .status
                .success()
        );
    }
    let db = rusqlite::Connection::open(ws.join(".relay/relay.db")).unwrap();
    db.execute_batch(sql).unwrap();
    drop(db);
    let out = relay(&ws, "root", &["audit", "verify"]);
    (text(&out), out.status.code())
}

#[test]
fn verify_names_a_changed_a_deleted_and_a_reordered_entry() {
    let (out, code) =
        tampered("UPDATE audit SET record = replace(record, 'f-b', 'f-z') WHERE seq = 2;");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("audit log broken at entry 2: entry 2 was changed"),
        "{out}"
    );

    let (out, code) = tampered("DELETE FROM audit WHERE seq = 3;");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("audit log broken at entry 3: entry 3 was removed"),
        "{out}"
    );

    let (out, code) = tampered(
        "UPDATE audit SET seq = -1 WHERE seq = 1; UPDATE audit SET seq = 1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = -1;",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("audit log broken at entry 1: entry 1 is out of order"),
        "{out}"
    );
}
