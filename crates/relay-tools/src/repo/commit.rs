use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::push::{push, where_words};
use super::{failed, repos_schema, selection};
use relay_core::RepoGraph;
use relay_core::repo::CommitOptions;
use relay_core::tools::follow_job;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `commit_changes`: one commit message across repositories; with `push: true` the commits are
/// pushed too, which needs a person's approval.
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
             commit are reported, not failed. With push=true the branches are then pushed to \
             their remotes, which the user is asked to approve. Confirm the message with the \
             user first.",
            json!({"type": "object", "additionalProperties": false, "required": ["message"],
            "properties": {
                "message": {"type": "string", "minLength": 1, "description": "The commit message."},
                "all": {"type": "boolean", "description": "Stage changes to tracked files first."},
                "push": {"type": "boolean", "description": "Push the branches after committing (asks the user)."},
                "repos": repos_schema("to commit in")
            }}),
            Permission::WriteRepos,
        )
    }

    fn needs_approval(&self, args: &Value) -> bool {
        wants_push(args)
    }

    fn approval_question(&self, args: &Value) -> String {
        let message: String = args["message"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect();
        format!(
            "Commit \"{message}\" and push the branches {} to their remotes? Allow it?",
            where_words(args)
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let repos = selection(&args, &ctx);
        let options = CommitOptions::new(args["message"].as_str().unwrap_or_default())
            .all(args["all"].as_bool().unwrap_or(false))
            .repos(repos.clone());
        let report = follow_job(self.graph.commit(options), &ctx)
            .await
            .map_err(failed)?;
        if !wants_push(&args) {
            return Ok(json!({"repositories": report.repos}));
        }
        let pushed = push(&self.graph, repos, &ctx).await?;
        Ok(json!({"repositories": report.repos, "pushed": pushed.repos}))
    }
}

/// Whether the call asks for a push (the only part that needs approval).
fn wants_push(args: &Value) -> bool {
    args["push"].as_bool() == Some(true)
}
