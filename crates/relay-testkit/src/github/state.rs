//! The peer's repositories, pull requests, issues and checks, and what it serves of them over
//! GraphQL.

use std::collections::HashMap;

use serde_json::{Value, json};

/// A check run on a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRunSpec {
    /// Its name.
    pub name: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: String,
    /// For a completed run: `success`, `failure`, `neutral`, `cancelled`, `skipped`,
    /// `timed_out`, `action_required`.
    pub conclusion: Option<String>,
}

impl CheckRunSpec {
    /// A completed run with `conclusion`.
    pub fn completed(name: &str, conclusion: &str) -> Self {
        Self {
            name: name.into(),
            status: "completed".into(),
            conclusion: Some(conclusion.into()),
        }
    }

    /// A run still in progress.
    pub fn in_progress(name: &str) -> Self {
        Self {
            name: name.into(),
            status: "in_progress".into(),
            conclusion: None,
        }
    }
}

/// A commit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSpec {
    /// Its context.
    pub context: String,
    /// `success`, `failure`, `error` or `pending`.
    pub state: String,
}

/// A file of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Path.
    pub path: String,
    /// `added`, `modified`, `removed`, `renamed`.
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
}

/// A submitted review (seeded or received).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewState {
    /// Its id.
    pub id: u64,
    /// Reviewer.
    pub author: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`.
    pub state: String,
    /// Text.
    pub body: String,
}

/// A comment on a line of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineComment {
    /// Its id.
    pub id: u64,
    /// Commenter.
    pub author: String,
    /// File.
    pub path: String,
    /// Line.
    pub line: u64,
    /// Text.
    pub body: String,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullState {
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Description.
    pub body: String,
    /// Author's login.
    pub author: String,
    /// Draft.
    pub draft: bool,
    /// Head branch.
    pub head: String,
    /// Head commit.
    pub head_sha: String,
    /// Base branch.
    pub base: String,
    /// `open` or `closed`.
    pub state: String,
    /// Merged.
    pub merged: bool,
    /// The merge commit, once merged.
    pub merge_sha: Option<String>,
    /// `None`: not computed yet.
    pub mergeable: Option<bool>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `REVIEW_REQUIRED` or `None`.
    pub review_decision: Option<String>,
    /// Logins asked to review.
    pub requested_reviewers: Vec<String>,
    /// Files.
    pub files: Vec<FileSpec>,
    /// Reviews, oldest first.
    pub reviews: Vec<ReviewState>,
    /// Comments on lines, oldest first.
    pub line_comments: Vec<LineComment>,
    /// Conversation comments (author, body).
    pub comments: Vec<(String, String)>,
    /// Order of the last update (higher is newer).
    pub updated: u64,
}

impl PullState {
    /// A pull request from `head` into `base` by `author`, mergeable, no review decision.
    pub fn new(title: &str, author: &str, head: &str, base: &str) -> Self {
        Self {
            number: 0,
            title: title.into(),
            body: String::new(),
            author: author.into(),
            draft: false,
            head: head.into(),
            head_sha: String::new(),
            base: base.into(),
            state: "open".into(),
            merged: false,
            merge_sha: None,
            mergeable: Some(true),
            review_decision: None,
            requested_reviewers: Vec::new(),
            files: Vec::new(),
            reviews: Vec::new(),
            line_comments: Vec::new(),
            comments: Vec::new(),
            updated: 0,
        }
    }

    /// With a file.
    pub fn file(mut self, path: &str, status: &str, additions: u64, deletions: u64) -> Self {
        self.files.push(FileSpec {
            path: path.into(),
            status: status.into(),
            additions,
            deletions,
        });
        self
    }

    /// Asking `login` to review.
    pub fn review_requested(mut self, login: &str) -> Self {
        self.requested_reviewers.push(login.into());
        self
    }

    /// With a review decision (`APPROVED`, `CHANGES_REQUESTED`, `REVIEW_REQUIRED`).
    pub fn decision(mut self, decision: &str) -> Self {
        self.review_decision = Some(decision.into());
        self
    }

    /// As a draft.
    pub fn draft(mut self) -> Self {
        self.draft = true;
        self
    }

    /// Conflicting with its base.
    pub fn conflicting(mut self) -> Self {
        self.mergeable = Some(false);
        self
    }
}

/// An issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueState {
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Description.
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignees' logins.
    pub assignees: Vec<String>,
    /// `open` or `closed`.
    pub state: String,
    /// Order of the last update.
    pub updated: u64,
}

/// A repository.
#[derive(Debug, Clone, Default)]
pub struct RepoState {
    /// Owner.
    pub owner: String,
    /// Name.
    pub name: String,
    /// Default branch.
    pub default_branch: String,
    /// Branch heads.
    pub branches: HashMap<String, String>,
    /// Pull requests by number.
    pub pulls: Vec<PullState>,
    /// Issues by number.
    pub issues: Vec<IssueState>,
    /// Check runs by commit, newest first.
    pub check_runs: HashMap<String, Vec<CheckRunSpec>>,
    /// Statuses by commit, newest first.
    pub statuses: HashMap<String, Vec<StatusSpec>>,
    /// Labels that exist.
    pub labels: Vec<String>,
}

impl RepoState {
    /// The commit a branch or sha names.
    pub fn resolve(&self, git_ref: &str) -> Option<String> {
        if let Some(sha) = self.branches.get(git_ref) {
            return Some(sha.clone());
        }
        let known = self.check_runs.contains_key(git_ref)
            || self.statuses.contains_key(git_ref)
            || self.branches.values().any(|s| s == git_ref);
        known.then(|| git_ref.to_owned())
    }

    /// What the peer serves for `repository(owner:, name:)`.
    pub fn graphql(&self, base_url: &str) -> Value {
        let default_sha = self.branches.get(&self.default_branch).cloned();
        let mut pulls: Vec<&PullState> = self.pulls.iter().collect();
        pulls.sort_by_key(|p| std::cmp::Reverse(p.updated));
        let mut issues: Vec<&IssueState> = self.issues.iter().collect();
        issues.sort_by_key(|i| std::cmp::Reverse(i.updated));
        json!({
            "__typename": "Repository",
            "nameWithOwner": format!("{}/{}", self.owner, self.name),
            "defaultBranchRef": default_sha.map(|sha| json!({
                "__typename": "Ref",
                "name": self.default_branch,
                "target": self.commit_graphql(&sha, base_url),
            })),
            "pullRequests": { "nodes": pulls.iter().map(|p| json!({
                "__typename": "PullRequest",
                "number": p.number,
                "title": p.title,
                "url": format!("{base_url}/{}/{}/pull/{}", self.owner, self.name, p.number),
                "isDraft": p.draft,
                "headRefName": p.head,
                "baseRefName": p.base,
                "state": if p.merged { "MERGED" } else if p.state == "open" { "OPEN" } else { "CLOSED" },
                "author": { "__typename": "User", "login": p.author },
                "reviewDecision": p.review_decision,
                "mergeable": match p.mergeable { Some(true) => "MERGEABLE", Some(false) => "CONFLICTING", None => "UNKNOWN" },
                "reviewRequests": { "nodes": p.requested_reviewers.iter().map(|login| json!({
                    "__typename": "ReviewRequest",
                    "requestedReviewer": { "__typename": "User", "login": login },
                })).collect::<Vec<_>>() },
                "commits": { "nodes": [ { "__typename": "PullRequestCommit", "commit": self.commit_graphql(&p.head_sha, base_url) } ] },
            })).collect::<Vec<_>>() },
            "issues": { "nodes": issues.iter().map(|i| json!({
                "__typename": "Issue",
                "number": i.number,
                "title": i.title,
                "url": format!("{base_url}/{}/{}/issues/{}", self.owner, self.name, i.number),
                "state": if i.state == "open" { "OPEN" } else { "CLOSED" },
                "labels": { "nodes": i.labels.iter().map(|l| json!({"__typename": "Label", "name": l})).collect::<Vec<_>>() },
                "assignees": { "nodes": i.assignees.iter().map(|l| json!({"__typename": "User", "login": l})).collect::<Vec<_>>() },
            })).collect::<Vec<_>>() },
        })
    }

    fn commit_graphql(&self, sha: &str, base_url: &str) -> Value {
        let runs = self.check_runs.get(sha).cloned().unwrap_or_default();
        let statuses = self.statuses.get(sha).cloned().unwrap_or_default();
        let rollup = if runs.is_empty() && statuses.is_empty() {
            Value::Null
        } else {
            let contexts: Vec<Value> = runs
                .iter()
                .map(|r| json!({
                    "__typename": "CheckRun",
                    "name": r.name,
                    "status": r.status.to_ascii_uppercase(),
                    "conclusion": r.conclusion.as_ref().map(|c| c.to_ascii_uppercase()),
                    "detailsUrl": format!("{base_url}/{}/{}/runs/{}", self.owner, self.name, r.name),
                }))
                .chain(statuses.iter().map(|s| json!({
                    "__typename": "StatusContext",
                    "context": s.context,
                    "state": s.state.to_ascii_uppercase(),
                    "targetUrl": format!("{base_url}/ci/{}", s.context),
                })))
                .collect();
            json!({ "__typename": "StatusCheckRollup", "contexts": { "nodes": contexts } })
        };
        json!({ "__typename": "Commit", "oid": sha, "statusCheckRollup": rollup })
    }
}

/// A request Relay sent, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// JSON body, `Null` when none.
    pub body: Value,
}

/// A failure the peer answers the next request with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 401 Bad credentials.
    Unauthorized,
    /// 403 with a message (not a rate limit).
    Forbidden(String),
    /// 404.
    NotFound,
    /// The hourly quota is used up; it resets in this many seconds.
    PrimaryRateLimit {
        /// Seconds until `X-RateLimit-Reset`.
        reset_in: u64,
    },
    /// The secondary limit, with `Retry-After`.
    SecondaryRateLimit {
        /// Seconds of `Retry-After`.
        retry_after: u64,
    },
}

/// Everything the peer holds.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) token: String,
    pub(crate) viewer: String,
    pub(crate) repos: Vec<RepoState>,
    pub(crate) next_id: u64,
    pub(crate) clock: u64,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) violations: Vec<String>,
    pub(crate) failures: std::collections::VecDeque<Failure>,
    pub(crate) latency: std::time::Duration,
}

impl State {
    pub(crate) fn repo(&self, owner: &str, name: &str) -> Option<&RepoState> {
        self.repos
            .iter()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    pub(crate) fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut RepoState> {
        self.repos
            .iter_mut()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    pub(crate) fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// A fresh 40-hex commit id.
    pub(crate) fn sha(&mut self) -> String {
        let n = self.id();
        format!(
            "{:040x}",
            0xa11ce_u64.wrapping_mul(1_000_003).wrapping_add(n * 7919)
        )
    }
}
