//! The GitHub peer rejects what GitHub's own descriptions do not allow, and says why.

use relay_testkit::github::{GitHubPeer, PullState, TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One raw HTTP/1.1 request; returns the status and the body.
async fn send(peer: &GitHubPeer, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let addr = peer.url().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {TOKEN}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn peer() -> GitHubPeer {
    let peer = GitHubPeer::start()
        .await
        .expect("run scripts/setup/github.sh");
    peer.add_repo("acme", "api", "main");
    peer.add_pull(
        "acme",
        "api",
        PullState::new("x", "maria", "feature", "main"),
    );
    peer
}

#[tokio::test]
async fn a_valid_request_passes() {
    let peer = peer().await;
    let (status, body) = send(
        &peer,
        "GET",
        "/repos/acme/api/pulls?state=open&per_page=10",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(peer.violations().is_empty(), "{:?}", peer.violations());
}

#[tokio::test]
async fn an_operation_github_does_not_have_is_a_violation() {
    let peer = peer().await;
    let (status, _) = send(&peer, "DELETE", "/repos/acme/api/pulls/1", None).await;
    assert_eq!(status, 404);
    let (status, _) = send(&peer, "GET", "/repos/acme/api/pull-requests", None).await;
    assert_eq!(status, 404);
    let violations = peer.take_violations();
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert!(
        violations[0].contains("no such operation"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn undeclared_or_invalid_parameters_are_violations() {
    let peer = peer().await;
    let (status, body) = send(&peer, "GET", "/repos/acme/api/pulls?state=merged", None).await;
    assert_eq!(status, 422, "{body}");
    send(&peer, "GET", "/repos/acme/api/pulls?sort_by=updated", None).await;
    send(&peer, "GET", "/repos/acme/api/pulls/one", None).await;
    let violations = peer.take_violations().join("\n");
    assert!(
        violations.contains("parameter `state`") && violations.contains("\"merged\" is not one of"),
        "{violations}"
    );
    assert!(
        violations.contains("query parameter `sort_by` is not declared by pulls/list"),
        "{violations}"
    );
    assert!(
        violations.contains("parameter `pull_number`: `one` is not an integer"),
        "{violations}"
    );
}

#[tokio::test]
async fn a_body_that_does_not_match_the_schema_is_a_violation() {
    let peer = peer().await;
    let (status, _) = send(
        &peer,
        "POST",
        "/repos/acme/api/pulls/1/reviews",
        Some(r#"{"event": "LGTM", "comments": [{"path": "a.rs", "line": "twelve", "body": "x"}]}"#),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = send(
        &peer,
        "PUT",
        "/repos/acme/api/pulls/1/merge",
        Some(r#"{"merge_method": "fast-forward"}"#),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = send(&peer, "GET", "/repos/acme/api/pulls/1", Some("{}")).await;
    assert_eq!(status, 422);
    let violations = peer.take_violations().join("\n");
    assert!(
        violations.contains("$.event") && violations.contains("LGTM"),
        "{violations}"
    );
    assert!(
        violations.contains("$.comments[0].line: expected integer"),
        "{violations}"
    );
    assert!(violations.contains("$.merge_method"), "{violations}");
    assert!(
        violations.contains("pulls/get takes no request body"),
        "{violations}"
    );
}

#[tokio::test]
async fn graphql_queries_are_checked_against_githubs_schema_and_what_the_peer_serves() {
    let peer = peer().await;
    let ok = r#"{"query": "query { viewer { login } repository(owner: \"acme\", name: \"api\") { nameWithOwner pullRequests(first: 5, states: [OPEN]) { nodes { number author { login } } } } }"}"#;
    let (status, body) = send(&peer, "POST", "/graphql", Some(ok)).await;
    assert_eq!(status, 200);
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(value["data"]["viewer"]["login"], "octocat");
    assert_eq!(
        value["data"]["repository"]["pullRequests"]["nodes"][0]["author"]["login"],
        "maria"
    );
    assert!(peer.violations().is_empty(), "{:?}", peer.violations());

    // Not in GitHub's schema.
    let unknown = r#"{"query": "query { repository(owner: \"acme\", name: \"api\") { pullRequests(first: 5, color: RED) { nodes { number reviewers } } } }"}"#;
    let (_, body) = send(&peer, "POST", "/graphql", Some(unknown)).await;
    assert!(body.contains("errors"), "{body}");
    // In GitHub's schema but not served by the peer.
    let unserved =
        r#"{"query": "query { repository(owner: \"acme\", name: \"api\") { stargazerCount } }"}"#;
    send(&peer, "POST", "/graphql", Some(unserved)).await;
    // Not GraphQL.
    send(
        &peer,
        "POST",
        "/graphql",
        Some(r#"{"query": "query { viewer { "}"#),
    )
    .await;
    let violations = peer.take_violations().join("\n");
    assert!(
        violations.contains("has no argument `color`"),
        "{violations}"
    );
    assert!(
        violations.contains("type `PullRequest` has no field `reviewers`"),
        "{violations}"
    );
    assert!(
        violations.contains("not served by the peer: repository.stargazerCount"),
        "{violations}"
    );
    assert!(violations.contains("does not parse"), "{violations}");
}

#[tokio::test]
#[should_panic(expected = "GitHub's API description does not allow")]
async fn dropping_the_peer_with_violations_fails_the_test() {
    let peer = peer().await;
    send(&peer, "GET", "/repos/acme/api/pulls?bogus=1", None).await;
    drop(peer);
}
