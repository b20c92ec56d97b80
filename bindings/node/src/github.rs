//! `GitHub`: pull requests, checks, reviews, merges and issues across a workspace's repositories,
//! as Promises of plain objects (the same JSON as the Python binding's dicts).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{GitHubHandle, GitHubOptions, to_json};

use crate::convert::{ClassArg, JsonText, js_error, spawn_json};
use crate::workspace::Workspace;

/// Options of `GitHub.open`; each absent one comes from the environment.
#[napi(object)]
pub struct OpenGitHubOptions {
    /// The token (else `GITHUB_TOKEN`, else `GH_TOKEN`).
    pub token: Option<String>,
    /// The REST root (else `GITHUB_API_URL`, else https://api.github.com).
    pub api_url: Option<String>,
    /// The GraphQL endpoint (else `GITHUB_GRAPHQL_URL`, else GitHub's).
    pub graphql_url: Option<String>,
}

/// Options of `pullRequests`.
#[napi(object)]
pub struct PullRequestsOptions {
    /// Only these repositories (workspace names or `OWNER/NAME`); default: every repository of
    /// the workspace that is on GitHub.
    pub repos: Option<Vec<String>>,
    /// Only pull requests whose review is requested from you (default false).
    pub review_requested: Option<bool>,
}

/// Options of `issues`.
#[napi(object)]
pub struct IssuesOptions {
    /// Only these repositories; default: every repository of the workspace that is on GitHub.
    pub repos: Option<Vec<String>>,
}

/// Options of `createPullRequests`.
#[napi(object)]
pub struct CreatePullRequestsOptions {
    /// The description (default empty).
    pub body: Option<String>,
    /// The branch to merge into (default: each repository's default branch).
    pub base: Option<String>,
    /// Open them as drafts (default false).
    pub draft: Option<bool>,
    /// Only these repositories (default all).
    pub repos: Option<Vec<String>>,
}

/// Options of `review`.
#[napi(object, object_to_js = false)]
pub struct ReviewOptions {
    /// The review's text (default empty).
    pub body: Option<String>,
    /// Line comments: `[{ path, line, body }]` (or the same as JSON text).
    #[napi(ts_type = "Array<{ path: string; line: number; body: string }> | string")]
    pub comments: Option<JsonText>,
}

/// Options of `merge`.
#[napi(object)]
pub struct MergeOptions {
    /// `merge` (default), `squash` or `rebase`.
    pub method: Option<String>,
    /// Only these repositories (default all).
    pub repos: Option<Vec<String>>,
}

/// Options of `createIssue`.
#[napi(object)]
pub struct CreateIssueOptions {
    /// The description (default empty).
    pub body: Option<String>,
    /// Labels to put on it.
    pub labels: Option<Vec<String>>,
}

/// GitHub over a workspace. Open it with `GitHub.open(workspace, { token, apiUrl, graphqlUrl })`.
/// Every method returns a Promise; failures reject with an Error whose `kind` is `github`
/// (`code` `github_missing_token`, `refused`, ...) or `usage`.
#[napi(js_name = "GitHub")]
pub struct GitHub {
    inner: GitHubHandle,
}

