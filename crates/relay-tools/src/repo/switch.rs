use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use relay_core::RepoGraph;
use relay_core::repo::unknown_repo;
use relay_core::tools::{Permission, PrimaryProject, Tool, ToolContext, ToolError, ToolSpec};

/// `switch_project`: makes a repository the primary project of the session; later tools default to
/// it and its related repositories (what it depends on and what depends on it).
pub struct SwitchProjectTool {
    graph: Arc<dyn RepoGraph>,
}

impl SwitchProjectTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        SwitchProjectTool { graph }
    }
}

#[async_trait]
impl Tool for SwitchProjectTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "switch_project",
            "Makes a repository the primary project for this conversation. Later status, impact, \
             sync and branch requests without explicit repositories apply to it and its related \
             repositories. Use when the user says they are working on or switching to a project.",
            json!({"type": "object", "additionalProperties": false, "required": ["name"],
                   "properties": {"name": {"type": "string", "minLength": 1,
                                           "description": "Repository name as defined in relay.yaml."}}}),
            Permission::Session,
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let name = args["name"].as_str().unwrap_or_default().to_string();
        let workspace = self.graph.workspace();
        let graph = workspace.graph();
        if !graph.contains(&name) {
            return Err(ToolError::Failed(
                unknown_repo(workspace, &name).to_string(),
            ));
        }
        let dependencies = graph
            .dependencies(&name)
            .map_err(|e| ToolError::Failed(e.to_string()))?;
        let dependents = graph
            .dependents(&name)
            .map_err(|e| ToolError::Failed(e.to_string()))?;
        let mut related: Vec<String> = dependencies
            .iter()
            .chain(dependents.iter())
            .cloned()
            .collect();
        related.dedup();
        ctx.session.set_primary(PrimaryProject {
            name: name.clone(),
            related: related.clone(),
        });
        Ok(json!({
            "primary_project": name,
            "depends_on": dependencies,
            "depended_on_by": dependents,
            "related": related,
        }))
    }
}
