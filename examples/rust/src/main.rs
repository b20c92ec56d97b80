//! Embedding Relay in a Rust application: open a workspace with the offline shell agent and
//! local environments, show the build order, call one of Relay's tools, run a command across
//! the repositories in dependency order, and add a tool of the application's own next to
//! Relay's.
//!
//! ```text
//! scripts/bindings-fixture.sh /tmp/acme        # shared-api <- backend <- frontend
//! cargo run -p relay-example -- /tmp/acme
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use relay::core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};
use relay::{AgentChoice, AgentConfig, AgentRun, EnvironmentsConfig, ProviderKind, Relay};
use serde_json::{Value, json};

/// An application's own tool: counts the words of a text. A voice model sees it in the same
/// registry as Relay's tools, with the same argument validation and permission checks.
struct WordCount;

#[async_trait]
impl Tool for WordCount {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "word_count",
            "Counts the words of a text.",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"text": {"type": "string"}}, "required": ["text"]}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let text = args["text"].as_str().unwrap_or_default();
        Ok(json!({"words": text.split_whitespace().count()}))
    }
}

#[tokio::main]
async fn main() {
    let Some(workspace) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: relay-example WORKSPACE   (a directory with relay.yaml, or the file)");
        std::process::exit(2);
    };
    // Local environments live in a directory of their own; this example creates none.
    let environments = std::env::temp_dir().join(format!("relay-example-{}", std::process::id()));
    let result = run(workspace, environments.clone()).await;
    let _ = std::fs::remove_dir_all(&environments);
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(workspace: PathBuf, environments: PathBuf) -> Result<(), relay::Error> {
    let relay = Relay::builder()
        .workspace(workspace)
        .agent(AgentConfig::new(AgentChoice::Shell))
        .environments(
            EnvironmentsConfig::new()
                .provider(ProviderKind::Local)
                .local_root(environments),
        )
        .build()
        .await?;

    // The workspace and its dependency graph.
    let config = relay.workspace().expect("built with a workspace");
    println!("workspace {}", config.root().display());
    let batches: Vec<String> = config
        .graph()
        .batches()
        .iter()
        .map(|batch| batch.join("+"))
        .collect();
    println!("build order: {}", batches.join(" -> "));

    // One of Relay's tools, called the way a voice model calls it: JSON arguments in, a
    // validated call, JSON out (`ok: false` with an error and a hint when it fails).
    let mut tools = relay.tools()?;
    let first = config.repos()[0].name.clone();
    let args = json!({"repos": [first]}).to_string();
    let impact = tools
        .invoke("impact_analysis", &args, ToolContext::default())
        .await;
    if !impact.ok {
        return Err(relay::Error::usage(format!(
            "impact_analysis failed: {}",
            impact.value
        )));
    }
    let dependents: Vec<&str> = impact.value["all_dependents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    println!("a change to {first} affects: {}", dependents.join(", "));

    // The shell agent runs a command line in every repository, dependencies first.
    let report = relay
        .run_agent(AgentRun::new("git status --short"))?
        .wait()
        .await?;
    for repo in &report.repos {
        let outcome = serde_json::to_value(repo.outcome).unwrap_or_default();
        let outcome = outcome.as_str().unwrap_or("?");
        match &repo.error {
            Some(error) => println!("agent run in {}: {outcome} ({error})", repo.name),
            None => println!("agent run in {}: {outcome}", repo.name),
        }
    }

    // The application's own tool, next to Relay's.
    tools.register(Arc::new(WordCount));
    println!("{} tools, including word_count", tools.len());
    let counted = tools
        .invoke(
            "word_count",
            r#"{"text": "what does a change to shared-api affect"}"#,
            ToolContext::default(),
        )
        .await;
    println!("word_count: {}", counted.value);
    Ok(())
}
