//! What the GitHub commands share: the workspace's graph and the GitHub client, and repository
//! names as the workspace writes them.

use std::sync::Arc;

use relay::core::RepoGraph;
use relay::github::{GitHubApi, RepoSlug};

use crate::context::Global;
use crate::error::CliError;

/// The graph and the GitHub client (from `GITHUB_TOKEN`/`GH_TOKEN`).
pub async fn parts(g: &Global) -> Result<(Arc<dyn RepoGraph>, Arc<dyn GitHubApi>), CliError> {
    let relay = g.relay().github_if_available().build().await?;
    Ok((relay.require_graph()?, relay.require_github()?))
}

/// The GitHub repository for a workspace name or `OWNER/NAME`.
pub fn slug(graph: &dyn RepoGraph, repo: &str) -> Result<RepoSlug, CliError> {
    let workspace = graph.workspace();
    if let Some(spec) = workspace.repo(repo) {
        return spec.github_repo().ok_or_else(|| {
            relay::Error::from(relay::github::GitHubError::NotOnGitHub { repo: repo.into() }).into()
        });
    }
    repo.parse().map_err(|_| {
        CliError::usage(format!(
            "unknown repository `{repo}`: name one of the workspace's ({}) or give OWNER/NAME",
            workspace
                .repos()
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The GitHub repositories of `names` (every repository on GitHub when empty), with the
/// workspace's names, in dependency order.
pub fn slugs(graph: &dyn RepoGraph, names: &[String]) -> Result<Vec<(String, RepoSlug)>, CliError> {
    if names.is_empty() {
        let order = relay::core::repo::RepoSelection::All.resolve(graph.workspace())?;
        return Ok(order
            .into_iter()
            .filter_map(|n| {
                let slug = graph.workspace().repo(&n)?.github_repo()?;
                Some((n, slug))
            })
            .collect());
    }
    names
        .iter()
        .map(|n| Ok((n.clone(), slug(graph, n)?)))
        .collect()
}
