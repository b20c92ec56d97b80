//! The webhook payloads Relay reads, typed with serde: only the fields it uses.
//!
//! [`parse`] turns an event name (`X-GitHub-Event`) and a raw body into a [`WebhookEvent`]. It
//! never panics: malformed JSON and payloads missing a field Relay needs are a [`PayloadError`].

use serde::Deserialize;
use serde::de::IgnoredAny;

/// The events Relay understands; [`WebhookEvent::Other`] for the rest (accepted and ignored).
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEvent {
    /// `ping`: sent when the webhook is created.
    Ping(Ping),
    /// `push`: commits pushed to a branch or tag.
    Push(Push),
    /// `pull_request`.
    PullRequest(PullRequestEvent),
    /// `pull_request_review`.
    PullRequestReview(PullRequestReviewEvent),
    /// `check_run`.
    CheckRun(CheckRunEvent),
    /// `check_suite`.
    CheckSuite(CheckSuiteEvent),
    /// `workflow_run`.
    WorkflowRun(WorkflowRunEvent),
    /// `issues`.
    Issues(IssuesEvent),
    /// Any other event (its body is valid JSON; nothing is read from it).
    Other(String),
}

impl WebhookEvent {
    /// The `X-GitHub-Event` name this was parsed from.
    pub fn name(&self) -> &str {
        match self {
            WebhookEvent::Ping(_) => "ping",
            WebhookEvent::Push(_) => "push",
            WebhookEvent::PullRequest(_) => "pull_request",
            WebhookEvent::PullRequestReview(_) => "pull_request_review",
            WebhookEvent::CheckRun(_) => "check_run",
            WebhookEvent::CheckSuite(_) => "check_suite",
            WebhookEvent::WorkflowRun(_) => "workflow_run",
            WebhookEvent::Issues(_) => "issues",
            WebhookEvent::Other(name) => name,
        }
    }

    /// The repository the event is about, when it has one.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            WebhookEvent::Ping(p) => p.repository.as_ref(),
            WebhookEvent::Push(p) => Some(&p.repository),
            WebhookEvent::PullRequest(p) => Some(&p.repository),
            WebhookEvent::PullRequestReview(p) => Some(&p.repository),
            WebhookEvent::CheckRun(p) => Some(&p.repository),
            WebhookEvent::CheckSuite(p) => Some(&p.repository),
            WebhookEvent::WorkflowRun(p) => Some(&p.repository),
            WebhookEvent::Issues(p) => Some(&p.repository),
            WebhookEvent::Other(_) => None,
        }
    }
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
#[error("malformed `{event}` payload: {message}")]
pub struct PayloadError {
    /// The event name.
    pub event: String,
    /// What is wrong, with the JSON path where serde knows it.
    pub message: String,
}

/// Parses `body` as the payload of event `event`.
pub fn parse(event: &str, body: &[u8]) -> Result<WebhookEvent, PayloadError> {
    fn read<T: serde::de::DeserializeOwned>(event: &str, body: &[u8]) -> Result<T, PayloadError> {
        serde_json::from_slice(body).map_err(|e| PayloadError {
            event: event.to_owned(),
            message: e.to_string(),
        })
    }
    Ok(match event {
        "ping" => WebhookEvent::Ping(read(event, body)?),
        "push" => WebhookEvent::Push(read(event, body)?),
        "pull_request" => WebhookEvent::PullRequest(read(event, body)?),
        "pull_request_review" => WebhookEvent::PullRequestReview(read(event, body)?),
        "check_run" => WebhookEvent::CheckRun(read(event, body)?),
        "check_suite" => WebhookEvent::CheckSuite(read(event, body)?),
        "workflow_run" => WebhookEvent::WorkflowRun(read(event, body)?),
        "issues" => WebhookEvent::Issues(read(event, body)?),
        other => {
            read::<IgnoredAny>(event, body)?;
            WebhookEvent::Other(other.to_owned())
        }
    })
}

/// The repository of an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
    /// `https://github.com/owner/name.git`.
    #[serde(default)]
    pub clone_url: Option<String>,
    /// `git@github.com:owner/name.git`.
    #[serde(default)]
    pub ssh_url: Option<String>,
    /// The default branch (`main`).
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// A GitHub account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// The login.
    pub login: String,
}

