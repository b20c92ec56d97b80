use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::report::report_json;
use crate::repo::{names, repos_schema, selection};
use relay_core::RepoGraph;
use relay_core::agent::run::{AgentRunOptions, run_across_repos};
use relay_core::agent::{AgentTask, CodingAgent};
use relay_core::repo::RepoSelection;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec, follow_job};

/// `run_agent_task`: runs a coding task with the session's coding agent in each selected
/// repository, dependencies first; a repository whose dependency failed is skipped unless
/// `keep_going`.
pub struct RunAgentTaskTool {
    graph: Arc<dyn RepoGraph>,
    agent: Arc<dyn CodingAgent>,
    template: AgentTask,
}

impl RunAgentTaskTool {
    /// Binds the tool to `graph` and `agent`. Each run uses `template` (model, max turns,
    /// allowed tools, timeouts, ...) with its prompt replaced by the tool's `task`.
    pub fn new(
        graph: Arc<dyn RepoGraph>,
        agent: Arc<dyn CodingAgent>,
        template: AgentTask,
    ) -> Self {
        RunAgentTaskTool {
            graph,
            agent,
            template,
        }
    }
}

/// `affected_by` when given, else `repos`, else the primary project with its related
/// repositories, else every repository.
fn run_selection(args: &Value, ctx: &ToolContext) -> Result<RepoSelection, ToolError> {
    let given = |key| names(args, key).filter(|n| !n.is_empty());
    match (given("repos"), given("affected_by")) {
        (Some(_), Some(_)) => Err(ToolError::Failed(
            "give either `repos` or `affected_by`, not both".into(),
        )),
        (None, Some(changed)) => Ok(RepoSelection::AffectedBy(changed)),
        _ => Ok(selection(args, ctx)),
    }
}

#[async_trait]
impl Tool for RunAgentTaskTool {
    fn spec(&self) -> ToolSpec {
        let agent = self.agent.name();
        let what = if agent == "shell" {
            "The agent here is the shell agent: the task must be a command line (e.g. `cargo \
             test --quiet`), run in each repository without a shell."
        } else {
            "The task is an instruction for the coding agent (e.g. \"fix the failing login test\"); \
             it edits files and runs commands in each repository."
        };
        ToolSpec::new(
            "run_agent_task",
            format!(
                "Runs a coding task with the {agent} agent in one or more repositories, in \
                 dependency order (a repository's dependencies first). A repository whose \
                 dependency failed is skipped unless keep_going. {what} Returns each \
                 repository's outcome, the files it changed, the cost, and a summary to tell \
                 the user. Use to implement, fix, refactor, generate tests, or run tests across \
                 repositories. Takes a while."
            ),
            json!({"type": "object", "additionalProperties": false, "required": ["task"],
                   "properties": {
                       "task": {"type": "string", "minLength": 1, "maxLength": 20000,
                                "description": "What to do, as the user asked it."},
                       "repos": repos_schema("to run the task in"),
                       "affected_by": {"type": "array", "items": {"type": "string", "minLength": 1},
                           "description": "Instead of repos: these repositories and every repository depending on them (to follow a change to a shared library)."},
                       "keep_going": {"type": "boolean",
                           "description": "Run a repository even when one of its dependencies failed. Default false."}
                   }}),
            Permission::RunAgent,
        )
        .long_running()
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let task_text = args["task"].as_str().unwrap_or_default().to_string();
        let repos = run_selection(&args, &ctx)?;
        // Unknown names are answered before any agent starts.
        repos
            .resolve(self.graph.workspace())
            .map_err(|e| ToolError::Failed(e.to_string()))?;
        let mut template = self.template.clone();
        template.prompt = task_text.clone();
        // The tool's task is what runs, never a command fixed in the template.
        template.command = None;
        let mut options = AgentRunOptions::new(template)
            .repos(repos)
            .keep_going(args["keep_going"].as_bool() == Some(true));
        // The agent's permission questions go to whoever approves this conversation's actions.
        if let Some(approvals) = ctx.approvals.clone() {
            options = options.asker(std::sync::Arc::new(approvals));
        }
        let job = run_across_repos(self.graph.clone(), self.agent.clone(), options);
        let report = follow_job(job, &ctx)
            .await
            .map_err(|e| ToolError::Failed(e.to_string()))?;
        Ok(report_json(&task_text, self.agent.name(), &report))
    }
}
