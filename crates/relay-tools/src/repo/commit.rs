use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{failed, repos_schema, selection};
use relay_core::RepoGraph;
use relay_core::repo::CommitOptions;
use relay_core::tools::follow_job;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `commit_changes`: one commit message across repositories.
pub struct CommitTool {
    graph: Arc<dyn RepoGraph>,
}

impl CommitTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        CommitTool { graph }
    }
}

#[async_trait]
impl Tool for CommitTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "commit_changes",
            "Commits in each repository with the same message. By default commits what is staged; \
             with all=true it stages changes to tracked files first. Repositories with nothing to \
             commit are reported, not failed. Confirm the message with the user first.",
            json!({"type": "object", "additionalProperties": false, "required": ["message"],
            "properties": {
                "message": {"type": "string", "minLength": 1, "description": "The commit message."},
                "all": {"type": "boolean", "description": "Stage changes to tracked files first."},
                "repos": repos_schema("to commit in")
            }}),
            Permission::WriteRepos,
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let options = CommitOptions::new(args["message"].as_str().unwrap_or_default())
            .all(args["all"].as_bool().unwrap_or(false))
            .repos(selection(&args, &ctx));
        let report = follow_job(self.graph.commit(options), &ctx)
            .await
            .map_err(failed)?;
        Ok(json!({"repositories": report.repos}))
    }
}
