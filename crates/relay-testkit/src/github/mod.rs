//! A GitHub API peer (REST and the GraphQL queries Relay sends) on loopback, faithful to
//! GitHub's own descriptions:
//!
//! - every REST request is checked against GitHub's OpenAPI description of api.github.com (npm
//!   `@octokit/openapi`): the operation must exist for the path and method, path and query
//!   parameters must be declared and valid, the JSON body must match the operation's schema;
//!   every response the peer sends is checked against the same description (its status must be
//!   declared, its body must match; 401, 403, 404 and 429, which GitHub sends for any
//!   operation, are checked against GitHub's `basic-error` schema when an operation does not
//!   declare them). Injected failures (401, rate limits) are sent before an operation is
//!   looked up and are GitHub's documented error bodies.
//! - every GraphQL query is parsed and checked against GitHub's GraphQL schema (npm
//!   `@octokit/graphql-schema`), then executed over what the peer serves; a field it does not
//!   serve is a violation.
//!
//! A violation is answered with an error and recorded; [`GitHubPeer::violations`] lists them and
//! dropping the peer with violations panics, so a request GitHub would not accept fails the test.
//! The descriptions are installed by `scripts/setup/github.sh`; when missing, [`GitHubPeer::start`]
//! fails with a message saying so.

mod graphql;
mod openapi;
mod rest;
mod server;
mod state;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use graphql::{Schema as GraphQlSchema, schema_path};
pub use openapi::{OpenApi, description_path};
pub use state::{
    CheckRunSpec, Failure, FileSpec, IssueState, LineComment, PullState, RecordedRequest,
    RepoState, ReviewState, StatusSpec,
};

use state::State;

/// The token the peer accepts.
pub const TOKEN: &str = "ghp_relayTestToken0000000000000000000000";

