//! End-to-end tests of the `relay` binary on the sample workspace `relay demo` builds from real git
//! repositories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn relay(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .output()
        .expect("relay runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs the demo in a fresh directory and returns (tempdir guard, workspace path).
fn demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(tmp.path(), &["demo", "--dir", "demo"]);
    assert!(
        out.status.success(),
        "demo failed: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    for expected in [
        "Morning briefing",
        "fast-forwarded",
        "uncommitted changes",
        // The typed conversation reaches each tool family and reports real results.
        "relay: Primary project is now backend",
        "- frontend: succeeded, 1 file changed (TODAY.md)",
        "dev was created and is running.",
        "stdout:\nbackend\ndatabase-migrations\nfrontend\nshared-api\n",
        "Snapshot clean of dev taken.",
        "dev was torn down and deleted.",
        "Try next",
    ] {
        assert!(
            text.contains(expected),
            "demo output lacks {expected:?}:\n{text}"
        );
    }
    let ws = tmp.path().join("demo/workspace");
    assert!(ws.join("backend/TODAY.md").is_file());
    assert!(
        !ws.join(".relay/envs/dev").exists(),
        "the demo environment is torn down"
    );
    (tmp, ws)
}

/// Counts from `git status --porcelain=v2 --branch`: (staged, unstaged, untracked, conflicted, ab).
fn porcelain(repo: &Path) -> (u64, u64, u64, u64, Option<(u64, u64)>) {
    let text = git(repo, &["status", "--porcelain=v2", "--branch"]);
    let (mut staged, mut unstaged, mut untracked, mut conflicted, mut ab) = (0, 0, 0, 0, None);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# branch.ab ") {
            let mut it = rest.split(' ');
            let a = it.next().unwrap().trim_start_matches('+').parse().unwrap();
            let b = it.next().unwrap().trim_start_matches('-').parse().unwrap();
            ab = Some((a, b));
        } else if line.starts_with("1 ") || line.starts_with("2 ") {
            let xy = line.as_bytes();
            staged += u64::from(xy[2] != b'.');
            unstaged += u64::from(xy[3] != b'.');
        } else if line.starts_with("u ") {
            conflicted += 1;
        } else if line.starts_with("? ") {
            untracked += 1;
        }
    }
    (staged, unstaged, untracked, conflicted, ab)
}

