//! Writes against the GitHub peer: comment, review with inline comments, merge, issue; pull
//! requests opened and merged across a workspace in dependency order.

mod common;

use relay_core::Workspace;
use relay_core::github::ops::{self, PullRequestsPlan};
use relay_core::github::{
    GitHubApi, InlineComment, MergeMethod, NewIssue, RepoSlug, ReviewEvent, ReviewSubmission,
};
use relay_core::repo::RepoSelection;
use relay_testkit::github::CheckRunSpec;

fn slug(name: &str) -> RepoSlug {
    RepoSlug::new("acme", name)
}

/// shared-api <- backend <- frontend, listed in reverse so the order must come from the graph.
fn workspace(dir: &std::path::Path) -> Workspace {
    let yaml = "repositories:
  - name: frontend
    url: https://github.com/acme/frontend.git
    dependencies: [backend]
  - name: backend
    url: git@github.com:acme/backend.git
    dependencies: [shared-api]
  - name: shared-api
    github: acme/shared-api
  - name: local-tool
";
    Workspace::parse(yaml, dir, None).unwrap()
}

#[tokio::test]
async fn review_with_inline_comments_then_comment() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    let review = ReviewSubmission {
        event: ReviewEvent::Approve,
        body: "Nice work".into(),
        comments: vec![
            InlineComment::parse_location("src/login.tsx:12", "Extract this constant").unwrap(),
            InlineComment::parse_location("src/app.tsx:3", "Keep the import sorted").unwrap(),
        ],
    };
    github
        .review(&slug("frontend"), w.maria_pr, &review)
        .await
        .unwrap();
    let pull = w.peer.pull("acme", "frontend", w.maria_pr).unwrap();
    let last = pull.reviews.last().unwrap();
    assert_eq!(
        (
            last.author.as_str(),
            last.state.as_str(),
            last.body.as_str()
        ),
        ("octocat", "APPROVED", "Nice work")
    );
    let comments: Vec<(&str, u64, &str)> = pull
        .line_comments
        .iter()
        .filter(|c| c.author == "octocat")
        .map(|c| (c.path.as_str(), c.line, c.body.as_str()))
        .collect();
    assert_eq!(
        comments,
        [
            ("src/login.tsx", 12, "Extract this constant"),
            ("src/app.tsx", 3, "Keep the import sorted")
        ]
    );
    assert!(!pull.requested_reviewers.contains(&"octocat".to_owned()));

    let created = github
        .comment(&slug("frontend"), w.maria_pr, "Merging after lunch")
        .await
        .unwrap();
    assert!(created.url.contains("issuecomment"), "{}", created.url);
    let pull = w.peer.pull("acme", "frontend", w.maria_pr).unwrap();
    assert_eq!(pull.comments.last().unwrap().1, "Merging after lunch");
}

#[tokio::test]
async fn bad_reviews_are_refused_with_the_reason() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    // GitHub refuses approving one's own pull request.
    let own = ReviewSubmission {
        event: ReviewEvent::Approve,
        body: String::new(),
        comments: vec![],
    };
    let err = github
        .review(&slug("backend"), w.feature_pr, &own)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "github_rejected");
    assert!(err.to_string().contains("your own pull request"), "{err}");
    // A line outside the diff.
    let outside = ReviewSubmission {
        event: ReviewEvent::Comment,
        body: "x".into(),
        comments: vec![InlineComment::parse_location("README.md:1", "?").unwrap()],
    };
    let err = github
        .review(&slug("frontend"), w.maria_pr, &outside)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("README.md:1"), "{err}");
    // Requesting changes without saying which: refused before any request.
    let before = w.peer.request_count();
    let empty = ReviewSubmission {
        event: ReviewEvent::RequestChanges,
        body: " ".into(),
        comments: vec![],
    };
    let err = github
        .review(&slug("frontend"), w.maria_pr, &empty)
        .await
        .unwrap_err();
    assert!(err.is_usage(), "{err}");
    assert_eq!(w.peer.request_count(), before);
}

#[tokio::test]
async fn an_issue_is_created_with_labels() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    let issue = NewIssue {
        title: "Flaky test in CI".into(),
        body: "Seen twice today".into(),
        labels: vec!["bug".into()],
    };
    let created = github.create_issue(&slug("backend"), &issue).await.unwrap();
    let stored = w.peer.issues("acme", "backend");
    let stored = stored.iter().find(|i| i.number == created.number).unwrap();
    assert_eq!(stored.title, "Flaky test in CI");
    assert_eq!(stored.labels, ["bug"]);
    assert!(
        created
            .url
            .ends_with(&format!("/issues/{}", created.number))
    );
}

