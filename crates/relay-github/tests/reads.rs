//! Reads against the GitHub peer: the batched overview, one pull request in full, a branch's
//! checks. Every request is checked by the peer against GitHub's descriptions.

mod common;

use relay_core::github::{CheckState, GitHubApi, Mergeable, RepoSlug, ReviewDecision};

fn slug(name: &str) -> RepoSlug {
    RepoSlug::new("acme", name)
}

#[tokio::test]
async fn the_overview_reads_many_repositories_in_one_query() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    let repos = [slug("shared-api"), slug("backend"), slug("frontend")];
    let overview = github.overview(&repos).await.unwrap();
    assert_eq!(overview.viewer, "octocat");
    assert_eq!(overview.repos.len(), 3);
    // The viewer once, then one query for all three repositories.
    assert_eq!(w.peer.request_count(), 2, "{:#?}", w.peer.requests());

    let shared = &overview.repos[0];
    assert_eq!(shared.default_branch.as_deref(), Some("main"));
    assert_eq!(shared.checks.state, CheckState::Success);

    let backend = &overview.repos[1];
    assert_eq!(backend.checks.state, CheckState::Failure);
    assert_eq!(backend.checks.failing, ["test"]);
    assert_eq!(backend.checks.passed, 2, "build and the ci/lint status");
    let titles: Vec<&str> = backend.issues.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"Login fails for SSO users") && titles.contains(&"Slow search"));
    let urgent: Vec<&str> = backend
        .issues
        .iter()
        .filter(|i| i.urgent)
        .map(|i| i.title.as_str())
        .collect();
    assert_eq!(urgent, ["Login fails for SSO users"]);

    let frontend = &overview.repos[2];
    assert_eq!(
        frontend.issues.len(),
        1,
        "issues assigned to someone else are not read"
    );
    assert_eq!(frontend.pull_requests.len(), 2);
    let login = frontend
        .pull_requests
        .iter()
        .find(|p| p.number == w.maria_pr)
        .unwrap();
    assert_eq!(login.author, "maria");
    assert_eq!(
        (login.head.as_str(), login.base.as_str()),
        ("login-page", "main")
    );
    assert!(login.review_requested_from_me);
    assert_eq!(login.review_decision, Some(ReviewDecision::ReviewRequired));
    assert_eq!(login.mergeable, Mergeable::Mergeable);
    assert_eq!(login.checks.state, CheckState::Pending);
    assert!(!login.draft);

    // A second overview reuses the viewer: one request.
    w.peer.clear_requests();
    github.overview(&repos[..1]).await.unwrap();
    assert_eq!(w.peer.request_count(), 1);
    assert_eq!(github.requests_sent(), 3);
}

#[tokio::test]
async fn a_repository_that_does_not_exist_is_reported_and_the_others_still_read() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    let overview = github
        .overview(&[slug("backend"), slug("gone"), slug("frontend")])
        .await
        .unwrap();
    assert!(overview.repos[0].error.is_none());
    let gone = overview.repos[1].error.as_deref().unwrap();
    assert!(gone.contains("acme/gone"), "{gone}");
    assert_eq!(overview.repos[2].pull_requests.len(), 2);
}

#[tokio::test]
async fn one_pull_request_in_full() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    let pr = github
        .pull_request(&slug("frontend"), w.maria_pr)
        .await
        .unwrap();
    assert_eq!(pr.title, "Add the login page");
    assert_eq!(pr.author, "maria");
    assert_eq!((pr.additions, pr.deletions), (124, 2));
    let files: Vec<(&str, u64, u64)> = pr
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.additions, f.deletions))
        .collect();
    assert_eq!(files, [("src/login.tsx", 120, 0), ("src/app.tsx", 4, 2)]);
    assert_eq!(pr.reviews.len(), 1);
    assert_eq!(
        (pr.reviews[0].author.as_str(), pr.reviews[0].state.as_str()),
        ("tom", "COMMENTED")
    );
    assert_eq!(pr.review_comments.len(), 1);
    assert_eq!(pr.review_comments[0].path, "src/app.tsx");
    assert_eq!(pr.review_comments[0].line, Some(3));
    let names: Vec<(&str, CheckState)> = pr
        .checks
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.state))
        .collect();
    assert_eq!(
        names,
        [("e2e", CheckState::Pending), ("build", CheckState::Success)]
    );
    let spoken = pr.spoken_summary();
    assert!(
        spoken.contains("by maria") && spoken.contains("2 files changed"),
        "{spoken}"
    );
    assert!(spoken.contains("1 of 2 checks still running"), "{spoken}");
    assert!(spoken.len() < 400, "short enough to speak: {spoken}");

    let missing = github
        .pull_request(&slug("frontend"), 999)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "not_found");
    assert!(
        missing.to_string().contains("acme/frontend#999"),
        "{missing}"
    );
}

#[tokio::test]
async fn branch_checks_combine_check_runs_and_statuses() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    let checks = github.checks(&slug("backend"), "main").await.unwrap();
    assert_eq!(checks.state, CheckState::Failure);
    assert_eq!(checks.failing, ["test"]);
    let names: Vec<&str> = checks.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["test", "build", "ci/lint"]);
    // A branch name with a slash is one path segment.
    w.peer.add_branch("acme", "backend", "feature/x");
    let none = github.checks(&slug("backend"), "feature/x").await.unwrap();
    assert_eq!(none.state, CheckState::None);
}
