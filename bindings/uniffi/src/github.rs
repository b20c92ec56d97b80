//! `GitHub`: pull requests, checks, reviews, merges and issues across a workspace's repositories.
//! Results are JSON text (the same JSON as the Python binding's dicts and Node's objects; see
//! docs/github.md for the fields).

use std::sync::Arc;

use relay_bindings_common::{GitHubHandle, GitHubOptions, to_json};

use crate::error::RelayError;
use crate::runtime;
use crate::workspace::Workspace;

/// GitHub over a workspace. Every method is a suspend function resolving to JSON text; failures
/// throw `GitHub` (codes `github_missing_token`, `refused`, ...) or `Usage`.
#[derive(uniffi::Object)]
pub struct GitHub {
    inner: GitHubHandle,
}

#[uniffi::export]
impl GitHub {
    /// GitHub for `workspace`: the token from `token`, else `GITHUB_TOKEN`, else `GH_TOKEN`; the
    /// addresses from `api_url`/`graphql_url`, else `GITHUB_API_URL`/`GITHUB_GRAPHQL_URL`.
    /// Throws `GitHub` (code `github_missing_token`) without a token.
    #[uniffi::constructor(default(token = None, api_url = None, graphql_url = None))]
    pub fn open(
        workspace: Arc<Workspace>,
        token: Option<String>,
        api_url: Option<String>,
        graphql_url: Option<String>,
    ) -> Result<Arc<Self>, RelayError> {
        let options = GitHubOptions {
            token,
            api_url,
            graphql_url,
        };
        let inner = runtime::enter(|| GitHubHandle::open(workspace.handle(), options))?;
        Ok(Arc::new(Self { inner }))
    }

    /// The morning briefing: `{"repos": [...], "highlights": [...]}`.
    pub async fn briefing(&self) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value = runtime::run(async move { inner.briefing().await }).await??;
        Ok(to_json(&value))
    }

    /// Open pull requests (a JSON array), each with the workspace's repository `name`; only
    /// those whose review is requested from you with `review_requested`.
    #[uniffi::method(default(repos = None, review_requested = false))]
    pub async fn pull_requests(
        &self,
        repos: Option<Vec<String>>,
        review_requested: bool,
    ) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value = runtime::run(async move { inner.pull_requests(repos, review_requested).await })
            .await??;
        Ok(to_json(&value))
    }

    /// One pull request in full (files, reviews, checks), with a spoken `summary`.
    pub async fn pull_request(&self, repo: String, number: u64) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value = runtime::run(async move { inner.pull_request(&repo, number).await }).await??;
        Ok(to_json(&value))
    }

    /// The checks of `branch` in `repo`, check runs and statuses combined.
    pub async fn checks(&self, repo: String, branch: String) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value = runtime::run(async move { inner.checks(&repo, &branch).await }).await??;
        Ok(to_json(&value))
    }

    /// Open issues assigned to you (a JSON array), urgent first.
    #[uniffi::method(default(repos = None))]
    pub async fn issues(&self, repos: Option<Vec<String>>) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value = runtime::run(async move { inner.issues(repos).await }).await??;
        Ok(to_json(&value))
    }

    /// Opens pull requests for `branch` across repositories, dependencies first; one outcome
    /// per repository (a JSON array).
    #[uniffi::method(default(body = "", base = None, draft = false, repos = None))]
    pub async fn create_pull_requests(
        &self,
        branch: String,
        title: String,
        body: String,
        base: Option<String>,
        draft: bool,
        repos: Option<Vec<String>>,
    ) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value = runtime::run(async move {
            inner
                .create_pull_requests(branch, title, body, base, draft, repos)
                .await
        })
        .await??;
        Ok(to_json(&value))
    }

    /// Submits a review: `event` is `approve`, `request_changes` or `comment`;
    /// `comments_json` a JSON array of `{"path", "line", "body"}`.
    #[uniffi::method(default(body = "", comments_json = None))]
    pub async fn review(
        &self,
        repo: String,
        number: u64,
        event: String,
        body: String,
        comments_json: Option<String>,
    ) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value = runtime::run(async move {
            inner
                .review(&repo, number, &event, body, comments_json.as_deref())
                .await
        })
        .await??;
        Ok(to_json(&value))
    }

    /// Merges `branch`'s pull requests in dependency order when checks and reviews allow
    /// (`method`: `merge`, `squash` or `rebase`); throws `GitHub` (code `refused`) with every
    /// reason otherwise.
    #[uniffi::method(default(method = "merge", repos = None))]
    pub async fn merge(
        &self,
        branch: String,
        method: String,
        repos: Option<Vec<String>>,
    ) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value =
            runtime::run(async move { inner.merge(&branch, &method, repos).await }).await??;
        Ok(to_json(&value))
    }

    /// Opens an issue in `repo`.
    #[uniffi::method(default(body = "", labels = []))]
    pub async fn create_issue(
        &self,
        repo: String,
        title: String,
        body: String,
        labels: Vec<String>,
    ) -> Result<String, RelayError> {
        let inner = self.inner.clone();
        let value =
            runtime::run(async move { inner.create_issue(&repo, title, body, labels).await })
                .await??;
        Ok(to_json(&value))
    }
}
