use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use relay_core::RepoGraph;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `dependency_graph`: the workspace's repositories, who depends on whom, and the batches to
/// work in.
pub struct DependencyGraphTool {
    graph: Arc<dyn RepoGraph>,
}

impl DependencyGraphTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        DependencyGraphTool { graph }
    }
}

/// The graph as JSON: `{"repos": [...], "edges": [{"from", "to"}], "batches": [[...]]}` (an edge
/// `from` → `to` means `from` depends on `to`) — what the tool answers and what the MCP
/// resource `relay://graph` holds.
pub fn graph_json(graph: &dyn RepoGraph) -> Value {
    let graph = graph.workspace().graph();
    json!({"repos": graph.repos(), "edges": graph.edges(), "batches": graph.batches()})
}

#[async_trait]
impl Tool for DependencyGraphTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "dependency_graph",
            "Lists every repository of the workspace, the dependency edges (`from` depends on \
             `to`) and the batches in dependency order (each batch depends only on earlier \
             ones). Use to see how the repositories relate before working across them.",
            json!({"type": "object", "additionalProperties": false, "properties": {}}),
            Permission::Read,
        )
    }

    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        Ok(graph_json(self.graph.as_ref()))
    }
}
