//! `relay-testkit github`: runs the GitHub peer, seeded with a small morning, until stdin
//! closes; prints one JSON line `{"url", "graphql_url", "token", "viewer"}` first. On exit it
//! prints the requests GitHub's descriptions do not allow and exits 1 when there were any, so a
//! binding test that checks the exit status fails on them.
//!
//! The seed: `acme/api` (main: check `test` failing; issue "Checkout broken" labelled urgent,
//! assigned to the viewer), `acme/app` (main green; pull request "Add the login page" by maria
//! from `login`, file `src/login.ts` +40, the viewer's review requested); branch `rename` in
//! both.

use relay_testkit::github::{CheckRunSpec, GitHubPeer, PullState};
use tokio::io::AsyncReadExt;

pub fn main(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "relay-testkit github: the GitHub peer, seeded; prints a JSON line, serves until stdin closes"
        );
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    let violations = runtime.block_on(run())?;
    if violations.is_empty() {
        Ok(())
    } else {
        eprintln!(
            "relay-testkit github: requests GitHub's API description does not allow:\n  {}",
            violations.join("\n  ")
        );
        std::process::exit(1);
    }
}

async fn run() -> Result<Vec<String>, String> {
    let peer = GitHubPeer::start().await?;
    let me = peer.viewer();
    for repo in ["api", "app"] {
        peer.add_repo("acme", repo, "main");
        peer.add_branch("acme", repo, "rename");
    }
    peer.add_check_run(
        "acme",
        "api",
        "main",
        CheckRunSpec::completed("test", "failure"),
    );
    peer.add_check_run(
        "acme",
        "app",
        "main",
        CheckRunSpec::completed("build", "success"),
    );
    peer.add_pull(
        "acme",
        "app",
        PullState::new("Add the login page", "maria", "login", "main")
            .file("src/login.ts", "added", 40, 0)
            .review_requested(&me),
    );
    peer.add_issue("acme", "api", "Checkout broken", &["urgent"], &[&me]);
    println!(
        "{}",
        serde_json::json!({
            "url": peer.url(),
            "graphql_url": peer.graphql_url(),
            "token": peer.token(),
            "viewer": me,
        })
    );
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    Ok(peer.take_violations())
}
