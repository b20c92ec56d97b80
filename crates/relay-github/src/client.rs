//! [`GitHubClient`]: [`GitHubApi`] over octocrab, REST for one pull request, checks and writes,
//! GraphQL for the batched overview.

use async_trait::async_trait;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use relay_core::github::{
    CheckItem, ChecksSummary, Created, FileChange, GitHubApi, GitHubError, MergeMethod, NewIssue,
    NewPullRequest, Overview, PullRequestDetail, PullRequestRef, RepoSlug, Review, ReviewComment,
    ReviewSubmission,
};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::config::GitHubConfig;
use crate::http::{Method, Transport};
use crate::overview;

/// Characters escaped in a path segment (a branch name's `/` among them).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// Most pages followed for one list (100 items each).
const MAX_PAGES: usize = 30;

/// GitHub over octocrab (rustls with ring).
///
/// ```no_run
/// # async fn demo() -> Result<(), relay_core::github::GitHubError> {
/// use relay_core::github::{GitHubApi, RepoSlug};
/// let github = relay_github::GitHubClient::from_env()?;
/// let overview = github.overview(&[RepoSlug::new("acme", "backend")]).await?;
/// println!("{} open pull requests", overview.repos[0].pull_requests.len());
/// # Ok(()) }
/// ```
pub struct GitHubClient {
    transport: Transport,
    viewer: OnceCell<String>,
}

impl std::fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubClient").finish_non_exhaustive()
    }
}

impl GitHubClient {
    /// A client for `config`.
    pub fn new(config: &GitHubConfig) -> Result<Self, GitHubError> {
        Ok(Self {
            transport: Transport::new(config)?,
            viewer: OnceCell::new(),
        })
    }

    /// A client configured from the environment ([`GitHubConfig::from_env`]).
    pub fn from_env() -> Result<Self, GitHubError> {
        Self::new(&GitHubConfig::from_env()?)
    }

    /// How many HTTP requests this client has sent (for measurements).
    pub fn requests_sent(&self) -> u64 {
        self.transport.requests()
    }

    /// The token's user (asked once, then remembered).
    pub async fn viewer(&self) -> Result<String, GitHubError> {
        self.viewer
            .get_or_try_init(|| async {
                let data = self
                    .transport
                    .graphql(
                        overview::VIEWER_QUERY,
                        json!({}),
                        "reading the token's user",
                    )
                    .await?;
                data.pointer("/data/viewer/login")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| GitHubError::Protocol {
                        action: "reading the token's user".into(),
                        message: "no viewer login in the answer".into(),
                    })
            })
            .await
            .cloned()
    }

    async fn get(&self, path: &str, action: &str, target: &str) -> Result<Value, GitHubError> {
        Ok(self
            .transport
            .rest(Method::Get, path, None, action, target)
            .await?
            .body)
    }

    /// Every item of a list, following `Link: <...>; rel="next"`.
    async fn get_all(
        &self,
        path: &str,
        action: &str,
        target: &str,
    ) -> Result<Vec<Value>, GitHubError> {
        let mut items = Vec::new();
        let mut next = Some(with_query(path, "per_page=100"));
        let mut pages = 0;
        while let Some(url) = next.take() {
            let reply = self
                .transport
                .rest(Method::Get, &url, None, action, target)
                .await?;
            match reply.body {
                Value::Array(page) => items.extend(page),
                other => return Err(shape(action, "a list", &other)),
            }
            pages += 1;
            if pages < MAX_PAGES {
                next = next_link(&reply.headers);
            }
        }
        Ok(items)
    }
}

fn with_query(path: &str, query: &str) -> String {
    if path.contains('?') {
        format!("{path}&{query}")
    } else {
        format!("{path}?{query}")
    }
}

/// The path and query of the `rel="next"` link.
fn next_link(headers: &http::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        if !rel.contains("rel=\"next\"") {
            return None;
        }
        let url = url.trim().trim_start_matches('<').trim_end_matches('>');
        let uri: http::Uri = url.parse().ok()?;
        uri.path_and_query().map(|p| p.as_str().to_owned())
    })
}

