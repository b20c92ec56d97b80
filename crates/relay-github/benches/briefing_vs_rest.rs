//! The briefing's GitHub read over 50 repositories against the GitHub peer with 50 ms added to
//! every request: Relay's batched GraphQL overview against the naive per-repository REST loop a
//! script would write (repository, open pull requests, check runs and combined status of the
//! default branch, issues assigned to me: five requests per repository, one after the other).
//!
//! `cargo bench -p relay-github --bench briefing_vs_rest` (add `--profile dev` to skip the
//! release build: the time is the network's). Prints requests and wall time of each and the
//! ratios; results in benches/RESULTS.md.

use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use relay_core::github::{GitHubApi, RepoSlug};
use relay_github::{GitHubClient, GitHubConfig};
use relay_testkit::github::{CheckRunSpec, GitHubPeer, PullState};
use serde_json::Value;

const REPOS: usize = 50;
const LATENCY: Duration = Duration::from_millis(50);

async fn get(octo: &octocrab::Octocrab, path: &str) -> Value {
    let response = octo._get(path).await.expect("request");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

/// What a script without batching does: five REST requests per repository, in turn.
async fn naive_loop(peer: &GitHubPeer, slugs: &[RepoSlug]) -> usize {
    let octo = octocrab::Octocrab::builder()
        .base_uri(peer.url())
        .unwrap()
        .personal_token(peer.token().to_owned())
        .build()
        .unwrap();
    let mut seen = 0;
    for slug in slugs {
        let base = format!("/repos/{}/{}", slug.owner, slug.name);
        let repo = get(&octo, &base).await;
        let branch = repo["default_branch"].as_str().unwrap().to_owned();
        let pulls = get(&octo, &format!("{base}/pulls?state=open&per_page=100")).await;
        get(
            &octo,
            &format!("{base}/commits/{branch}/check-runs?per_page=100"),
        )
        .await;
        get(&octo, &format!("{base}/commits/{branch}/status")).await;
        let issues = get(
            &octo,
            &format!("{base}/issues?state=open&assignee=octocat&per_page=100"),
        )
        .await;
        seen += pulls.as_array().unwrap().len() + issues.as_array().unwrap().len();
    }
    seen
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let peer = GitHubPeer::start()
            .await
            .expect("run scripts/setup/github.sh");
        let me = peer.viewer();
        let mut slugs = Vec::new();
        for i in 0..REPOS {
            let name = format!("service-{i:02}");
            peer.add_repo("acme", &name, "main");
            peer.add_check_run(
                "acme",
                &name,
                "main",
                CheckRunSpec::completed("test", if i % 7 == 0 { "failure" } else { "success" }),
            );
            peer.add_status("acme", &name, "main", "ci/lint", "success");
            peer.add_pull(
                "acme",
                &name,
                PullState::new("Change", "maria", "change", "main").review_requested(&me),
            );
            peer.add_pull(
                "acme",
                &name,
                PullState::new("Other", "lee", "other", "main"),
            );
            peer.add_issue("acme", &name, "Bug", &["bug"], &[&me]);
            slugs.push(RepoSlug::new("acme", &name));
        }
        peer.set_latency(LATENCY);

        let config = GitHubConfig::new(peer.token())
            .api_url(peer.url())
            .graphql_url(peer.graphql_url());
        let github = GitHubClient::new(&config).unwrap();
        peer.clear_requests();
        let start = Instant::now();
        let overview = github.overview(&slugs).await.unwrap();
        let relay_time = start.elapsed();
        let relay_requests = peer.request_count();
        let relay_seen: usize = overview
            .repos
            .iter()
            .map(|r| r.pull_requests.len() + r.issues.len())
            .sum();

        peer.clear_requests();
        let start = Instant::now();
        let naive_seen = naive_loop(&peer, &slugs).await;
        let naive_time = start.elapsed();
        let naive_requests = peer.request_count();
        assert_eq!(
            relay_seen, naive_seen,
            "both read the same pull requests and issues"
        );

        println!(
            "briefing over {REPOS} repositories, {} ms added per request",
            LATENCY.as_millis()
        );
        println!(
            "relay (GraphQL, batched): {relay_requests} requests, {:.3} s",
            relay_time.as_secs_f64()
        );
        println!(
            "naive REST loop:          {naive_requests} requests, {:.3} s",
            naive_time.as_secs_f64()
        );
        println!(
            "ratios: {:.1}x fewer requests, {:.1}x faster",
            naive_requests as f64 / relay_requests as f64,
            naive_time.as_secs_f64() / relay_time.as_secs_f64()
        );
        assert!(peer.violations().is_empty(), "{:?}", peer.violations());
    });
}