#[tokio::test]
async fn pull_requests_open_in_dependency_order_and_list_each_other() {
    let w = common::world().await;
    for repo in ["shared-api", "backend", "frontend"] {
        w.peer.add_branch("acme", repo, "rename-user-id");
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    let github = common::client(&w.peer);
    w.peer.clear_requests();
    let plan = PullRequestsPlan {
        branch: "rename-user-id".into(),
        title: "Rename user_id to account_id".into(),
        body: "The API field is renamed.".into(),
        base: None,
        draft: false,
        repos: RepoSelection::All,
    };
    let outcomes = ops::create_pull_requests(&ws, &github, &plan)
        .await
        .unwrap();
    let order: Vec<&str> = outcomes.iter().map(|o| o.repo.as_str()).collect();
    assert_eq!(
        order,
        ["shared-api", "backend", "frontend"],
        "dependencies first; local-tool is not on GitHub"
    );
    assert!(outcomes.iter().all(|o| o.error.is_none()), "{outcomes:#?}");
    let posts: Vec<String> = w
        .peer
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/pulls"))
        .map(|r| r.path)
        .collect();
    assert_eq!(
        posts,
        [
            "/repos/acme/shared-api/pulls",
            "/repos/acme/backend/pulls",
            "/repos/acme/frontend/pulls"
        ]
    );
    let number = |i: usize| outcomes[i].pull.as_ref().unwrap().number;
    let backend = w.peer.pull("acme", "backend", number(1)).unwrap();
    assert_eq!(backend.base, "main");
    assert_eq!(
        backend.body,
        format!(
            "The API field is renamed.\n\nPart of a change across shared-api#{}, frontend#{}.",
            number(0),
            number(2)
        )
    );

    // Asking again finds the open ones rather than failing.
    let again = ops::create_pull_requests(&ws, &github, &plan)
        .await
        .unwrap();
    assert_eq!(again[1].pull.as_ref().unwrap().number, number(1));
}

#[tokio::test]
async fn a_repository_not_on_github_named_explicitly_is_an_error_before_any_write() {
    let w = common::world().await;
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    let github = common::client(&w.peer);
    let plan = PullRequestsPlan {
        branch: "x".into(),
        title: "x".into(),
        body: String::new(),
        base: Some("main".into()),
        draft: false,
        repos: RepoSelection::Named(vec!["backend".into(), "local-tool".into()]),
    };
    let err = ops::create_pull_requests(&ws, &github, &plan)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_on_github");
    assert!(err.to_string().contains("local-tool"), "{err}");
    assert_eq!(w.peer.request_count(), 0);
}

#[tokio::test]
async fn merges_are_refused_with_reasons_until_checks_and_reviews_allow() {
    let w = common::world().await;
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    let github = common::client(&w.peer);
    for repo in ["shared-api", "backend"] {
        w.peer.add_branch("acme", repo, "bump");
    }
    let plan = PullRequestsPlan {
        branch: "bump".into(),
        title: "Bump".into(),
        body: String::new(),
        base: None,
        draft: false,
        repos: RepoSelection::Named(vec!["backend".into(), "shared-api".into()]),
    };
    let opened = ops::create_pull_requests(&ws, &github, &plan)
        .await
        .unwrap();
    let shared_pr = opened[0].pull.as_ref().unwrap().number;
    let backend_pr = opened[1].pull.as_ref().unwrap().number;
    w.peer.add_check_run(
        "acme",
        "backend",
        "bump",
        CheckRunSpec::completed("test", "failure"),
    );
    w.peer.add_check_run(
        "acme",
        "shared-api",
        "bump",
        CheckRunSpec::completed("test", "success"),
    );

    let selection = RepoSelection::Named(vec!["shared-api".into(), "backend".into()]);
    let err = ops::merge_pull_requests(&ws, &github, "bump", &selection, MergeMethod::Squash)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "refused");
    let text = err.to_string();
    assert!(
        text.contains(&format!("backend#{backend_pr}")) && text.contains("test"),
        "{text}"
    );
    assert!(
        !w.peer.pull("acme", "shared-api", shared_pr).unwrap().merged,
        "nothing merged"
    );

    // The test is fixed (a newer run of the same check replaces the failed one).
    w.peer.add_check_run(
        "acme",
        "backend",
        "bump",
        CheckRunSpec::completed("test", "success"),
    );
    w.peer.clear_requests();
    let merged = ops::merge_pull_requests(&ws, &github, "bump", &selection, MergeMethod::Squash)
        .await
        .unwrap();
    assert_eq!(
        merged.iter().map(|m| m.repo.as_str()).collect::<Vec<_>>(),
        ["shared-api", "backend"]
    );
    assert!(
        merged
            .iter()
            .all(|m| m.merge_sha.as_ref().is_some_and(|s| s.len() == 40))
    );
    let puts: Vec<String> = w
        .peer
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        puts,
        [
            format!("/repos/acme/shared-api/pulls/{shared_pr}/merge"),
            format!("/repos/acme/backend/pulls/{backend_pr}/merge")
        ]
    );
    assert!(w.peer.pull("acme", "backend", backend_pr).unwrap().merged);
}

#[tokio::test]
async fn changes_requested_and_conflicts_block_a_merge() {
    let w = common::world().await;
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    let github = common::client(&w.peer);
    w.peer.add_pull(
        "acme",
        "frontend",
        relay_testkit::github::PullState::new("Theme", "lee", "theme", "main")
            .decision("CHANGES_REQUESTED")
            .conflicting(),
    );
    let err = ops::merge_pull_requests(
        &ws,
        &github,
        "theme",
        &RepoSelection::All,
        MergeMethod::Merge,
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("requested changes") && text.contains("conflicts with main"),
        "{text}"
    );
    let none = ops::merge_pull_requests(
        &ws,
        &github,
        "nope",
        &RepoSelection::All,
        MergeMethod::Merge,
    )
    .await
    .unwrap_err();
    assert!(
        none.to_string().contains("no open pull request for `nope`"),
        "{none}"
    );
}
