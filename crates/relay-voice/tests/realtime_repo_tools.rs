//! The repository tools driven by voice: the fake Realtime model calls them, they run against
//! real git repositories through `relay_repos::GitRepoGraph`.

mod common;

use std::sync::Arc;

use common::*;
use relay_core::RepoGraph;
use relay_core::tools::ToolRegistry;
use relay_core::voice::VoiceEvent;
use relay_testkit::realtime::{FakeRealtime, Scenario};
use relay_tools::ToolFamilies;

fn registry_for(graph: Arc<dyn RepoGraph>) -> Arc<ToolRegistry> {
    Arc::new(ToolRegistry::new().with_repo_tools(graph))
}

#[tokio::test]
async fn morning_briefing_switch_project_impact_and_branch_by_voice() {
    let dir = tempfile::tempdir().unwrap();
    let graph = git_workspace(dir.path());
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("project_status", "{}")])
            .say("Briefing done.", 200)
            .call(&[("switch_project", r#"{"name":"backend"}"#)])
            .say("Switched.", 200)
            .call(&[
                ("impact_analysis", "{}"),
                ("create_branch", r#"{"name":"feature/login-timeout"}"#),
            ]),
    )
    .await
    .unwrap();
    let session = start(&server, registry_for(graph)).await;

    session.send_text("good morning, where are we?").unwrap();
    let events = until_says(&session, "Briefing done.").await;
    let briefing = events
        .iter()
        .find_map(|e| match e {
            VoiceEvent::ToolCallFinished {
                name,
                output,
                ok: true,
                ..
            } if name == "project_status" => Some(output.clone()),
            _ => None,
        })
        .expect("status ran");
    let v: serde_json::Value = serde_json::from_str(&briefing).unwrap();
    assert_eq!(
        v["summary"],
        "3 repositories: 1 with uncommitted changes, 0 behind upstream."
    );
    assert_eq!(v["repositories"][1]["name"], "backend");
    assert_eq!(v["repositories"][1]["untracked"], 1);
    assert!(
        v["repositories"][1]["line"]
            .as_str()
            .unwrap()
            .contains("last commit \"Add login endpoint\" by Ada")
    );

    session.send_text("I'm working on backend today").unwrap();
    let events = until_says(&session, "Switched.").await;
    assert!(events.iter().any(
        |e| matches!(e, VoiceEvent::ToolCallFinished { name, output, .. }
        if name == "switch_project" && output.contains(r#""related":["shared-api","frontend"]"#))
    ));

    // Without explicit repos, impact and branch apply to the primary project and its related repos.
    session
        .send_text("what does it affect? and start a branch")
        .unwrap();
    let events = until_says(&session, "Results:").await;
    let reply = texts(&events).pop().unwrap();
    assert!(reply.contains(r#""changed":["backend"]"#), "{reply}");
    assert!(
        reply.contains(r#""all_dependents":["frontend"]"#),
        "{reply}"
    );
    for repo in ["shared-api", "backend", "frontend"] {
        let head = std::fs::read_to_string(dir.path().join(repo).join(".git/HEAD")).unwrap();
        assert_eq!(
            head.trim(),
            "ref: refs/heads/feature/login-timeout",
            "{repo}"
        );
    }
}

#[tokio::test]
async fn unknown_project_is_explained_to_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let graph = git_workspace(dir.path());
    let server =
        FakeRealtime::start(Scenario::new().call(&[("switch_project", r#"{"name":"billing"}"#)]))
            .await
            .unwrap();
    let session = start(&server, registry_for(graph)).await;
    session.send_text("switch to billing").unwrap();
    let events = until_says(&session, "Results:").await;
    let reply = texts(&events).pop().unwrap();
    assert!(
        reply.contains(
            "unknown repository `billing`; the workspace defines: shared-api, backend, frontend"
        ),
        "{reply}"
    );
}

#[tokio::test]
async fn sync_by_voice_reports_job_progress_and_fast_forwards() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // origin (bare) <- upstream clone that moves ahead; the workspace clone is one commit behind.
    std::fs::create_dir_all(root.join("seed")).unwrap();
    git(&root.join("seed"), &["init", "-q", "-b", "main"]);
    std::fs::write(root.join("seed/a.txt"), "1").unwrap();
    git(&root.join("seed"), &["add", "."]);
    git(&root.join("seed"), &["commit", "-q", "-m", "first"]);
    git(root, &["clone", "-q", "--bare", "seed", "origin.git"]);
    std::fs::create_dir_all(root.join("ws")).unwrap();
    git(&root.join("ws"), &["clone", "-q", "../origin.git", "api"]);
    git(root, &["clone", "-q", "origin.git", "upstream"]);
    std::fs::write(root.join("upstream/a.txt"), "2").unwrap();
    git(&root.join("upstream"), &["commit", "-q", "-am", "second"]);
    git(&root.join("upstream"), &["push", "-q", "origin", "main"]);
    std::fs::write(
        root.join("ws/relay.yaml"),
        "repositories:\n  - name: api\n    url: ../origin.git\n",
    )
    .unwrap();
    let graph: Arc<dyn RepoGraph> = Arc::new(relay_repos::GitRepoGraph::new(
        relay_core::Workspace::load(root.join("ws/relay.yaml")).unwrap(),
    ));

    let server = FakeRealtime::start(Scenario::new().call(&[("sync_repos", "{}")]))
        .await
        .unwrap();
    let session = start(&server, registry_for(graph)).await;
    session.send_text("sync everything").unwrap();
    let events = until_says(&session, "Results:").await;
    let progress: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            VoiceEvent::ToolProgress { progress, .. } => Some(progress.message.as_str()),
            _ => None,
        })
        .collect();
    assert!(progress[0].starts_with("On it: sync repos"), "{progress:?}");
    assert!(
        progress.iter().any(|m| m.starts_with("api: ")),
        "the job's per-repo result reached the voice layer: {progress:?}"
    );
    let reply = texts(&events).pop().unwrap();
    assert!(reply.contains(r#""action":"fast_forwarded""#), "{reply}");
    assert_eq!(
        std::fs::read_to_string(root.join("ws/api/a.txt")).unwrap(),
        "2"
    );
}
