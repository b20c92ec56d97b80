//! A GitHub peer seeded like the plan's morning: `acme/shared-api` green, `acme/backend` with a
//! failing test on main and an urgent issue, `acme/frontend` with two pull requests asking for
//! the viewer's review.

#![allow(dead_code)]

use relay_github::{GitHubClient, GitHubConfig};
use relay_testkit::github::{CheckRunSpec, GitHubPeer, PullState};

pub struct World {
    pub peer: GitHubPeer,
    pub feature_pr: u64,
    pub maria_pr: u64,
}

pub async fn world() -> World {
    let peer = GitHubPeer::start()
        .await
        .expect("GitHub peer (run scripts/setup/github.sh)");
    let me = peer.viewer();
    for name in ["shared-api", "backend", "frontend"] {
        peer.add_repo("acme", name, "main");
    }
    peer.add_check_run(
        "acme",
        "shared-api",
        "main",
        CheckRunSpec::completed("build", "success"),
    );
    peer.add_check_run(
        "acme",
        "backend",
        "main",
        CheckRunSpec::completed("build", "success"),
    );
    peer.add_check_run(
        "acme",
        "backend",
        "main",
        CheckRunSpec::completed("test", "failure"),
    );
    peer.add_status("acme", "backend", "main", "ci/lint", "success");
    peer.add_check_run(
        "acme",
        "frontend",
        "main",
        CheckRunSpec::completed("build", "success"),
    );

    let maria_pr = peer.add_pull(
        "acme",
        "frontend",
        PullState::new("Add the login page", "maria", "login-page", "main")
            .file("src/login.tsx", "added", 120, 0)
            .file("src/app.tsx", "modified", 4, 2)
            .review_requested(&me)
            .decision("REVIEW_REQUIRED"),
    );
    peer.add_check_run(
        "acme",
        "frontend",
        "login-page",
        CheckRunSpec::completed("build", "success"),
    );
    peer.add_check_run(
        "acme",
        "frontend",
        "login-page",
        CheckRunSpec::in_progress("e2e"),
    );
    peer.add_review(
        "acme",
        "frontend",
        maria_pr,
        "tom",
        "COMMENTED",
        "Looks close",
    );
    peer.add_line_comment(
        ("acme", "frontend"),
        maria_pr,
        "tom",
        "src/app.tsx:3",
        "Why this import?",
    );
    peer.add_pull(
        "acme",
        "frontend",
        PullState::new("Dark mode", "lee", "dark-mode", "main").review_requested(&me),
    );
    let feature_pr = peer.add_pull(
        "acme",
        "backend",
        PullState::new("Refactor the API client", "octocat", "refactor", "main").file(
            "src/client.rs",
            "modified",
            30,
            12,
        ),
    );
    peer.add_issue(
        "acme",
        "backend",
        "Login fails for SSO users",
        &["bug", "urgent"],
        &[&me],
    );
    peer.add_issue("acme", "backend", "Slow search", &["performance"], &[&me]);
    peer.add_issue(
        "acme",
        "frontend",
        "Typo on the home page",
        &["good first issue"],
        &[&me],
    );
    peer.add_issue(
        "acme",
        "frontend",
        "Not mine",
        &["urgent"],
        &["someone-else"],
    );
    World {
        peer,
        feature_pr,
        maria_pr,
    }
}

pub fn client(peer: &GitHubPeer) -> GitHubClient {
    GitHubClient::new(&config(peer)).expect("client")
}

pub fn config(peer: &GitHubPeer) -> GitHubConfig {
    GitHubConfig::new(peer.token())
        .api_url(peer.url())
        .graphql_url(peer.graphql_url())
}
