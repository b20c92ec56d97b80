use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{failed, repos_schema, selection};
use relay_core::RepoGraph;
use relay_core::repo::BranchOptions;
use relay_core::tools::follow_job;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `create_branch`: create (or switch to) one branch across repositories.
pub struct CreateBranchTool {
    graph: Arc<dyn RepoGraph>,
}

impl CreateBranchTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        CreateBranchTool { graph }
    }
}

#[async_trait]
impl Tool for CreateBranchTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "create_branch",
            "Creates a branch at the current commit and checks it out in each repository (or \
             switches to it where it exists). Use when the user starts a feature or fix that \
             spans repositories.",
            json!({"type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 200,
                         "description": "Branch name, e.g. feature/login-timeout."},
                "repos": repos_schema("to create the branch in")
            }}),
            Permission::WriteRepos,
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let name = args["name"].as_str().unwrap_or_default();
        let options = BranchOptions::new(name).repos(selection(&args, &ctx));
        let report = follow_job(self.graph.branch(options), &ctx)
            .await
            .map_err(failed)?;
        Ok(json!({"branch": name, "repositories": report.repos}))
    }
}