/// The running peer; stops when dropped.
pub struct GitHubPeer {
    url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl GitHubPeer {
    /// Starts the peer on a free loopback port, with the viewer `octocat` and [`TOKEN`]. Fails
    /// when GitHub's descriptions are not installed.
    pub async fn start() -> Result<Self, String> {
        OpenApi::get()?;
        GraphQlSchema::get()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind the GitHub peer: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let url = format!("http://{addr}");
        let state = Arc::new(Mutex::new(State {
            token: TOKEN.into(),
            viewer: "octocat".into(),
            ..State::default()
        }));
        let task = server::serve(listener, Arc::clone(&state), url.clone());
        Ok(Self { url, state, task })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The REST root (`GITHUB_API_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The GraphQL endpoint (`GITHUB_GRAPHQL_URL`).
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.url)
    }

    /// The accepted token.
    pub fn token(&self) -> &'static str {
        TOKEN
    }

    /// The token's user.
    pub fn viewer(&self) -> String {
        self.lock().viewer.clone()
    }

    /// Adds latency before every answer (for benches).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Adds a repository with its default branch (which gets a head commit).
    pub fn add_repo(&self, owner: &str, name: &str, default_branch: &str) {
        let mut state = self.lock();
        let sha = state.sha();
        let mut repo = RepoState {
            owner: owner.into(),
            name: name.into(),
            default_branch: default_branch.into(),
            ..RepoState::default()
        };
        repo.branches.insert(default_branch.into(), sha);
        state.repos.push(repo);
    }

    /// Adds (or moves) a branch; returns its head commit.
    pub fn add_branch(&self, owner: &str, name: &str, branch: &str) -> String {
        let mut state = self.lock();
        let sha = state.sha();
        let repo = state.repo_mut(owner, name).expect("add_repo first");
        repo.branches.insert(branch.into(), sha.clone());
        sha
    }

    /// The head commit of a branch.
    pub fn branch_head(&self, owner: &str, name: &str, branch: &str) -> Option<String> {
        self.lock()
            .repo(owner, name)
            .and_then(|r| r.branches.get(branch).cloned())
    }

    /// Adds an open pull request (its head branch is created); returns its number.
    pub fn add_pull(&self, owner: &str, name: &str, mut pull: PullState) -> u64 {
        let mut state = self.lock();
        let number = state.id();
        let tick = state.tick();
        let sha = state.sha();
        let repo = state.repo_mut(owner, name).expect("add_repo first");
        let sha = repo
            .branches
            .entry(pull.head.clone())
            .or_insert(sha)
            .clone();
        pull.number = number;
        pull.head_sha = sha;
        pull.updated = tick;
        repo.pulls.push(pull);
        number
    }

    /// Adds an open issue; returns its number.
    pub fn add_issue(
        &self,
        owner: &str,
        name: &str,
        title: &str,
        labels: &[&str],
        assignees: &[&str],
    ) -> u64 {
        let mut state = self.lock();
        let number = state.id();
        let tick = state.tick();
        let repo = state.repo_mut(owner, name).expect("add_repo first");
        repo.issues.push(IssueState {
            number,
            title: title.into(),
            body: String::new(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            assignees: assignees.iter().map(|l| (*l).to_owned()).collect(),
            state: "open".into(),
            updated: tick,
        });
        number
    }

    /// Adds a check run to the commit `git_ref` (a branch or sha) names.
    pub fn add_check_run(&self, owner: &str, name: &str, git_ref: &str, run: CheckRunSpec) {
        let mut state = self.lock();
        let repo = state.repo_mut(owner, name).expect("add_repo first");
        let sha = repo.resolve(git_ref).unwrap_or_else(|| git_ref.to_owned());
        repo.check_runs.entry(sha).or_default().insert(0, run);
    }

    /// Adds a commit status to the commit `git_ref` names.
    pub fn add_status(&self, owner: &str, name: &str, git_ref: &str, context: &str, status: &str) {
        let mut state = self.lock();
        let repo = state.repo_mut(owner, name).expect("add_repo first");
        let sha = repo.resolve(git_ref).unwrap_or_else(|| git_ref.to_owned());
        repo.statuses.entry(sha).or_default().insert(
            0,
            StatusSpec {
                context: context.into(),
                state: status.into(),
            },
        );
    }

    /// Adds a review to a pull request.
    pub fn add_review(
        &self,
        owner: &str,
        name: &str,
        number: u64,
        author: &str,
        review_state: &str,
        body: &str,
    ) {
        let mut state = self.lock();
        let id = state.id();
        let repo = state.repo_mut(owner, name).expect("add_repo first");
        let pull = repo
            .pulls
            .iter_mut()
            .find(|p| p.number == number)
            .expect("add_pull first");
        pull.reviews.push(ReviewState {
            id,
            author: author.into(),
            state: review_state.into(),
            body: body.into(),
        });
    }

    /// Adds a comment by `author` on `location` (`FILE:LINE`) of a pull request's diff.
    pub fn add_line_comment(
        &self,
        repo: (&str, &str),
        number: u64,
        author: &str,
        location: &str,
        body: &str,
    ) {
        let (path, line) = location.rsplit_once(':').expect("FILE:LINE");
        let mut state = self.lock();
        let id = state.id();
        let repo = state.repo_mut(repo.0, repo.1).expect("add_repo first");
        let pull = repo
            .pulls
            .iter_mut()
            .find(|p| p.number == number)
            .expect("add_pull first");
        pull.line_comments.push(LineComment {
            id,
            author: author.into(),
            path: path.into(),
            line: line.parse().expect("a line number"),
            body: body.into(),
        });
    }

    /// A pull request as the peer holds it now.
    pub fn pull(&self, owner: &str, name: &str, number: u64) -> Option<PullState> {
        self.lock()
            .repo(owner, name)
            .and_then(|r| r.pulls.iter().find(|p| p.number == number).cloned())
    }

    /// The pull requests of a repository.
    pub fn pulls(&self, owner: &str, name: &str) -> Vec<PullState> {
        self.lock()
            .repo(owner, name)
            .map(|r| r.pulls.clone())
            .unwrap_or_default()
    }

    /// The issues of a repository.
    pub fn issues(&self, owner: &str, name: &str) -> Vec<IssueState> {
        self.lock()
            .repo(owner, name)
            .map(|r| r.issues.clone())
            .unwrap_or_default()
    }

    /// Answers the next request with `failure` (queued: several calls fail several requests).
    pub fn fail_next(&self, failure: Failure) {
        self.lock().failures.push_back(failure);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Requests (and peer responses) that GitHub's descriptions do not allow.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Forgets recorded violations (for tests that send bad requests on purpose).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().violations)
    }
}

impl Drop for GitHubPeer {
    fn drop(&mut self) {
        self.task.abort();
        let violations = self.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "the GitHub peer received requests (or built responses) that GitHub's API description does not allow:\n  {}",
                violations.join("\n  ")
            );
        }
    }
}
