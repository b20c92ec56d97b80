//! The workspace as MCP resources: `relay://graph`, `relay://status`, `relay://status/<repo>`.

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents};
use serde_json::Value;

use relay_core::RepoGraph;
use relay_core::repo::RepoSelection;
use relay_tools::repo::graph_json;

const GRAPH: &str = "relay://graph";
const STATUS: &str = "relay://status";
const JSON: &str = "application/json";

/// Every resource of the workspace.
pub(crate) fn list(graph: &dyn RepoGraph) -> Vec<Resource> {
    let mut out = vec![
        Resource::new(GRAPH, "dependency graph")
            .with_description(
                "The workspace's repositories, dependency edges (`from` depends on `to`) and \
                 the batches to work in, in dependency order.",
            )
            .with_mime_type(JSON),
        Resource::new(STATUS, "status")
            .with_description(
                "Every repository's branch, sync state against its upstream, changes and last \
                 commit, in dependency order.",
            )
            .with_mime_type(JSON),
    ];
    for repo in graph.workspace().graph().repos() {
        out.push(
            Resource::new(format!("{STATUS}/{repo}"), format!("status of {repo}"))
                .with_description(format!(
                    "{repo}: branch, sync state, changes and last commit."
                ))
                .with_mime_type(JSON),
        );
    }
    out
}

/// The resource at `uri`.
pub(crate) async fn read(
    graph: &dyn RepoGraph,
    uri: &str,
) -> Result<ReadResourceResult, ErrorData> {
    let value = if uri == GRAPH {
        graph_json(graph)
    } else if uri == STATUS {
        status(graph, RepoSelection::All).await?
    } else if let Some(repo) = uri.strip_prefix(STATUS).and_then(|r| r.strip_prefix('/')) {
        if !graph.workspace().graph().contains(repo) {
            return Err(not_found(graph, uri));
        }
        let mut all = status(graph, RepoSelection::Named(vec![repo.to_string()])).await?;
        match all.as_array_mut().and_then(|a| a.pop()) {
            Some(one) => one,
            None => return Err(not_found(graph, uri)),
        }
    } else {
        return Err(not_found(graph, uri));
    };
    let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type(JSON),
    ]))
}

async fn status(graph: &dyn RepoGraph, repos: RepoSelection) -> Result<Value, ErrorData> {
    let status = graph
        .status(repos)
        .await
        .map_err(|e| ErrorData::internal_error(format!("cannot read the status: {e}"), None))?;
    serde_json::to_value(status)
        .map_err(|e| ErrorData::internal_error(format!("cannot encode the status: {e}"), None))
}

fn not_found(graph: &dyn RepoGraph, uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!(
            "no resource `{uri}`; there are {GRAPH}, {STATUS} and {STATUS}/<repo> for the \
             repositories {}",
            graph.workspace().graph().repos().join(", ")
        ),
        None,
    )
}
