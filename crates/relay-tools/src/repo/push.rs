//! `push_branches`: publishing commits is hard to undo (others fetch them at once), so every call
//! waits for a person's approval. `commit_changes` with `push: true` asks the same way.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{failed, names, repos_schema, selection};
use relay_core::RepoGraph;
use relay_core::repo::{PushOptions, PushReport, RepoSelection};
use relay_core::tools::follow_job;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `push_branches`: pushes the checked-out branch of each repository to its remote (setting the
/// upstream of new branches); never forces. Needs approval.
pub struct PushTool {
    graph: Arc<dyn RepoGraph>,
}

impl PushTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        PushTool { graph }
    }
}

#[async_trait]
impl Tool for PushTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "push_branches",
            "Pushes the checked-out branch of each repository to its remote (new branches get \
             their upstream set); never forces. The user is asked to approve every push. Use \
             before opening pull requests.",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"repos": repos_schema("to push")}}),
            Permission::WriteRepos,
        )
        .long_running()
        .needs_approval()
    }

    fn approval_question(&self, args: &Value) -> String {
        format!(
            "Push the checked-out branches {} to their remotes? Allow it?",
            where_words(args)
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let report = push(&self.graph, selection(&args, &ctx), &ctx).await?;
        Ok(json!({"repositories": report.repos}))
    }
}

/// Pushes `repos` (setting upstreams), following the job's progress.
pub(super) async fn push(
    graph: &Arc<dyn RepoGraph>,
    repos: RepoSelection,
    ctx: &ToolContext,
) -> Result<PushReport, ToolError> {
    let options = PushOptions {
        repos,
        ..PushOptions::default()
    };
    follow_job(graph.push(options), ctx).await.map_err(failed)
}

/// "in backend, frontend", or where a call without `repos` applies.
pub(super) fn where_words(args: &Value) -> String {
    match names(args, "repos") {
        Some(n) if !n.is_empty() => format!("of {}", n.join(", ")),
        _ => "of the primary project and its related repositories (every repository when no \
              project is selected)"
            .into(),
    }
}
