use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{failed, repos_schema, selection};
use relay_core::RepoGraph;
use relay_core::repo::{RepoSelection, SyncOptions};
use relay_core::tools::follow_job;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `sync_repos`: clone missing repositories, fetch and fast-forward the others.
pub struct SyncTool {
    graph: Arc<dyn RepoGraph>,
}

impl SyncTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        SyncTool { graph }
    }
}

#[async_trait]
impl Tool for SyncTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "sync_repos",
            "Brings repositories up to date: clones missing ones, fetches, and fast-forwards \
             branches that can be fast-forwarded. Repositories with uncommitted changes or \
             diverged branches are reported and left untouched. Takes a while for many repositories.",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {
                       "repos": repos_schema("to sync"),
                       "include_dependents": {"type": "boolean",
                           "description": "Also sync every repository that depends on the given ones."}
                   }}),
            Permission::WriteRepos,
        )
        .long_running()
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let mut repos = selection(&args, &ctx);
        if args["include_dependents"].as_bool() == Some(true)
            && let RepoSelection::Named(n) = repos
        {
            repos = RepoSelection::AffectedBy(n);
        }
        let report = follow_job(self.graph.sync(SyncOptions::new().repos(repos)), &ctx)
            .await
            .map_err(failed)?;
        Ok(json!({
            "failures": report.has_failures(),
            "repositories": report.repos,
            "triggered_rules": report.triggered_rules,
        }))
    }
}