#[napi]
impl GitHub {
    /// GitHub for `workspace`: the token from `options.token`, else `GITHUB_TOKEN`, else
    /// `GH_TOKEN`; the addresses from `apiUrl`/`graphqlUrl`, else `GITHUB_API_URL`/
    /// `GITHUB_GRAPHQL_URL`. Throws (code `github_missing_token`) without a token.
    #[napi(
        factory,
        ts_args_type = "workspace: Workspace, options?: OpenGitHubOptions | undefined | null"
    )]
    pub fn open(
        env: &Env,
        workspace: ClassArg<Workspace>,
        options: Option<OpenGitHubOptions>,
    ) -> Result<Self> {
        let options = options.map_or_else(GitHubOptions::default, |o| GitHubOptions {
            token: o.token,
            api_url: o.api_url,
            graphql_url: o.graphql_url,
        });
        within_runtime_if_available(|| GitHubHandle::open(&workspace.0, options))
            .map(|inner| Self { inner })
            .map_err(|e| js_error(env, e))
    }

    /// The morning briefing: `{ repos: [...], highlights: [...] }` (docs/github.md).
    #[napi(
        ts_return_type = "Promise<{ repos: Array<Record<string, any>>; highlights: Array<{ kind: string; text: string; [field: string]: any }> }>"
    )]
    pub fn briefing<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(
            env,
            async move { inner.briefing().await.map(|v| to_json(&v)) },
        )
    }

    /// Open pull requests, each with the workspace's repository `name`.
    #[napi(ts_return_type = "Promise<Array<Record<string, any>>>")]
    pub fn pull_requests<'env>(
        &self,
        env: &'env Env,
        options: Option<PullRequestsOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let (repos, review_requested) = options.map_or((None, false), |o| {
            (o.repos, o.review_requested.unwrap_or(false))
        });
        spawn_json(env, async move {
            inner
                .pull_requests(repos, review_requested)
                .await
                .map(|v| to_json(&v))
        })
    }

    /// One pull request in full (files, reviews, checks), with a spoken `summary`.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn pull_request<'env>(
        &self,
        env: &'env Env,
        repo: String,
        number: u32,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move {
            inner
                .pull_request(&repo, u64::from(number))
                .await
                .map(|v| to_json(&v))
        })
    }

    /// The checks of `branch` in `repo`, check runs and statuses combined:
    /// `{ state, failing, ... }`.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn checks<'env>(
        &self,
        env: &'env Env,
        repo: String,
        branch: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move {
            inner.checks(&repo, &branch).await.map(|v| to_json(&v))
        })
    }

    /// Open issues assigned to you, urgent first, each with the repository `name`.
    #[napi(ts_return_type = "Promise<Array<Record<string, any>>>")]
    pub fn issues<'env>(
        &self,
        env: &'env Env,
        options: Option<IssuesOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let repos = options.and_then(|o| o.repos);
        spawn_json(env, async move {
            inner.issues(repos).await.map(|v| to_json(&v))
        })
    }

    /// Opens pull requests for `branch` across repositories, dependencies first; resolves with
    /// one outcome per repository (`{ repo, ... }`).
    #[napi(ts_return_type = "Promise<Array<Record<string, any>>>")]
    pub fn create_pull_requests<'env>(
        &self,
        env: &'env Env,
        branch: String,
        title: String,
        options: Option<CreatePullRequestsOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let (body, base, draft, repos) = match options {
            Some(o) => (
                o.body.unwrap_or_default(),
                o.base,
                o.draft.unwrap_or(false),
                o.repos,
            ),
            None => (String::new(), None, false, None),
        };
        spawn_json(env, async move {
            inner
                .create_pull_requests(branch, title, body, base, draft, repos)
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Submits a review: `event` is `approve`, `request_changes` or `comment`; rejects with
    /// kind `usage` for anything else.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn review<'env>(
        &self,
        env: &'env Env,
        repo: String,
        number: u32,
        event: String,
        options: Option<ReviewOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let (body, comments) = match options {
            Some(o) => (o.body.unwrap_or_default(), o.comments.map(|c| c.0)),
            None => (String::new(), None),
        };
        spawn_json(env, async move {
            inner
                .review(&repo, u64::from(number), &event, body, comments.as_deref())
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Merges `branch`'s pull requests in dependency order when checks and reviews allow;
    /// rejects with code `refused` and every reason otherwise.
    #[napi(ts_return_type = "Promise<Array<Record<string, any>>>")]
    pub fn merge<'env>(
        &self,
        env: &'env Env,
        branch: String,
        options: Option<MergeOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let (method, repos) = match options {
            Some(o) => (o.method.unwrap_or_else(|| "merge".to_owned()), o.repos),
            None => ("merge".to_owned(), None),
        };
        spawn_json(env, async move {
            inner
                .merge(&branch, &method, repos)
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Opens an issue in `repo`; resolves with `{ number, url, ... }`.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn create_issue<'env>(
        &self,
        env: &'env Env,
        repo: String,
        title: String,
        options: Option<CreateIssueOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let (body, labels) = match options {
            Some(o) => (o.body.unwrap_or_default(), o.labels.unwrap_or_default()),
            None => (String::new(), Vec::new()),
        };
        spawn_json(env, async move {
            inner
                .create_issue(&repo, title, body, labels)
                .await
                .map(|v| to_json(&v))
        })
    }
}