fn shape(action: &str, expected: &str, got: &Value) -> GitHubError {
    let kind = match got {
        Value::Null => "nothing",
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
        _ => "a scalar",
    };
    GitHubError::Protocol {
        action: action.to_owned(),
        message: format!("expected {expected}, got {kind}"),
    }
}

fn repo_path(repo: &RepoSlug) -> String {
    format!(
        "/repos/{}/{}",
        utf8_percent_encode(&repo.owner, SEGMENT),
        utf8_percent_encode(&repo.name, SEGMENT)
    )
}

fn s(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn n(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

#[async_trait]
impl GitHubApi for GitHubClient {
    async fn overview(&self, repos: &[RepoSlug]) -> Result<Overview, GitHubError> {
        let viewer = self.viewer().await?;
        let mut all = Vec::with_capacity(repos.len());
        for chunk in repos.chunks(overview::BATCH) {
            let response = self
                .transport
                .graphql(
                    &overview::query(chunk),
                    overview::variables(&viewer),
                    "reading the repositories' pull requests, checks and issues",
                )
                .await?;
            let mut parsed = overview::parse(chunk, &response)?;
            overview::mark_requested(&mut parsed, &response, &viewer);
            all.extend(parsed);
        }
        Ok(Overview { viewer, repos: all })
    }

    async fn pull_request(
        &self,
        repo: &RepoSlug,
        number: u64,
    ) -> Result<PullRequestDetail, GitHubError> {
        let base = format!("{}/pulls/{number}", repo_path(repo));
        let action = format!("reading pull request {repo}#{number}");
        let target = format!("pull request {repo}#{number}");
        let pull = self.get(&base, &action, &target).await?;
        if !pull.is_object() {
            return Err(shape(&action, "a pull request", &pull));
        }
        let files = self
            .get_all(&format!("{base}/files"), &action, &target)
            .await?;
        let reviews = self
            .get_all(&format!("{base}/reviews"), &action, &target)
            .await?;
        let comments = self
            .get_all(&format!("{base}/comments"), &action, &target)
            .await?;
        let head_sha = s(&pull, "/head/sha");
        let checks = self.checks(repo, &head_sha).await?;
        Ok(PullRequestDetail {
            repo: repo.clone(),
            number,
            title: s(&pull, "/title"),
            body: s(&pull, "/body"),
            author: pull
                .pointer("/user/login")
                .and_then(Value::as_str)
                .unwrap_or("ghost")
                .to_owned(),
            state: s(&pull, "/state"),
            merged: pull.get("merged").and_then(Value::as_bool).unwrap_or(false),
            draft: pull.get("draft").and_then(Value::as_bool).unwrap_or(false),
            head: s(&pull, "/head/ref"),
            head_sha,
            base: s(&pull, "/base/ref"),
            url: s(&pull, "/html_url"),
            mergeable: pull.get("mergeable").and_then(Value::as_bool),
            additions: n(&pull, "/additions"),
            deletions: n(&pull, "/deletions"),
            files: files
                .iter()
                .map(|f| FileChange {
                    path: s(f, "/filename"),
                    status: s(f, "/status"),
                    additions: n(f, "/additions"),
                    deletions: n(f, "/deletions"),
                })
                .collect(),
            reviews: reviews
                .iter()
                .map(|r| Review {
                    author: r
                        .pointer("/user/login")
                        .and_then(Value::as_str)
                        .unwrap_or("ghost")
                        .to_owned(),
                    state: s(r, "/state"),
                    body: s(r, "/body"),
                })
                .collect(),
            review_comments: comments
                .iter()
                .map(|c| ReviewComment {
                    author: c
                        .pointer("/user/login")
                        .and_then(Value::as_str)
                        .unwrap_or("ghost")
                        .to_owned(),
                    path: s(c, "/path"),
                    line: c.get("line").and_then(Value::as_u64),
                    body: s(c, "/body"),
                })
                .collect(),
            checks,
        })
    }

    async fn checks(&self, repo: &RepoSlug, git_ref: &str) -> Result<ChecksSummary, GitHubError> {
        let commit = format!(
            "{}/commits/{}",
            repo_path(repo),
            utf8_percent_encode(git_ref, SEGMENT)
        );
        let action = format!("reading the checks of {repo}@{git_ref}");
        let target = format!("{git_ref} in {repo}");
        let mut runs = Vec::new();
        let mut next = Some(format!("{commit}/check-runs?per_page=100"));
        let mut pages = 0;
        while let Some(path) = next.take() {
            let reply = self
                .transport
                .rest(Method::Get, &path, None, &action, &target)
                .await?;
            let page = reply
                .body
                .get("check_runs")
                .and_then(Value::as_array)
                .ok_or_else(|| shape(&action, "check runs", &reply.body))?;
            runs.extend(page.iter().cloned());
            pages += 1;
            if pages < MAX_PAGES {
                next = next_link(&reply.headers);
            }
        }
        let status = self
            .get(&format!("{commit}/status?per_page=100"), &action, &target)
            .await?;
        let statuses = status
            .get("statuses")
            .and_then(Value::as_array)
            .ok_or_else(|| shape(&action, "a combined status", &status))?;
        let items = runs
            .iter()
            .map(|r| {
                CheckItem::from_check_run(
                    s(r, "/name"),
                    r.get("status")
                        .and_then(Value::as_str)
                        .unwrap_or("completed"),
                    r.get("conclusion").and_then(Value::as_str),
                )
                .with_url(r.get("html_url").and_then(Value::as_str).map(str::to_owned))
            })
            .chain(statuses.iter().map(|st| {
                CheckItem::from_status(s(st, "/context"), &s(st, "/state")).with_url(
                    st.get("target_url")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                )
            }));
        Ok(ChecksSummary::combine(items))
    }

    async fn create_pull_request(
        &self,
        repo: &RepoSlug,
        pull: &NewPullRequest,
    ) -> Result<PullRequestRef, GitHubError> {
        let path = format!("{}/pulls", repo_path(repo));
        let action = format!("opening a pull request for `{}` in {repo}", pull.head);
        let body = json!({
            "title": pull.title,
            "head": pull.head,
            "base": pull.base,
            "body": pull.body,
            "draft": pull.draft,
        });
        let created = self
            .transport
            .rest(
                Method::Post,
                &path,
                Some(&body),
                &action,
                &format!("{repo}"),
            )
            .await;
        let created = match created {
            Ok(reply) => reply.body,
            Err(GitHubError::Rejected { message, .. })
                if message.contains("A pull request already exists") =>
            {
                // The same branch was proposed before: use the open one.
                let query = format!(
                    "{path}?state=open&head={}&base={}",
                    utf8_percent_encode(&format!("{}:{}", repo.owner, pull.head), SEGMENT),
                    utf8_percent_encode(&pull.base, SEGMENT)
                );
                let open = self.get(&query, &action, &format!("{repo}")).await?;
                open.as_array()
                    .and_then(|a| a.first())
                    .cloned()
                    .ok_or(GitHubError::Rejected { action, message })?
            }
            Err(e) => return Err(e),
        };
        Ok(PullRequestRef {
            repo: repo.clone(),
            number: n(&created, "/number"),
            url: s(&created, "/html_url"),
        })
    }

    async fn set_pull_request_body(
        &self,
        repo: &RepoSlug,
        number: u64,
        body: &str,
    ) -> Result<(), GitHubError> {
        let path = format!("{}/pulls/{number}", repo_path(repo));
        self.transport
            .rest(
                Method::Patch,
                &path,
                Some(&json!({ "body": body })),
                &format!("updating the description of {repo}#{number}"),
                &format!("pull request {repo}#{number}"),
            )
            .await?;
        Ok(())
    }

    async fn comment(
        &self,
        repo: &RepoSlug,
        number: u64,
        body: &str,
    ) -> Result<Created, GitHubError> {
        if body.trim().is_empty() {
            return Err(GitHubError::Config("a comment needs text".into()));
        }
        let path = format!("{}/issues/{number}/comments", repo_path(repo));
        self.post_created(
            &path,
            &json!({ "body": body }),
            &format!("commenting on {repo}#{number}"),
            &format!("{repo}#{number}"),
            "/id",
        )
        .await
    }

    async fn review(
        &self,
        repo: &RepoSlug,
        number: u64,
        review: &ReviewSubmission,
    ) -> Result<Created, GitHubError> {
        use relay_core::github::ReviewEvent;
        if review.event == ReviewEvent::RequestChanges && review.body.trim().is_empty() {
            return Err(GitHubError::Config(
                "requesting changes needs a review text saying what to change".into(),
            ));
        }
        if review.event == ReviewEvent::Comment
            && review.body.trim().is_empty()
            && review.comments.is_empty()
        {
            return Err(GitHubError::Config(
                "a comment review needs a text or inline comments".into(),
            ));
        }
        let path = format!("{}/pulls/{number}/reviews", repo_path(repo));
        let mut body = json!({ "event": review.event.as_github() });
        if !review.body.trim().is_empty() {
            body["body"] = json!(review.body);
        }
        if !review.comments.is_empty() {
            body["comments"] = review
                .comments
                .iter()
                .map(|c| json!({ "path": c.path, "line": c.line, "side": "RIGHT", "body": c.body }))
                .collect();
        }
        self.post_created(
            &path,
            &body,
            &format!("reviewing {repo}#{number}"),
            &format!("pull request {repo}#{number}"),
            "/id",
        )
        .await
    }

    async fn merge(
        &self,
        repo: &RepoSlug,
        number: u64,
        method: MergeMethod,
    ) -> Result<String, GitHubError> {
        let path = format!("{}/pulls/{number}/merge", repo_path(repo));
        let action = format!("merging {repo}#{number}");
        let reply = self
            .transport
            .rest(
                Method::Put,
                &path,
                Some(&json!({ "merge_method": method.as_str() })),
                &action,
                &format!("pull request {repo}#{number}"),
            )
            .await;
        match reply {
            Ok(reply) => Ok(s(&reply.body, "/sha")),
            Err(GitHubError::Api {
                status: 405,
                message,
                ..
            }) => Err(GitHubError::Refused(format!(
                "GitHub will not merge {repo}#{number}: {message}"
            ))),
            Err(GitHubError::Api {
                status: 409,
                message,
                ..
            }) => Err(GitHubError::Refused(format!(
                "{repo}#{number} changed while merging ({message}); look at it again and retry"
            ))),
            Err(e) => Err(e),
        }
    }

    async fn create_issue(
        &self,
        repo: &RepoSlug,
        issue: &NewIssue,
    ) -> Result<Created, GitHubError> {
        if issue.title.trim().is_empty() {
            return Err(GitHubError::Config("an issue needs a title".into()));
        }
        let path = format!("{}/issues", repo_path(repo));
        let mut body = json!({ "title": issue.title, "body": issue.body });
        if !issue.labels.is_empty() {
            body["labels"] = json!(issue.labels);
        }
        self.post_created(
            &path,
            &body,
            &format!("opening an issue in {repo}"),
            &format!("{repo}"),
            "/number",
        )
        .await
    }
}

impl GitHubClient {
    /// POSTs `body` to `path` and reads what was created: its number (or id, at `number_at`)
    /// and its page.
    async fn post_created(
        &self,
        path: &str,
        body: &serde_json::Value,
        action: &str,
        subject: &str,
        number_at: &str,
    ) -> Result<Created, GitHubError> {
        let reply = self
            .transport
            .rest(Method::Post, path, Some(body), action, subject)
            .await?;
        Ok(Created {
            number: n(&reply.body, number_at),
            url: s(&reply.body, "/html_url"),
        })
    }
}