#[test]
fn demo_then_status_json_matches_git() {
    let (_tmp, ws) = demo();
    let out = relay(&ws, &["status", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        v["workspace"].as_str().unwrap(),
        ws.canonicalize().unwrap().to_str().unwrap()
    );
    let repos = v["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 4);
    for r in repos {
        let path = PathBuf::from(r["path"].as_str().unwrap());
        let (staged, unstaged, untracked, conflicted, ab) = porcelain(&path);
        let name = r["name"].as_str().unwrap();
        assert_eq!(r["staged"], staged, "{name}");
        assert_eq!(r["unstaged"], unstaged, "{name}");
        assert_eq!(r["untracked"], untracked, "{name}");
        assert_eq!(r["conflicted"], conflicted, "{name}");
        let (ahead, behind) = ab.unwrap();
        assert_eq!(r["ahead"], ahead, "{name}");
        assert_eq!(r["behind"], behind, "{name}");
        assert_eq!(r["branch"], "main");
        assert_eq!(r["upstream"], "origin/main");
        assert_eq!(
            r["head"].as_str().unwrap(),
            git(&path, &["rev-parse", "HEAD"]).trim()
        );
        let log = git(&path, &["log", "-1", "--format=%H%n%s%n%an%n%aI"]);
        let log: Vec<&str> = log.lines().collect();
        assert_eq!(r["last_commit"]["sha"], log[0]);
        assert_eq!(r["last_commit"]["summary"], log[1]);
        assert_eq!(r["last_commit"]["author"], log[2]);
        assert_eq!(r["last_commit"]["time"], log[3]);
    }
    let backend = repos.iter().find(|r| r["name"] == "backend").unwrap();
    assert_eq!(
        (
            backend["unstaged"].as_u64(),
            backend["untracked"].as_u64(),
            backend["behind"].as_u64()
        ),
        // Untracked: the staged morning's file and the demo conversation's TODAY.md.
        (Some(1), Some(2), Some(1))
    );
    let frontend = repos.iter().find(|r| r["name"] == "frontend").unwrap();
    assert_eq!(frontend["ahead"], 1);
}

#[test]
fn graph_and_impact_json() {
    let (_tmp, ws) = demo();
    let v = json(&relay(&ws, &["graph", "--json"]));
    assert_eq!(
        v["repos"],
        serde_json::json!(["shared-api", "database-migrations", "backend", "frontend"])
    );
    assert_eq!(
        v["edges"],
        serde_json::json!([
            {"from": "database-migrations", "to": "shared-api"},
            {"from": "backend", "to": "shared-api"},
            {"from": "backend", "to": "database-migrations"},
            {"from": "frontend", "to": "shared-api"}
        ])
    );
    assert_eq!(
        v["batches"],
        serde_json::json!([
            ["shared-api"],
            ["database-migrations", "frontend"],
            ["backend"]
        ])
    );

    let v = json(&relay(&ws, &["impact", "database-migrations", "--json"]));
    assert_eq!(
        v,
        serde_json::json!({"changed": ["database-migrations"], "direct": ["backend"], "transitive": ["backend"],
            "batches": [["database-migrations"], ["backend"]]})
    );

    // backend has uncommitted work and frontend an unpushed commit; shared-api was fast-forwarded.
    let v = json(&relay(
        &ws,
        &["impact", "--changed-since", "origin/main", "--json"],
    ));
    assert_eq!(v["changed"], serde_json::json!(["backend", "frontend"]));
    assert_eq!(v["transitive"], serde_json::json!([]));
}

#[test]
fn sync_branch_and_commit_across_repos() {
    let (_tmp, ws) = demo();
    let out = relay(&ws, &["sync", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let action = |name: &str| {
        v["repos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["action"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(action("shared-api"), "up_to_date");
    assert_eq!(action("backend"), "skipped");
    let before = std::fs::read(ws.join("backend/src/server.py")).unwrap();

    let out = relay(
        &ws,
        &[
            "branch",
            "feature/pagination",
            "--affected-by",
            "database-migrations",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let names: Vec<&str> = v["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["database-migrations", "backend"],
        "dependency order, affected repos only"
    );
    for name in ["database-migrations", "backend"] {
        assert_eq!(
            git(&ws.join(name), &["symbolic-ref", "--short", "HEAD"]).trim(),
            "feature/pagination"
        );
    }
    assert_eq!(
        git(&ws.join("frontend"), &["symbolic-ref", "--short", "HEAD"]).trim(),
        "main"
    );
    assert_eq!(
        std::fs::read(ws.join("backend/src/server.py")).unwrap(),
        before,
        "work carried over untouched"
    );

    let out = relay(
        &ws,
        &[
            "commit",
            "-a",
            "-m",
            "Paginate orders",
            "--repos",
            "backend,database-migrations",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let by_name = |n: &str| {
        v["repos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("backend")["action"], "committed");
    assert_eq!(
        by_name("database-migrations")["action"],
        "nothing_to_commit"
    );
    assert_eq!(
        git(&ws.join("backend"), &["log", "-1", "--format=%s"]).trim(),
        "Paginate orders"
    );
    assert_eq!(
        by_name("backend")["sha"].as_str().unwrap(),
        git(&ws.join("backend"), &["rev-parse", "HEAD"]).trim()
    );
    // -a stages tracked changes only: the untracked notes (the morning's and the demo
    // conversation's) stay untracked.
    assert_eq!(
        git(&ws.join("backend"), &["status", "--porcelain"]).trim(),
        "?? TODAY.md\n?? notes.md"
    );
}

#[test]
fn a_failing_repo_fails_the_command_but_not_the_others() {
    let (tmp, ws) = demo();
    std::fs::remove_dir_all(tmp.path().join("demo/origins/database-migrations.git")).unwrap();
    let out = relay(&ws, &["sync", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    for r in v["repos"].as_array().unwrap() {
        let expected = match r["name"].as_str().unwrap() {
            "database-migrations" => "failed",
            "backend" => "skipped",
            _ => "up_to_date",
        };
        assert_eq!(r["action"], expected, "{r}");
    }
    let failed = v["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "database-migrations")
        .unwrap();
    assert!(
        failed["reason"].as_str().unwrap().contains("fetch"),
        "{failed}"
    );
}

#[test]
fn usage_and_configuration_errors_exit_2_and_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(tmp.path(), &["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no relay.yaml found"),
        "{}",
        stderr(&out)
    );

    std::fs::write(
        tmp.path().join("relay.yaml"),
        "repositories:\n  - name: api\n  - name: web\n    dependencies: [apii]\n",
    )
    .unwrap();
    let out = relay(tmp.path(), &["graph"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("relay.yaml:4:") && err.contains("did you mean `api`?"),
        "{err}"
    );

    let (_t, ws) = demo();
    let out = relay(&ws, &["impact", "shared-apis"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown repository `shared-apis`"),
        "{}",
        stderr(&out)
    );
    let out = relay(&ws, &["branch", "bad..name"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a valid branch name"),
        "{}",
        stderr(&out)
    );
    let out = relay(&ws, &["impact", "--changed-since", "no-such-rev"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-rev"), "{}", stderr(&out));
    let out = relay(&ws, &["sync", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));

    // The demo refuses to overwrite a non-empty directory.
    let out = relay(
        ws.parent().unwrap().parent().unwrap(),
        &["demo", "--dir", "demo"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
}

#[test]
fn workspace_from_flag_or_environment() {
    let (tmp, ws) = demo();
    let out = relay(
        tmp.path(),
        &["--workspace", ws.to_str().unwrap(), "graph", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(tmp.path())
        .args(["graph", "--json"])
        .env("RELAY_WORKSPACE", ws.join("relay.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["repos"].as_array().unwrap().len(), 4);
}

#[test]
fn human_output_is_an_aligned_table_without_colour_when_piped() {
    let (_tmp, ws) = demo();
    let out = relay(&ws, &["status"]);
    let text = stdout(&out);
    assert!(
        !text.contains('\x1b'),
        "no colour codes when stdout is not a terminal"
    );
    let header = text.lines().find(|l| l.starts_with("REPO")).unwrap();
    let col = header.find("BRANCH").unwrap();
    for line in text
        .lines()
        .skip_while(|l| !l.starts_with("REPO"))
        .skip(1)
        .filter(|l| !l.is_empty())
    {
        assert_eq!(&line[col..col + 4], "main", "column aligned: {line}");
    }
}
