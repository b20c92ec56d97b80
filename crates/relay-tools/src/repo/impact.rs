use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{failed, names};
use relay_core::RepoGraph;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `impact_analysis`: which repositories a change to some repositories affects, and the order to
/// handle them in.
pub struct ImpactTool {
    graph: Arc<dyn RepoGraph>,
}

impl ImpactTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        ImpactTool { graph }
    }
}

#[async_trait]
impl Tool for ImpactTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "impact_analysis",
            "Lists the repositories affected by a change to the given repositories: direct and \
             transitive dependents, and batches in dependency order (each batch can be handled \
             in parallel). Use before changing a shared library or to plan what to test.",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"repos": {"type": "array", "items": {"type": "string", "minLength": 1},
                                            "description": "The changed repositories. Omit to use the primary project."}}}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let changed = match names(&args, "repos") {
            Some(n) if !n.is_empty() => n,
            _ => match ctx.session.primary() {
                Some(p) => vec![p.name],
                None => {
                    return Err(ToolError::Failed(
                        "no repositories given and no primary project selected; pass `repos` or call switch_project first".into(),
                    ));
                }
            },
        };
        let impact = self.graph.impact(&changed).map_err(failed)?;
        Ok(json!({
            "changed": impact.changed,
            "direct_dependents": impact.direct,
            "all_dependents": impact.transitive,
            "batches": impact.batches,
        }))
    }
}
