//! [`GitHubHandle`]: GitHub over a workspace, every operation in the bindings' shape (names and
//! JSON in, JSON-ready values out).

use std::sync::Arc;

use relay::core::RepoGraph;
use relay::core::repo::RepoSelection;
use relay::github::ops::{self, PullRequestsPlan};
use relay::github::{
    GitHubApi, GitHubConfig, MergeMethod, NewIssue, RepoSlug, ReviewEvent, ReviewSubmission,
    briefing,
};
use serde_json::{Value, json};

use crate::error::BindingError;
use crate::workspace::WorkspaceHandle;

/// Where GitHub is and with which token; all `None`: from the environment (`GITHUB_TOKEN`, else
/// `GH_TOKEN`; `GITHUB_API_URL`, `GITHUB_GRAPHQL_URL`).
#[derive(Debug, Clone, Default)]
pub struct GitHubOptions {
    /// The token (else from the environment).
    pub token: Option<String>,
    /// The REST root.
    pub api_url: Option<String>,
    /// The GraphQL endpoint.
    pub graphql_url: Option<String>,
}

/// GitHub over a workspace's repositories.
#[derive(Clone)]
pub struct GitHubHandle {
    graph: Arc<dyn RepoGraph>,
    github: Arc<dyn GitHubApi>,
}

fn selection(repos: Option<Vec<String>>) -> RepoSelection {
    match repos {
        Some(r) if !r.is_empty() => RepoSelection::Named(r),
        _ => RepoSelection::All,
    }
}

impl GitHubHandle {
    /// GitHub for `workspace` with `options`.
    pub fn open(workspace: &WorkspaceHandle, options: GitHubOptions) -> Result<Self, BindingError> {
        let mut config = match options.token {
            Some(token) => GitHubConfig::new(token),
            None => GitHubConfig::from_env().map_err(relay::Error::from)?,
        };
        if let Some(url) = options.api_url {
            config = config.api_url(url);
        }
        if let Some(url) = options.graphql_url {
            config = config.graphql_url(url);
        }
        Ok(Self {
            graph: workspace.repo_graph(),
            github: relay::github::connect_with(&config)?,
        })
    }

    /// The client, for the tool registry.
    pub fn api(&self) -> Arc<dyn GitHubApi> {
        self.github.clone()
    }

    fn slug(&self, repo: &str) -> Result<RepoSlug, BindingError> {
        if let Some(spec) = self.graph.workspace().repo(repo) {
            return spec.github_repo().ok_or_else(|| {
                relay::Error::from(relay::github::GitHubError::NotOnGitHub { repo: repo.into() })
                    .into()
            });
        }
        repo.parse().map_err(|_| {
            BindingError::usage(format!(
                "unknown repository `{repo}`: give a workspace name or OWNER/NAME"
            ))
        })
    }

    fn slugs(&self, repos: Option<Vec<String>>) -> Result<Vec<(String, RepoSlug)>, BindingError> {
        let names = match repos {
            Some(r) if !r.is_empty() => r,
            _ => RepoSelection::All
                .resolve(self.graph.workspace())
                .map_err(relay::Error::from)?
                .into_iter()
                .filter(|n| {
                    self.graph
                        .workspace()
                        .repo(n)
                        .is_some_and(|r| r.github_repo().is_some())
                })
                .collect(),
        };
        names
            .into_iter()
            .map(|n| Ok((n.clone(), self.slug(&n)?)))
            .collect()
    }

    /// The briefing: `{"repos": [...], "highlights": [...]}` (docs/github.md).
    pub async fn briefing(&self) -> Result<Value, BindingError> {
        let b = briefing(self.graph.as_ref(), Some(self.github.as_ref()))
            .await
            .map_err(relay::Error::from)?;
        Ok(json!(b))
    }

    /// Open pull requests: `[PullRequest + "name"]`.
    pub async fn pull_requests(
        &self,
        repos: Option<Vec<String>>,
        review_requested: bool,
    ) -> Result<Value, BindingError> {
        let slugs = self.slugs(repos)?;
        let overview = self
            .github
            .overview(&slugs.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>())
            .await
            .map_err(relay::Error::from)?;
        let mut out = Vec::new();
        for ((name, _), repo) in slugs.iter().zip(&overview.repos) {
            for p in repo
                .pull_requests
                .iter()
                .filter(|p| !review_requested || p.review_requested_from_me)
            {
                let mut v = json!(p);
                v["name"] = json!(name);
                out.push(v);
            }
        }
        Ok(Value::Array(out))
    }

