//! Tools over a [`RepoGraph`]: the morning briefing, the primary project, the dependency graph,
//! impact analysis, sync, branches, commits and pushes across repositories. Pushing asks a
//! person first (`push_branches`, `commit_changes` with `push: true`); sync only fast-forwards
//! and creating a branch keeps local changes, so neither discards work and neither asks.

mod branch;
mod commit;
mod graph;
mod impact;
mod push;
mod status;
mod switch;
mod sync;

use std::sync::Arc;

use serde_json::{Value, json};

use relay_core::RepoGraph;
use relay_core::repo::RepoSelection;
use relay_core::tools::{Tool, ToolContext, ToolError};

pub use branch::CreateBranchTool;
pub use commit::CommitTool;
pub use graph::{DependencyGraphTool, graph_json};
pub use impact::ImpactTool;
pub use push::PushTool;
pub use status::ProjectStatusTool;
pub use switch::SwitchProjectTool;
pub use sync::SyncTool;

/// Every repository tool, bound to `graph`.
pub fn repo_tools(graph: Arc<dyn RepoGraph>) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(ProjectStatusTool::new(graph.clone())),
        Arc::new(SwitchProjectTool::new(graph.clone())),
        Arc::new(ImpactTool::new(graph.clone())),
        Arc::new(DependencyGraphTool::new(graph.clone())),
        Arc::new(SyncTool::new(graph.clone())),
        Arc::new(CreateBranchTool::new(graph.clone())),
        Arc::new(CommitTool::new(graph.clone())),
        Arc::new(PushTool::new(graph)),
    ]
}

/// The schema of an optional `repos` argument.
pub(crate) fn repos_schema(what: &str) -> Value {
    json!({
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "description": format!("Repository names {what}. Omit to use the primary project and its related repositories (or every repository when no project is selected).")
    })
}

/// The names in `args[key]`, if given.
pub(crate) fn names(args: &Value, key: &str) -> Option<Vec<String>> {
    args.get(key).and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

/// The selection for `args.repos`, falling back to the primary project with its related repos.
pub(crate) fn selection(args: &Value, ctx: &ToolContext) -> RepoSelection {
    match names(args, "repos") {
        Some(n) if !n.is_empty() => RepoSelection::Named(n),
        _ => match ctx.session.primary() {
            Some(p) => RepoSelection::Named(std::iter::once(p.name).chain(p.related).collect()),
            None => RepoSelection::All,
        },
    }
}

fn failed(e: impl std::fmt::Display) -> ToolError {
    ToolError::Failed(e.to_string())
}
