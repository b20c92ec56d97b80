//! `relay briefing`, `relay pr ...` and `relay issues` against the GitHub peer, on real git
//! repositories.

use std::path::Path;
use std::process::{Command, Output};

use relay_testkit::git::write_workspace;
use relay_testkit::github::{CheckRunSpec, GitHubPeer, PullState};
use serde_json::Value;

async fn relay(dir: &Path, peer: Option<&GitHubPeer>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_GRAPHQL_URL")
        .env("NO_COLOR", "1");
    if let Some(peer) = peer {
        cmd.env("GH_TOKEN", peer.token())
            .env("GITHUB_API_URL", peer.url())
            .env("GITHUB_GRAPHQL_URL", peer.graphql_url());
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("relay runs"))
        .await
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn setup() -> (GitHubPeer, tempfile::TempDir, u64) {
    let peer = GitHubPeer::start()
        .await
        .expect("run scripts/setup/github.sh");
    let me = peer.viewer();
    for repo in ["api", "app"] {
        peer.add_repo("acme", repo, "main");
    }
    peer.add_check_run(
        "acme",
        "api",
        "main",
        CheckRunSpec::completed("test", "failure"),
    );
    peer.add_status("acme", "app", "main", "ci/build", "success");
    let pr = peer.add_pull(
        "acme",
        "app",
        PullState::new("Add the login page", "maria", "login", "main")
            .file("src/login.ts", "added", 40, 0)
            .review_requested(&me),
    );
    peer.add_issue("acme", "api", "Checkout broken", &["urgent"], &[&me]);
    let dir = tempfile::tempdir().unwrap();
    write_workspace(
        dir.path(),
        &[("api", &[]), ("app", &["api"]), ("notes", &[])],
    );
    std::fs::write(
        dir.path().join("relay.yaml"),
        "repositories:\n  - name: api\n    url: https://github.com/acme/api.git\n  - name: app\n    github: acme/app\n    dependencies: [api]\n  - name: notes\n",
    )
    .unwrap();
    (peer, dir, pr)
}

#[tokio::test(flavor = "multi_thread")]
async fn briefing_json_has_repos_and_highlights_most_urgent_first() {
    let (peer, dir, _) = setup().await;
    let out = relay(dir.path(), Some(&peer), &["briefing", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let v = json(&out);
    let repos = v["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 3);
    assert_eq!(repos[0]["name"], "api");
    assert_eq!(
        repos[0]["branch"], "main",
        "the status fields of relay status --json"
    );
    assert_eq!(repos[0]["github"]["repo"], "acme/api");
    assert_eq!(repos[0]["github"]["checks"]["state"], "failure");
    assert!(
        repos[0]["github"]["pull_requests"].is_array() && repos[0]["github"]["issues"].is_array()
    );
    let notes = repos.iter().find(|r| r["name"] == "notes").unwrap();
    assert!(notes["github"].is_null());
    let kinds: Vec<&str> = v["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "failing_checks",
            "review_requested",
            "urgent_issue",
            "assigned_issues"
        ]
    );

    let out = relay(dir.path(), Some(&peer), &["briefing"]).await;
    let shown = text(&out);
    assert!(
        shown.contains("• api: 1 check failing on main (test)."),
        "{shown}"
    );
    assert!(shown.contains("REPO") && shown.contains("notes"), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_the_briefing_is_local_and_says_what_to_set() {
    let (_peer, dir, _) = setup().await;
    let out = relay(dir.path(), None, &["briefing", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["repos"].as_array().unwrap().len(), 3);
    assert!(v["github_error"].as_str().unwrap().contains("GH_TOKEN"));
    let out = relay(dir.path(), None, &["pr", "list"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("GITHUB_TOKEN") && shown.contains("GH_TOKEN"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pr_list_show_checks_and_issues() {
    let (peer, dir, pr) = setup().await;
    let out = relay(
        dir.path(),
        Some(&peer),
        &["pr", "list", "--review-requested", "--json"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["pull_requests"][0]["name"], "app");
    assert_eq!(v["pull_requests"][0]["number"], pr);
    assert_eq!(v["pull_requests"][0]["review_requested_from_me"], true);

    let out = relay(
        dir.path(),
        Some(&peer),
        &["pr", "show", "app", &pr.to_string(), "--json"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["files"][0]["path"], "src/login.ts");
    let out = relay(
        dir.path(),
        Some(&peer),
        &["pr", "show", "app", &pr.to_string()],
    )
    .await;
    assert!(
        text(&out).contains("maria wants to merge login into main"),
        "{}",
        text(&out)
    );

    let out = relay(dir.path(), Some(&peer), &["pr", "checks", "--json"]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failing check fails the command: {}",
        text(&out)
    );
    let v = json(&out);
    assert_eq!(v["checks"][0]["name"], "api");
    assert_eq!(v["checks"][0]["checks"]["failing"][0], "test");
    assert_eq!(v["checks"][1]["checks"]["state"], "success");

    let out = relay(dir.path(), Some(&peer), &["issues", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["issues"][0]["title"], "Checkout broken");
    assert_eq!(v["issues"][0]["urgent"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn pr_review_create_and_merge() {
    let (peer, dir, pr) = setup().await;
    let number = pr.to_string();
    let out = relay(
        dir.path(),
        Some(&peer),
        &[
            "pr",
            "review",
            "app",
            &number,
            "--approve",
            "-m",
            "Nice",
            "--line",
            "src/login.ts:7=Use a constant",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let pull = peer.pull("acme", "app", pr).unwrap();
    assert_eq!(pull.reviews.last().unwrap().state, "APPROVED");
    assert_eq!(
        (
            pull.line_comments[0].path.as_str(),
            pull.line_comments[0].line
        ),
        ("src/login.ts", 7)
    );

    let bad = relay(
        dir.path(),
        Some(&peer),
        &[
            "pr",
            "review",
            "app",
            &number,
            "--approve",
            "--line",
            "src/login.ts=x",
        ],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));

    for repo in ["api", "app"] {
        peer.add_branch("acme", repo, "rename");
    }
    let out = relay(
        dir.path(),
        Some(&peer),
        &[
            "pr", "create", "--branch", "rename", "--title", "Rename", "--repos", "app,api",
            "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["pull_requests"][0]["repo"], "api", "dependency order");
    assert_eq!(v["pull_requests"][1]["repo"], "app");

    // api's checks on the new branch fail: the merge is refused and nothing merges.
    peer.add_check_run(
        "acme",
        "api",
        "rename",
        CheckRunSpec::completed("test", "failure"),
    );
    let out = relay(
        dir.path(),
        Some(&peer),
        &["pr", "merge", "--branch", "rename"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not merging anything for `rename`"),
        "{}",
        text(&out)
    );
    assert!(peer.pulls("acme", "app").iter().all(|p| !p.merged));
}
