//! `run_agent_task` with the default agent: the real `claude` CLI (from `.tools/npm`), pointed at
//! the fake Anthropic API, edits real repositories when the fake Realtime model calls the tool.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use relay_agent::claude::ClaudeCodeAgent;
use relay_core::RepoGraph;
use relay_core::agent::AgentTask;
use relay_core::tools::ToolRegistry;
use relay_testkit::anthropic::{FakeAnthropic, Script, Turn};
use relay_testkit::claude_cli::{claude_bin, claude_env};
use relay_testkit::realtime::{FakeRealtime, Scenario};
use relay_tools::ToolFamilies;
use serde_json::{Value, json};

struct Setup {
    _dir: tempfile::TempDir,
    home: tempfile::TempDir,
    root: std::path::PathBuf,
    graph: Arc<dyn RepoGraph>,
}

fn setup() -> Setup {
    relay_agent::become_child_subreaper();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let graph = git_workspace(&root);
    Setup {
        _dir: dir,
        home: tempfile::tempdir().unwrap(),
        root,
        graph,
    }
}

fn write(repo: &Path, file: &str, content: &str) -> Turn {
    Turn::tool(
        format!("Writing {file}."),
        "Write",
        json!({"file_path": repo.join(file).display().to_string(), "content": content}),
    )
}

/// The agent tool over `graph`, with Claude Code talking to `api`; only Write is allowed.
fn registry(s: &Setup, api: &FakeAnthropic) -> Arc<ToolRegistry> {
    let mut agent = ClaudeCodeAgent::builder().binary(claude_bin());
    for (k, v) in claude_env(&api.url(), s.home.path()) {
        agent = agent.env(k, v);
    }
    let template = AgentTask::builder("", ".")
        .allowed_tools(["Write"])
        .max_turns(4)
        .build();
    Arc::new(ToolRegistry::new().with_agent_tools(
        s.graph.clone(),
        Arc::new(agent.build()),
        template,
    ))
}

async fn call_once(registry: Arc<ToolRegistry>, args: &str) -> Value {
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("run_agent_task", args)])
            .say("Told.", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry).await;
    session.send_text("document the API").unwrap();
    until_says(&session, "Told.").await;
    tool_outputs(&server).remove(0)
}

#[tokio::test]
async fn claude_edits_each_repository_in_dependency_order() {
    let s = setup();
    let (api_repo, backend) = (s.root.join("shared-api"), s.root.join("backend"));
    let api = FakeAnthropic::start(Script::new(vec![
        write(&api_repo, "NOTES.md", "shared notes\n"),
        Turn::text("Added NOTES.md to shared-api."),
        write(&backend, "NOTES.md", "backend notes\n"),
        Turn::text("Added NOTES.md to backend."),
    ]))
    .await
    .unwrap();
    let out = call_once(
        registry(&s, &api),
        r#"{"task":"add a NOTES.md","repos":["backend","shared-api"]}"#,
    )
    .await;

    assert_eq!(out["agent"], "claude");
    assert_eq!(out["all_succeeded"], true, "{out:#}");
    let repos = out["repositories"].as_array().unwrap();
    assert_eq!(repos[0]["name"], "shared-api", "dependencies first");
    assert_eq!(repos[1]["name"], "backend");
    for r in repos {
        assert_eq!(r["outcome"], "success");
        assert_eq!(r["changed_files"], json!(["NOTES.md"]));
        assert_eq!(r["num_turns"], 2);
        assert!(r["cost_usd"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["session_id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    let total = out["total_cost_usd"].as_f64().unwrap();
    assert!(out["summary"].as_str().unwrap().starts_with(
        "The task succeeded in all 2 repositories (shared-api, backend). 2 files changed. Cost $"
    ));
    assert!(total > 0.0);
    assert_eq!(
        std::fs::read_to_string(api_repo.join("NOTES.md")).unwrap(),
        "shared notes\n"
    );
    assert_eq!(
        std::fs::read_to_string(backend.join("NOTES.md")).unwrap(),
        "backend notes\n"
    );
    // The tool's task became the prompt, with the multi-repository context in the system prompt.
    let requests = api.message_requests();
    assert_eq!(requests.len(), 4);
    let first = requests[0].body.to_string();
    assert!(first.contains("add a NOTES.md"), "{first}");
    assert!(
        first.contains("You are working in repository `shared-api`"),
        "{first}"
    );
}

#[tokio::test]
async fn an_api_failure_fails_the_repository_and_skips_its_dependents() {
    let s = setup();
    let api = FakeAnthropic::start(Script::new(vec![Turn::error(
        401,
        "authentication_error",
        "invalid x-api-key",
    )]))
    .await
    .unwrap();
    let out = call_once(
        registry(&s, &api),
        r#"{"task":"add a NOTES.md","affected_by":["shared-api"]}"#,
    )
    .await;
    let repos = out["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 3);
    assert_eq!(repos[0]["outcome"], "failed");
    let error = repos[0]["error"].as_str().unwrap();
    assert!(error.contains("401"), "{error}");
    assert!(error.contains("ANTHROPIC_API_KEY"), "{error}");
    assert_eq!(repos[1]["outcome"], "skipped");
    assert_eq!(repos[2]["outcome"], "skipped");
    assert_eq!(
        out["summary"],
        "The task succeeded in none of the 3 repositories; failed in shared-api; skipped \
         backend, frontend because a dependency did not succeed. 0 files changed."
    );
    assert_eq!(
        api.message_requests().len(),
        1,
        "the skipped repositories never reached the API"
    );
    assert!(!s.root.join("backend/NOTES.md").exists());
}
