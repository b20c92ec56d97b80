//! `relay summary`: per-repository activity from the audit log and the jobs.

use std::path::Path;
use std::process::{Command, Output};

fn relay(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_STORE_URL")
        .env_remove("RELAY_TOKEN")
        .env("RELAY_USER", "ann")
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .output()
        .expect("relay runs")
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn the_summary_counts_what_happened_per_repository() {
    let tmp = tempfile::tempdir().unwrap();
    ok(relay(tmp.path(), &["demo", "--dir", "demo"]));
    let ws = tmp.path().join("demo/workspace");
    ok(relay(
        &ws,
        &["branch", "feature-x", "--repos", "backend,frontend"],
    ));
    std::fs::write(ws.join("backend/NOTES.md"), "notes\n").unwrap();
    ok(Command::new("git")
        .current_dir(ws.join("backend"))
        .args(["add", "NOTES.md"])
        .output()
        .unwrap());
    ok(relay(
        &ws,
        &["commit", "-m", "Add notes", "--repos", "backend"],
    ));
    ok(relay(
        &ws,
        &["run", "--agent", "shell", "--repos", "shared-api", "true"],
    ));

    let out = ok(relay(&ws, &["summary", "--since", "1h", "--json"]));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["repos"]["backend"]["branches"], 1, "{s}");
    assert_eq!(s["repos"]["frontend"]["branches"], 1, "{s}");
    assert_eq!(s["repos"]["backend"]["commits"], 1, "{s}");
    assert_eq!(s["repos"]["shared-api"]["agent_runs"], 1, "{s}");
    assert_eq!(s["jobs"]["succeeded"], 1, "{s}");
    assert_eq!(s["actions"]["relay commit"]["ok"], 1, "{s}");
    assert_eq!(
        s["user"],
        serde_json::Value::Null,
        "no team: ann is an admin and sees everyone's"
    );

    let text = String::from_utf8_lossy(&ok(relay(&ws, &["summary"])).stdout).into_owned();
    assert!(
        text.contains("Since ") && text.contains("backend") && text.contains("jobs: 1 succeeded"),
        "{text}"
    );
    let out = relay(&ws, &["summary", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}
