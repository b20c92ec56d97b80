//! `relay.GitHub`: pull requests, checks, reviews, merges and issues across a workspace's
//! repositories, as coroutines resolving to dicts and lists.

use pyo3::prelude::*;
use relay_bindings_common::{GitHubHandle, GitHubOptions, to_json};

use crate::errors::to_py_err;
use crate::workspace::PyWorkspace;
use crate::{aio, runtime};

/// GitHub over a workspace. Open it with `GitHub.open(ws)`.
#[pyclass(module = "relay", name = "GitHub", frozen)]
pub struct PyGitHub {
    inner: GitHubHandle,
}

#[pymethods]
impl PyGitHub {
    /// GitHub for `workspace`: the token from `token`, else GITHUB_TOKEN, else GH_TOKEN; the
    /// addresses from `api_url`/`graphql_url`, else GITHUB_API_URL/GITHUB_GRAPHQL_URL.
    #[staticmethod]
    #[pyo3(signature = (workspace, token = None, api_url = None, graphql_url = None))]
    fn open(
        workspace: PyRef<'_, PyWorkspace>,
        token: Option<String>,
        api_url: Option<String>,
        graphql_url: Option<String>,
    ) -> PyResult<Self> {
        let options = GitHubOptions {
            token,
            api_url,
            graphql_url,
        };
        let handle = workspace.handle();
        runtime::enter(|| GitHubHandle::open(&handle, options))
            .map(|inner| Self { inner })
            .map_err(to_py_err)
    }

    /// The morning briefing: {"repos": [...], "highlights": [...]}.
    fn briefing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(
            py,
            async move { inner.briefing().await.map(|v| to_json(&v)) },
        )
    }

    /// Open pull requests (each with the workspace's `name`).
    #[pyo3(signature = (repos = None, review_requested = false))]
    fn pull_requests<'py>(
        &self,
        py: Python<'py>,
        repos: Option<Vec<String>>,
        review_requested: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner
                .pull_requests(repos, review_requested)
                .await
                .map(|v| to_json(&v))
        })
    }

    /// One pull request in full, with a spoken `summary`.
    fn pull_request<'py>(
        &self,
        py: Python<'py>,
        repo: String,
        number: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner.pull_request(&repo, number).await.map(|v| to_json(&v))
        })
    }

    /// The checks of `branch` in `repo`, check runs and statuses combined.
    fn checks<'py>(
        &self,
        py: Python<'py>,
        repo: String,
        branch: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner.checks(&repo, &branch).await.map(|v| to_json(&v))
        })
    }

    /// Open issues assigned to you, urgent first.
    #[pyo3(signature = (repos = None))]
    fn issues<'py>(
        &self,
        py: Python<'py>,
        repos: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(
            py,
            async move { inner.issues(repos).await.map(|v| to_json(&v)) },
        )
    }

    /// Opens pull requests for `branch` across repositories, dependencies first.
    #[pyo3(signature = (branch, title, body = String::new(), base = None, draft = false, repos = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_pull_requests<'py>(
        &self,
        py: Python<'py>,
        branch: String,
        title: String,
        body: String,
        base: Option<String>,
        draft: bool,
        repos: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner
                .create_pull_requests(branch, title, body, base, draft, repos)
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Submits a review: `event` is "approve", "request_changes" or "comment"; `comments` a
    /// list of {"path", "line", "body"}.
    #[pyo3(signature = (repo, number, event, body = String::new(), comments = None))]
    fn review<'py>(
        &self,
        py: Python<'py>,
        repo: String,
        number: u64,
        event: String,
        body: String,
        comments: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let comments_json = match comments {
            Some(c) => Some(crate::json::dumps(&c)?),
            None => None,
        };
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner
                .review(&repo, number, &event, body, comments_json.as_deref())
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Merges `branch`'s pull requests in dependency order when checks and reviews allow;
    /// raises GitHubError (code "refused") with every reason otherwise.
    #[pyo3(signature = (branch, method = "merge".to_owned(), repos = None))]
    fn merge<'py>(
        &self,
        py: Python<'py>,
        branch: String,
        method: String,
        repos: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner
                .merge(&branch, &method, repos)
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Opens an issue.
    #[pyo3(signature = (repo, title, body = String::new(), labels = Vec::new()))]
    fn create_issue<'py>(
        &self,
        py: Python<'py>,
        repo: String,
        title: String,
        body: String,
        labels: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        aio::json_coroutine(py, async move {
            inner
                .create_issue(&repo, title, body, labels)
                .await
                .map(|v| to_json(&v))
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGitHub>()
}