/// A label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Label {
    /// The label's name.
    pub name: String,
}

/// `ping`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Ping {
    /// GitHub's zen line.
    #[serde(default)]
    pub zen: Option<String>,
    /// The webhook's id.
    #[serde(default)]
    pub hook_id: Option<u64>,
    /// Present for a repository webhook.
    #[serde(default)]
    pub repository: Option<Repository>,
}

/// `push`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Push {
    /// `refs/heads/main` or `refs/tags/v1`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The sha before the push.
    pub before: String,
    /// The sha after the push.
    pub after: String,
    /// Whether the push deleted the ref.
    #[serde(default)]
    pub deleted: bool,
    /// The repository.
    pub repository: Repository,
}

impl Push {
    /// The branch pushed to, `None` for a tag or another ref.
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }
}

/// `pull_request`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequestEvent {
    /// `opened`, `closed`, `reopened`, `ready_for_review`, ...
    pub action: String,
    /// The pull request number.
    pub number: u64,
    /// The pull request.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// The number.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The author (`None` for a deleted account).
    pub user: Option<User>,
    /// Whether it is a draft.
    #[serde(default)]
    pub draft: bool,
    /// Whether it was merged.
    #[serde(default)]
    pub merged: Option<bool>,
}

/// `pull_request_review`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequestReviewEvent {
    /// `submitted`, `edited`, `dismissed`.
    pub action: String,
    /// The review.
    pub review: Review,
    /// The pull request reviewed.
    pub pull_request: PullRequest,
    /// The repository.
    pub repository: Repository,
}

/// A review.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Review {
    /// The reviewer.
    pub user: Option<User>,
    /// `approved`, `changes_requested`, `commented`, `dismissed` (GitHub sends lower case).
    pub state: String,
}

/// `check_run`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckRunEvent {
    /// `created`, `completed`, `rerequested`, `requested_action`.
    pub action: String,
    /// The check run.
    pub check_run: CheckRun,
    /// The repository.
    pub repository: Repository,
}

/// A check run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckRun {
    /// The check's name.
    pub name: String,
    /// `queued`, `in_progress`, `completed`, ...
    pub status: String,
    /// Set once completed.
    pub conclusion: Option<String>,
    /// The commit.
    pub head_sha: String,
}

/// `check_suite`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckSuiteEvent {
    /// `completed`, `requested`, `rerequested`.
    pub action: String,
    /// The check suite.
    pub check_suite: CheckSuite,
    /// The repository.
    pub repository: Repository,
}

/// A check suite.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckSuite {
    /// The branch, `None` for a suite on a fork's branch or a tag.
    pub head_branch: Option<String>,
    /// The commit.
    pub head_sha: String,
    /// `queued`, `in_progress`, `completed`, ...
    pub status: Option<String>,
    /// Set once completed.
    pub conclusion: Option<String>,
    /// The app whose checks these are ("GitHub Actions").
    pub app: Option<App>,
    /// The suite's API URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// A GitHub App.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct App {
    /// Its name.
    pub name: String,
}

/// `workflow_run`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkflowRunEvent {
    /// `requested`, `in_progress`, `completed`.
    pub action: String,
    /// The run.
    pub workflow_run: WorkflowRun,
    /// The repository.
    pub repository: Repository,
}

/// A workflow run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkflowRun {
    /// The workflow's name.
    pub name: Option<String>,
    /// The branch.
    pub head_branch: Option<String>,
    /// The commit.
    pub head_sha: String,
    /// `requested`, `in_progress`, `completed`, ...
    pub status: Option<String>,
    /// Set once completed.
    pub conclusion: Option<String>,
    /// The run's page.
    pub html_url: Option<String>,
}

/// `issues`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssuesEvent {
    /// `opened`, `assigned`, `labeled`, `closed`, ...
    pub action: String,
    /// The issue.
    pub issue: Issue,
    /// The repository.
    pub repository: Repository,
}

/// An issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// The number.
    pub number: u64,
    /// The title.
    pub title: String,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<Label>,
}
