//! The facade against real git repositories, the real shell agent and local environments.

use std::sync::Arc;

use relay::core::RepoOutcome;
use relay::core::repo::RepoSelection;
use relay::core::tools::{Permission, SessionContext, ToolContext};
use relay::core::voice::{ReplyTracker, VoiceEvent};
use relay::{
    AgentChoice, AgentConfig, AgentRun, EnvironmentsConfig, Part, ProviderKind, Relay,
    ToolsBuilder, TransportKind, VoiceConfig,
};
use relay_testkit::git::write_workspace;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[]), ("app", &["api"])]);
    dir
}

fn local(dir: &tempfile::TempDir) -> EnvironmentsConfig {
    EnvironmentsConfig::new()
        .provider(ProviderKind::Local)
        .local_root(dir.path().join("envs"))
}

#[tokio::test]
async fn the_builder_wires_every_part_into_the_tools_and_runs_the_agent() {
    let dir = workspace();
    let relay = Relay::builder()
        .workspace(dir.path())
        .agent(AgentConfig::new(AgentChoice::Shell))
        .environments(local(&dir))
        .build()
        .await
        .unwrap();
    assert!(relay.left_out().is_empty(), "{:?}", relay.left_out());
    assert_eq!(relay.environments().unwrap().provider_name(), "local");
    let registry = relay.tools().unwrap();
    for name in [
        "project_status",
        "impact_analysis",
        "run_agent_task",
        "env_up",
        "env_exec",
    ] {
        assert!(registry.spec(name).is_some(), "{name} missing");
    }
    let impact = registry
        .invoke(
            "impact_analysis",
            r#"{"repos": ["api"]}"#,
            ToolContext::default(),
        )
        .await;
    assert!(impact.ok, "{impact:?}");
    assert!(impact.value.to_string().contains("app"), "{impact:?}");

    let report = relay
        .run_agent(AgentRun::new("touch from-facade.txt"))
        .unwrap()
        .wait()
        .await
        .unwrap();
    let names: Vec<&str> = report.repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["api", "app"]);
    assert!(report.all_succeeded(), "{report:?}");
    assert_eq!(report.repos[1].changed_files, ["from-facade.txt"]);
    assert!(dir.path().join("api/from-facade.txt").exists());
}

#[tokio::test]
async fn optional_parts_are_left_out_with_their_reason_and_required_ones_fail() {
    let empty = tempfile::tempdir().unwrap();
    let missing_claude =
        AgentConfig::new(AgentChoice::Claude).claude_binary(empty.path().join("no-such-claude"));
    let relay = Relay::builder()
        .discover_workspace(empty.path())
        .workspace_if_found()
        .agent_if_available(missing_claude.clone())
        .environments(local(&empty))
        .build()
        .await
        .unwrap();
    let parts: Vec<Part> = relay.left_out().iter().map(|l| l.part).collect();
    assert_eq!(parts, [Part::Workspace, Part::Agent]);
    assert!(relay.left_out()[0].reason.is_workspace_not_found());
    // No repositories to work in: the agent is not even checked.
    assert_eq!(relay.left_out()[1].reason.code(), "usage");
    let registry = relay.tools().unwrap();
    assert!(registry.spec("env_up").is_some());
    assert!(registry.spec("project_status").is_none());
    let err = relay.run_agent(AgentRun::new("true")).unwrap_err();
    assert!(
        err.is_usage() && err.to_string().contains("no relay.yaml"),
        "{err}"
    );

    let dir = workspace();
    let relay = Relay::builder()
        .workspace(dir.path())
        .agent_if_available(missing_claude.clone())
        .build()
        .await
        .unwrap();
    assert_eq!(relay.left_out()[0].part, Part::Agent);
    assert_eq!(relay.left_out()[0].reason.code(), "agent_not_found");
    assert!(relay.tools().unwrap().spec("run_agent_task").is_none());
    let err = Relay::builder()
        .workspace(dir.path())
        .agent(missing_claude)
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "agent_not_found");
    assert!(err.is_usage());
}

#[tokio::test]
async fn an_invalid_workspace_is_an_error_even_when_the_workspace_is_optional() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("relay.yaml"), "repositories: [{nme: x}]\n").unwrap();
    let err = Relay::builder()
        .discover_workspace(dir.path())
        .workspace_if_found()
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "config");
    assert!(!err.is_workspace_not_found());
    assert!(err.to_string().contains("relay.yaml:1:"), "{err}");
}

#[tokio::test]
async fn permissions_and_bad_requests_are_enforced_before_anything_runs() {
    let dir = workspace();
    let relay = Relay::builder()
        .workspace(dir.path())
        .agent(AgentConfig::new(AgentChoice::Shell))
        .permissions([Permission::Read])
        .build()
        .await
        .unwrap();
    let denied = relay
        .tools()
        .unwrap()
        .invoke(
            "run_agent_task",
            r#"{"task": "touch nope.txt"}"#,
            ToolContext::default(),
        )
        .await;
    assert!(!denied.ok);
    assert!(denied.value.to_string().contains("run_agent"), "{denied:?}");
    assert!(!dir.path().join("api/nope.txt").exists());

    let err = relay
        .run_agent(AgentRun::new("true").repos(RepoSelection::Named(vec!["ghost".into()])))
        .unwrap_err();
    assert_eq!(err.code(), "unknown_repo");
    assert!(err.to_string().contains("api, app"), "{err}");

    let err = ToolsBuilder::new()
        .agent(AgentConfig::new(AgentChoice::Shell))
        .build()
        .unwrap_err();
    assert!(
        err.is_usage() && err.to_string().contains("workspace"),
        "{err}"
    );
    assert_eq!("robot".parse::<AgentChoice>().unwrap_err().code(), "usage");
}

#[tokio::test]
async fn a_failed_dependency_skips_its_dependents() {
    let dir = workspace();
    let relay = Relay::builder()
        .workspace(dir.path())
        .agent(AgentConfig::new(AgentChoice::Shell))
        .build()
        .await
        .unwrap();
    let report = relay
        .run_agent(AgentRun::new("false"))
        .unwrap()
        .wait()
        .await
        .unwrap();
    let outcomes: Vec<RepoOutcome> = report.repos.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [RepoOutcome::Failed, RepoOutcome::Skipped]);
}

#[tokio::test]
async fn the_text_transport_is_chosen_offline_and_calls_the_tools() {
    let dir = workspace();
    let relay = Relay::builder()
        .workspace(dir.path())
        .build()
        .await
        .unwrap();
    let config = VoiceConfig::new().transport(TransportKind::Text);
    assert_eq!(config.transport_kind(), TransportKind::Text);
    let session = config
        .start(Arc::new(relay.tools().unwrap()), SessionContext::new())
        .await
        .unwrap();
    session
        .send_text("what is the impact of a change to api?")
        .unwrap();
    let (mut finished, mut reply) = (None, ReplyTracker::default());
    while let Some(event) = session.next_event().await {
        if let VoiceEvent::ToolCallFinished { name, output, .. } = &event {
            finished = Some((name.clone(), output.clone()));
        }
        if reply.observe(&event) {
            break;
        }
    }
    let (name, output) = finished.expect("a tool call");
    assert_eq!(name, "impact_analysis");
    assert!(output.contains("app"), "{output}");
    assert!(format!("{:?}", VoiceConfig::new().api_key("sk-secret")).contains("<redacted>"));
    assert!(!format!("{:?}", VoiceConfig::new().api_key("sk-secret")).contains("sk-secret"));
}
