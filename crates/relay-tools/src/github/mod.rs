//! Tools over [`GitHubApi`] (and the workspace's [`RepoGraph`] for names and order): the
//! morning `briefing`, `list_pull_requests`, `pull_request_summary`, `ci_status`, `list_issues`
//! (read), and `review_pull_request`, `create_pull_requests`, `merge_pull_requests`,
//! `create_issue` (write: [`Permission::WriteRepos`](relay_core::tools::Permission)).
//!
//! A repository is named as the workspace names it (`frontend`) or as `OWNER/NAME`.

mod read;
mod write;

use std::sync::Arc;

use serde_json::{Value, json};

use relay_core::RepoGraph;
use relay_core::github::{GitHubApi, GitHubError, RepoSlug};
use relay_core::tools::{Tool, ToolError};

pub use read::{
    BriefingTool, CiStatusTool, ListIssuesTool, ListPullRequestsTool, PullRequestSummaryTool,
};
pub use write::{CreateIssueTool, CreatePullRequestsTool, MergePullRequestsTool, ReviewTool};

/// The GitHub tools over `github`, naming repositories by `graph`'s workspace; with them
/// `project_status` reports GitHub's highlights too.
pub fn github_tools(graph: Arc<dyn RepoGraph>, github: Arc<dyn GitHubApi>) -> Vec<Arc<dyn Tool>> {
    let both = Shared { graph, github };
    vec![
        Arc::new(BriefingTool(both.clone())),
        Arc::new(ListPullRequestsTool(both.clone())),
        Arc::new(PullRequestSummaryTool(both.clone())),
        Arc::new(CiStatusTool(both.clone())),
        Arc::new(ListIssuesTool(both.clone())),
        Arc::new(ReviewTool(both.clone())),
        Arc::new(CreatePullRequestsTool(both.clone())),
        Arc::new(MergePullRequestsTool(both.clone())),
        Arc::new(CreateIssueTool(both.clone())),
        Arc::new(crate::repo::ProjectStatusTool::new(both.graph.clone()).with_github(both.github)),
    ]
}

/// What every GitHub tool holds.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) graph: Arc<dyn RepoGraph>,
    pub(crate) github: Arc<dyn GitHubApi>,
}

impl Shared {
    /// The GitHub repository for a workspace name or `OWNER/NAME`.
    pub(crate) fn slug(&self, repo: &str) -> Result<RepoSlug, ToolError> {
        let workspace = self.graph.workspace();
        if let Some(spec) = workspace.repo(repo) {
            return spec
                .github_repo()
                .ok_or_else(|| failed(GitHubError::NotOnGitHub { repo: repo.into() }));
        }
        repo.parse::<RepoSlug>().map_err(|_| {
            let on_github: Vec<&str> = workspace
                .repos()
                .iter()
                .filter(|r| r.github_repo().is_some())
                .map(|r| r.name.as_str())
                .collect();
            ToolError::Failed(format!(
                "unknown repository `{repo}`; name one of {} or give OWNER/NAME",
                on_github.join(", ")
            ))
        })
    }

    /// The workspace name for a slug, else the slug itself.
    pub(crate) fn name_of(&self, slug: &RepoSlug) -> String {
        self.graph
            .workspace()
            .repos()
            .iter()
            .find(|r| r.github_repo().as_ref() == Some(slug))
            .map(|r| r.name.clone())
            .unwrap_or_else(|| slug.to_string())
    }

    /// The slugs of `names` (every repository on GitHub when `None`), with workspace names.
    pub(crate) fn slugs(&self, names: Option<Vec<String>>) -> Result<Vec<RepoSlug>, ToolError> {
        match names {
            Some(names) if !names.is_empty() => names.iter().map(|n| self.slug(n)).collect(),
            _ => Ok(self
                .graph
                .workspace()
                .repos()
                .iter()
                .filter_map(|r| r.github_repo())
                .collect()),
        }
    }
}

pub(crate) fn failed(e: impl std::fmt::Display) -> ToolError {
    ToolError::Failed(e.to_string())
}

pub(crate) fn repo_schema() -> Value {
    json!({"type": "string", "minLength": 1,
           "description": "The repository: its workspace name (e.g. `frontend`) or OWNER/NAME."})
}

pub(crate) fn repos_schema() -> Value {
    json!({"type": "array", "items": {"type": "string", "minLength": 1},
           "description": "Repositories (workspace names or OWNER/NAME). Omit for every repository on GitHub."})
}

pub(crate) fn number_schema() -> Value {
    json!({"type": "integer", "minimum": 1, "description": "The pull request's number."})
}
