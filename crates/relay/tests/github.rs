//! GitHub through the facade: the builder's GitHub part, the GitHub tools with their
//! permissions, `project_status` with GitHub's highlights, against the GitHub peer.

use relay::Relay;
use relay::core::tools::{Permission, ToolContext, ToolRegistry};
use relay::github::GitHubConfig;
use relay_testkit::git::write_workspace;
use relay_testkit::github::{CheckRunSpec, GitHubPeer, PullState};
use serde_json::{Value, json};

async fn peer() -> GitHubPeer {
    let peer = GitHubPeer::start()
        .await
        .expect("run scripts/setup/github.sh");
    let me = peer.viewer();
    peer.add_repo("acme", "api", "main");
    peer.add_repo("acme", "app", "main");
    peer.add_check_run(
        "acme",
        "api",
        "main",
        CheckRunSpec::completed("test", "failure"),
    );
    peer.add_pull(
        "acme",
        "app",
        PullState::new("Add the login page", "maria", "login", "main")
            .file("src/login.ts", "added", 40, 0)
            .review_requested(&me),
    );
    peer.add_issue("acme", "app", "Checkout broken", &["urgent"], &[&me]);
    peer
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[]), ("app", &["api"])]);
    std::fs::write(
        dir.path().join("relay.yaml"),
        "repositories:\n  - name: api\n    url: git@github.com:acme/api.git\n  - name: app\n    github: acme/app\n    dependencies: [api]\n",
    )
    .unwrap();
    dir
}

async fn registry(
    peer: &GitHubPeer,
    dir: &tempfile::TempDir,
    permissions: Option<Vec<Permission>>,
) -> ToolRegistry {
    let config = GitHubConfig::new(peer.token())
        .api_url(peer.url())
        .graphql_url(peer.graphql_url());
    let mut builder = Relay::builder().workspace(dir.path()).github(config);
    if let Some(p) = permissions {
        builder = builder.permissions(p);
    }
    let relay = builder.build().await.unwrap();
    assert!(relay.github().is_some());
    relay.tools().unwrap()
}

async fn call(registry: &ToolRegistry, name: &str, args: Value) -> (bool, Value) {
    let out = registry
        .invoke(name, &args.to_string(), ToolContext::default())
        .await;
    (out.ok, out.value)
}

#[tokio::test]
async fn the_github_tools_read_and_write_through_the_registry() {
    let peer = peer().await;
    let dir = workspace();
    let registry = registry(&peer, &dir, None).await;
    for name in [
        "briefing",
        "list_pull_requests",
        "pull_request_summary",
        "ci_status",
        "list_issues",
        "review_pull_request",
        "create_pull_requests",
        "merge_pull_requests",
        "create_issue",
    ] {
        let spec = registry
            .spec(name)
            .unwrap_or_else(|| panic!("{name} registered"));
        let write = matches!(
            name,
            "review_pull_request" | "create_pull_requests" | "merge_pull_requests" | "create_issue"
        );
        assert_eq!(
            spec.permission,
            if write {
                Permission::WriteRepos
            } else {
                Permission::Read
            },
            "{name}"
        );
    }

    let (ok, briefing) = call(&registry, "briefing", json!({})).await;
    assert!(ok, "{briefing}");
    let summary = briefing["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("api: 1 check failing on main (test)."),
        "{summary}"
    );
    assert!(
        summary.contains("app: 1 pull request to review") && summary.contains("urgent issue"),
        "{summary}"
    );

    let (ok, status) = call(&registry, "project_status", json!({})).await;
    assert!(ok, "{status}");
    assert!(
        status["summary"]
            .as_str()
            .unwrap()
            .contains("1 check failing on main"),
        "{status}"
    );
    assert_eq!(status["github_highlights"][0]["kind"], "failing_checks");

    let (_, list) = call(
        &registry,
        "list_pull_requests",
        json!({"review_requested": true}),
    )
    .await;
    assert_eq!(list["pull_requests"][0]["repo"], "app");
    let number = list["pull_requests"][0]["pull_request"]["number"]
        .as_u64()
        .unwrap();

    let (ok, pr) = call(
        &registry,
        "pull_request_summary",
        json!({"repo": "app", "number": number}),
    )
    .await;
    assert!(ok, "{pr}");
    assert!(
        pr["summary"]
            .as_str()
            .unwrap()
            .contains("src/login.ts (+40 -0)"),
        "{pr}"
    );

    let (_, ci) = call(&registry, "ci_status", json!({"repos": ["api"]})).await;
    assert_eq!(ci["repos"][0]["checks"]["failing"], json!(["test"]));
    let (_, issues) = call(&registry, "list_issues", json!({})).await;
    assert!(
        issues["summary"].as_str().unwrap().contains("app#"),
        "{issues}"
    );

    let (ok, review) = call(
        &registry,
        "review_pull_request",
        json!({"repo": "app", "number": number, "event": "approve", "body": "LGTM",
               "comments": [{"path": "src/login.ts", "line": 3, "body": "Use a constant"}]}),
    )
    .await;
    assert!(ok, "{review}");
    assert_eq!(
        review["summary"],
        format!("Approved app#{number} with 1 inline comment.")
    );
    let pull = peer.pull("acme", "app", number).unwrap();
    assert_eq!(pull.reviews.last().unwrap().state, "APPROVED");
    assert_eq!(pull.line_comments.last().unwrap().body, "Use a constant");

    let (ok, issue) = call(
        &registry,
        "create_issue",
        json!({"repo": "api", "title": "Fix the test", "labels": ["bug"]}),
    )
    .await;
    assert!(ok, "{issue}");
    assert_eq!(
        peer.issues("acme", "api").last().unwrap().title,
        "Fix the test"
    );

    // A repository the workspace does not know.
    let (ok, err) = call(
        &registry,
        "pull_request_summary",
        json!({"repo": "nope", "number": 1}),
    )
    .await;
    assert!(!ok);
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("name one of api, app"),
        "{err}"
    );
}

#[tokio::test]
async fn writing_tools_need_the_write_permission() {
    let peer = peer().await;
    let dir = workspace();
    let registry = registry(&peer, &dir, Some(vec![Permission::Read])).await;
    let (ok, _) = call(&registry, "list_issues", json!({})).await;
    assert!(ok);
    let before = peer.request_count();
    let (ok, err) = call(
        &registry,
        "create_issue",
        json!({"repo": "api", "title": "x"}),
    )
    .await;
    assert!(!ok);
    assert!(err.to_string().contains("write_repos"), "{err}");
    assert_eq!(peer.request_count(), before, "nothing sent");
}
