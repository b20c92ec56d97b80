//! The morning briefing: local status of real git repositories next to their GitHub state from
//! the peer, highlights most urgent first.

mod common;

use relay_core::Workspace;
use relay_core::github::{HighlightKind, briefing};
use relay_repos::GitRepoGraph;
use relay_testkit::git::write_workspace;

#[tokio::test]
async fn the_briefing_puts_failing_main_first_then_reviews_then_urgent_issues() {
    let w = common::world().await;
    let dir = tempfile::tempdir().unwrap();
    write_workspace(
        dir.path(),
        &[
            ("shared-api", &[]),
            ("backend", &["shared-api"]),
            ("frontend", &["shared-api"]),
            ("notes", &[]),
        ],
    );
    let yaml = "repositories:
  - name: shared-api
    url: git@github.com:acme/shared-api.git
  - name: backend
    url: https://github.com/acme/backend
    dependencies: [shared-api]
  - name: frontend
    github: acme/frontend
    dependencies: [shared-api]
  - name: notes
";
    std::fs::write(dir.path().join("relay.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("backend/scratch.txt"), "wip").unwrap();
    let graph = GitRepoGraph::new(Workspace::discover(dir.path()).unwrap());
    let github = common::client(&w.peer);
    w.peer.clear_requests();

    let b = briefing(&graph, Some(&github)).await.unwrap();
    assert_eq!(
        w.peer.request_count(),
        2,
        "the viewer and one query for every repository"
    );
    assert!(b.github_error.is_none(), "{:?}", b.github_error);
    let names: Vec<&str> = b.repos.iter().map(|r| r.status.name.as_str()).collect();
    assert_eq!(names, ["shared-api", "notes", "backend", "frontend"]);
    let backend = &b.repos[2];
    assert_eq!(backend.status.untracked, 1, "local status is there");
    assert_eq!(
        backend.github.as_ref().unwrap().repo.to_string(),
        "acme/backend"
    );
    assert!(b.repos[1].github.is_none(), "notes is not on GitHub");

    let kinds: Vec<HighlightKind> = b.highlights.iter().map(|h| h.kind).collect();
    assert_eq!(
        kinds,
        [
            HighlightKind::FailingChecks,
            HighlightKind::ReviewRequested,
            HighlightKind::UrgentIssue,
            HighlightKind::AssignedIssues
        ]
    );
    assert_eq!(
        b.highlights[0].text,
        "backend: 1 check failing on main (test)."
    );
    assert!(
        b.highlights[1]
            .text
            .starts_with("frontend: 2 pull requests to review:"),
        "{}",
        b.highlights[1].text
    );
    assert!(
        b.highlights[1]
            .text
            .contains("\"Add the login page\" by maria")
    );
    assert!(b.highlights[2].text.contains("Login fails for SSO users"));
    assert_eq!(
        b.highlights[3].text,
        "3 GitHub issues assigned to you, 1 marked urgent."
    );

    let json = serde_json::to_value(&b).unwrap();
    assert!(json["repos"][2]["untracked"].is_number() && json["repos"][2]["name"] == "backend");
    assert_eq!(json["repos"][2]["github"]["checks"]["state"], "failure");
    assert!(json["repos"][3]["github"]["pull_requests"].is_array());
    assert!(json["repos"][3]["github"]["issues"].is_array());

    // Without a token: the local half, and what to do.
    let local = briefing(&graph, None).await.unwrap();
    assert_eq!(local.repos.len(), 4);
    assert!(local.highlights.is_empty());
    assert!(local.github_error.unwrap().contains("GITHUB_TOKEN"));
}
