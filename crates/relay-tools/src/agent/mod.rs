//! The coding-agent tool: `run_agent_task` runs one task through a
//! [`CodingAgent`] in each selected repository, in dependency order,
//! with the per-repository results as spoken progress.

mod report;
mod run;

use std::sync::Arc;

use relay_core::RepoGraph;
use relay_core::agent::{AgentTask, CodingAgent};
use relay_core::tools::Tool;

pub use run::RunAgentTaskTool;

/// Every agent tool, bound to `graph` and `agent`; `template` supplies the agent options (model,
/// turns, allowed tools, timeouts) of each run.
pub fn agent_tools(
    graph: Arc<dyn RepoGraph>,
    agent: Arc<dyn CodingAgent>,
    template: AgentTask,
) -> Vec<Arc<dyn Tool>> {
    vec![Arc::new(RunAgentTaskTool::new(graph, agent, template))]
}
