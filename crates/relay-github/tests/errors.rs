//! GitHub's refusals as errors that say what happened and what to do; short rate limits waited
//! out, long ones reported; the token never shown.

mod common;

use std::time::Duration;

use relay_core::github::{GitHubApi, RepoSlug};
use relay_github::{GitHubClient, GitHubConfig};
use relay_testkit::github::Failure;

fn slug(name: &str) -> RepoSlug {
    RepoSlug::new("acme", name)
}

#[tokio::test]
async fn a_wrong_token_is_a_401_that_says_so_without_the_token() {
    let w = common::world().await;
    let config = GitHubConfig::new("ghp_wrongWrongWrong")
        .api_url(w.peer.url())
        .graphql_url(w.peer.graphql_url());
    let github = GitHubClient::new(&config).unwrap();
    let err = github.overview(&[slug("backend")]).await.unwrap_err();
    assert_eq!(err.code(), "github_unauthorized");
    let text = err.to_string();
    assert!(
        text.contains("401") && text.contains("GITHUB_TOKEN"),
        "{text}"
    );
    assert!(!text.contains("ghp_wrong"), "{text}");
    assert!(!format!("{github:?}{config:?}").contains("ghp_wrong"));
}

#[tokio::test]
async fn forbidden_and_not_found_name_what_to_do() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    w.peer.fail_next(Failure::Forbidden(
        "Resource not accessible by personal access token".into(),
    ));
    let err = github.checks(&slug("backend"), "main").await.unwrap_err();
    assert_eq!(err.code(), "github_forbidden");
    let text = err.to_string();
    assert!(
        text.contains("Resource not accessible") && text.contains("give the token access"),
        "{text}"
    );

    let err = github
        .checks(&RepoSlug::new("acme", "nope"), "main")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert!(err.to_string().contains("private repositories"), "{err}");
}

#[tokio::test]
async fn short_rate_limits_are_waited_out() {
    let w = common::world().await;
    let github = common::client(&w.peer);
    w.peer
        .fail_next(Failure::SecondaryRateLimit { retry_after: 1 });
    let checks = github.checks(&slug("backend"), "main").await.unwrap();
    assert_eq!(checks.failing, ["test"]);
    // The GraphQL limit (200 with RATE_LIMITED) too: reset in 1 s.
    w.peer.fail_next(Failure::PrimaryRateLimit { reset_in: 0 });
    let overview = github.overview(&[slug("backend")]).await.unwrap();
    assert_eq!(overview.repos[0].checks.failing, ["test"]);
}

#[tokio::test]
async fn long_rate_limits_are_errors_that_say_when_to_retry() {
    let w = common::world().await;
    let github =
        GitHubClient::new(&common::config(&w.peer).max_rate_limit_wait(Duration::from_secs(2)))
            .unwrap();
    w.peer
        .fail_next(Failure::PrimaryRateLimit { reset_in: 3000 });
    let err = github.checks(&slug("backend"), "main").await.unwrap_err();
    assert_eq!(err.code(), "github_rate_limited");
    let text = err.to_string();
    assert!(
        text.contains("primary rate limit") && text.contains("try again"),
        "{text}"
    );
    w.peer
        .fail_next(Failure::SecondaryRateLimit { retry_after: 120 });
    let err = github
        .pull_request(&slug("frontend"), w.maria_pr)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("secondary rate limit") && text.contains("120 s"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unreachable_api_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let github = GitHubClient::new(&GitHubConfig::new("t").api_url(&url)).unwrap();
    let err = github.checks(&slug("x"), "main").await.unwrap_err();
    assert_eq!(err.code(), "connect");
    assert!(err.to_string().contains("GITHUB_API_URL"), "{err}");
    let bad = GitHubClient::new(&GitHubConfig::new("t").api_url("ftp://example.com")).unwrap_err();
    assert_eq!(bad.code(), "config");
}
