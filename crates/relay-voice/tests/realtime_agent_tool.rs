//! `run_agent_task` driven by voice: the fake Realtime model calls it, the shell agent runs real
//! commands in real git repositories (shared-api <- backend <- frontend), and the model receives
//! the per-repository results as its `function_call_output`.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use relay_agent::shell::ShellAgent;
use relay_core::RepoGraph;
use relay_core::agent::AgentTask;
use relay_core::tools::ToolRegistry;
use relay_core::voice::VoiceEvent;
use relay_testkit::realtime::{FakeRealtime, Scenario};
use relay_tools::ToolFamilies;
use serde_json::json;

fn registry_for(graph: Arc<dyn RepoGraph>) -> Arc<ToolRegistry> {
    Arc::new(
        ToolRegistry::new()
            .with_repo_tools(graph.clone())
            .with_agent_tools(
                graph,
                Arc::new(ShellAgent::new()),
                AgentTask::builder("", ".").build(),
            ),
    )
}

/// Writes `result.txt` in each repository and fails in `backend`.
fn task() -> String {
    // One sh -c word: the shell agent splits the task into words and runs no shell itself.
    r#"sh -c 'echo ran > result.txt && test "$(basename "$PWD")" != backend'"#.to_string()
}

#[tokio::test]
async fn a_failing_repository_skips_its_dependents_and_the_model_hears_each_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let graph = git_workspace(dir.path());
    let args = json!({"task": task()}).to_string();
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("run_agent_task", &args)])
            .say("Reported.", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry_for(graph)).await;
    session.send_text("run the check everywhere").unwrap();
    let events = until_says(&session, "Reported.").await;

    let out = &tool_outputs(&server)[0];
    assert_eq!(
        out["summary"],
        "The task succeeded in 1 of 3 repositories (shared-api); failed in backend; skipped \
         frontend because a dependency did not succeed. 2 files changed."
    );
    assert_eq!(out["agent"], "shell");
    assert_eq!(out["all_succeeded"], false);
    let repos = out["repositories"].as_array().unwrap();
    let names: Vec<&str> = repos.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["shared-api", "backend", "frontend"],
        "dependency order"
    );
    assert_eq!(repos[0]["outcome"], "success");
    assert_eq!(repos[0]["changed_files"], json!(["result.txt"]));
    assert_eq!(
        repos[0]["line"],
        "shared-api: succeeded, 1 file changed (result.txt)"
    );
    // backend failed after writing its file; its untracked wip.txt predates the run.
    assert_eq!(repos[1]["outcome"], "failed");
    assert_eq!(repos[1]["changed_files"], json!(["result.txt"]));
    assert!(
        repos[1]["error"]
            .as_str()
            .unwrap()
            .ends_with("` exited with exit code 1"),
        "{}",
        repos[1]["error"]
    );
    assert_eq!(repos[2]["outcome"], "skipped");
    assert_eq!(
        repos[2]["line"],
        "frontend: skipped: dependency `backend` did not succeed (failed); use keep_going to run anyway"
    );
    assert!(!dir.path().join("frontend/result.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shared-api/result.txt")).unwrap(),
        "ran\n"
    );

    // Spoken progress: the acknowledgement, then each repository's result once.
    let said = progress_messages(&events);
    assert!(said[0].starts_with("On it: run agent task"), "{said:?}");
    for repo in [
        "shared-api: done in 1 turn,",
        "backend: ",
        "frontend: skipped",
    ] {
        assert_eq!(
            said.iter().filter(|m| m.starts_with(repo)).count(),
            1,
            "{repo} in {said:?}"
        );
    }
}

#[tokio::test]
async fn affected_by_and_keep_going_choose_the_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let graph = git_workspace(dir.path());
    let affected =
        json!({"task": task(), "affected_by": ["backend"], "keep_going": true}).to_string();
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("run_agent_task", &affected)])
            .say("Done.", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry_for(graph)).await;
    session.send_text("run it on what backend affects").unwrap();
    until_says(&session, "Done.").await;
    let out = &tool_outputs(&server)[0];
    let lines: Vec<&str> = out["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("backend: failed: "), "{lines:?}");
    assert_eq!(
        lines[1], "frontend: succeeded, 1 file changed (result.txt)",
        "keep_going ran the dependent anyway"
    );
    assert!(!dir.path().join("shared-api/result.txt").exists());
}

#[tokio::test]
async fn without_repos_the_primary_project_and_its_related_repos_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let graph = git_workspace(dir.path());
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("switch_project", r#"{"name":"frontend"}"#)])
            .call(&[(
                "run_agent_task",
                r#"{"task":"git rev-parse --abbrev-ref HEAD"}"#,
            )])
            .say("Done.", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry_for(graph)).await;
    session
        .send_text("work on frontend and check the branch")
        .unwrap();
    until_says(&session, "Done.").await;
    let out = &tool_outputs(&server)[1];
    assert_eq!(
        out["summary"],
        "The task succeeded in all 2 repositories (backend, frontend). 0 files changed."
    );
}

#[tokio::test]
async fn bad_requests_and_agent_failures_are_readable_and_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let graph = git_workspace(dir.path());
    let both =
        json!({"task": "true", "repos": ["backend"], "affected_by": ["backend"]}).to_string();
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[
                (
                    "run_agent_task",
                    r#"{"task":"touch x.txt","repos":["backend","billing"]}"#,
                ),
                ("run_agent_task", &both),
                ("run_agent_task", r#"{"repos":["backend"]}"#),
                (
                    "run_agent_task",
                    r#"{"task":"no-such-program --flag","repos":["shared-api"]}"#,
                ),
            ])
            .say("Understood.", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry_for(graph)).await;
    session.send_text("try a few things").unwrap();
    let events = until_says(&session, "Understood.").await;
    let out = tool_outputs(&server);
    assert_eq!(out.len(), 4);
    assert_eq!(
        out[0]["error"],
        "unknown repository `billing`; the workspace defines: shared-api, backend, frontend"
    );
    assert!(
        !dir.path().join("backend/x.txt").exists(),
        "nothing ran for a request naming an unknown repository"
    );
    assert_eq!(
        out[1]["error"],
        "give either `repos` or `affected_by`, not both"
    );
    assert_eq!(
        out[2]["error"],
        "invalid arguments for `run_agent_task`: missing required property `task`"
    );
    // The agent itself failing is a result, not a crash: the repository is reported failed.
    assert_eq!(out[3]["all_succeeded"], false);
    let error = out[3]["repositories"][0]["error"].as_str().unwrap();
    assert!(error.contains("no-such-program"), "{error}");
    assert!(
        out[3]["summary"]
            .as_str()
            .unwrap()
            .starts_with("The task succeeded in none of the 1 repository; failed in shared-api."),
        "{}",
        out[3]["summary"]
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, VoiceEvent::Closed { .. }))
    );
    assert_clean(&dir.path().join("shared-api"));
}

/// Nothing was left behind in `repo` (only what git_workspace made).
fn assert_clean(repo: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(repo)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".git", "README.md"]);
}