    /// One pull request in full, with its spoken `summary`.
    pub async fn pull_request(&self, repo: &str, number: u64) -> Result<Value, BindingError> {
        let pr = self
            .github
            .pull_request(&self.slug(repo)?, number)
            .await
            .map_err(relay::Error::from)?;
        let mut v = json!(pr);
        v["summary"] = json!(pr.spoken_summary());
        Ok(v)
    }

    /// The checks of `branch` in `repo`.
    pub async fn checks(&self, repo: &str, branch: &str) -> Result<Value, BindingError> {
        let checks = self
            .github
            .checks(&self.slug(repo)?, branch)
            .await
            .map_err(relay::Error::from)?;
        Ok(json!(checks))
    }

    /// Open issues assigned to the token's user: `[Issue + "name"]`, urgent first.
    pub async fn issues(&self, repos: Option<Vec<String>>) -> Result<Value, BindingError> {
        let slugs = self.slugs(repos)?;
        let overview = self
            .github
            .overview(&slugs.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>())
            .await
            .map_err(relay::Error::from)?;
        let mut out: Vec<(bool, Value)> = Vec::new();
        for ((name, _), repo) in slugs.iter().zip(&overview.repos) {
            for i in &repo.issues {
                let mut v = json!(i);
                v["name"] = json!(name);
                out.push((i.urgent, v));
            }
        }
        out.sort_by_key(|(urgent, _)| !urgent);
        Ok(Value::Array(out.into_iter().map(|(_, v)| v).collect()))
    }

    /// Opens pull requests for `branch` across repositories in dependency order.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_pull_requests(
        &self,
        branch: String,
        title: String,
        body: String,
        base: Option<String>,
        draft: bool,
        repos: Option<Vec<String>>,
    ) -> Result<Value, BindingError> {
        let plan = PullRequestsPlan {
            branch,
            title,
            body,
            base,
            draft,
            repos: selection(repos),
        };
        let outcomes =
            ops::create_pull_requests(self.graph.workspace(), self.github.as_ref(), &plan)
                .await
                .map_err(relay::Error::from)?;
        Ok(json!(outcomes))
    }

    /// Submits a review; `comments` is `[{"path", "line", "body"}]` JSON.
    pub async fn review(
        &self,
        repo: &str,
        number: u64,
        event: &str,
        body: String,
        comments_json: Option<&str>,
    ) -> Result<Value, BindingError> {
        let event: ReviewEvent = event.parse().map_err(BindingError::usage)?;
        let comments = match comments_json {
            Some(text) => serde_json::from_str(text).map_err(|e| {
                BindingError::usage(format!(
                    "comments must be a list of {{path, line, body}}: {e}"
                ))
            })?,
            None => Vec::new(),
        };
        let review = ReviewSubmission {
            event,
            body,
            comments,
        };
        let created = self
            .github
            .review(&self.slug(repo)?, number, &review)
            .await
            .map_err(relay::Error::from)?;
        Ok(json!(created))
    }

    /// Merges `branch`'s pull requests in dependency order when allowed.
    pub async fn merge(
        &self,
        branch: &str,
        method: &str,
        repos: Option<Vec<String>>,
    ) -> Result<Value, BindingError> {
        let method: MergeMethod = method.parse().map_err(BindingError::usage)?;
        let outcomes = ops::merge_pull_requests(
            self.graph.workspace(),
            self.github.as_ref(),
            branch,
            &selection(repos),
            method,
        )
        .await
        .map_err(relay::Error::from)?;
        Ok(json!(outcomes))
    }

    /// Opens an issue.
    pub async fn create_issue(
        &self,
        repo: &str,
        title: String,
        body: String,
        labels: Vec<String>,
    ) -> Result<Value, BindingError> {
        let created = self
            .github
            .create_issue(
                &self.slug(repo)?,
                &NewIssue {
                    title,
                    body,
                    labels,
                },
            )
            .await
            .map_err(relay::Error::from)?;
        Ok(json!(created))
    }
}

impl std::fmt::Debug for GitHubHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubHandle").finish_non_exhaustive()
    }
}
