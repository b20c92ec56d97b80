//! GitHub: the [`GitHubApi`] trait Relay reads pull requests, checks and issues through and
//! writes pull requests, reviews, comments, merges and issues through; its types; and the
//! operations across a workspace built on it (the morning [`briefing()`], pull requests opened and
//! merged across repositories in dependency order: [`ops`]).
//!
//! The default implementation is `relay_github::GitHubClient` (octocrab). Each repository's
//! GitHub `owner/name` is [`crate::RepoSpec::github_repo`]; repositories without one are "not on
//! GitHub" and skipped.

use async_trait::async_trait;

pub mod briefing;
mod checks;
mod error;
pub mod ops;
mod slug;
mod types;

pub use briefing::{Briefing, Highlight, HighlightKind, RepoBriefing, briefing};
pub use checks::{CheckItem, CheckState, ChecksSummary};
pub use error::GitHubError;
pub use slug::RepoSlug;
pub use types::{
    Created, FileChange, InlineComment, Issue, MergeMethod, Mergeable, NewIssue, NewPullRequest,
    Overview, PullRequest, PullRequestDetail, PullRequestRef, RepoOverview, Review, ReviewComment,
    ReviewDecision, ReviewEvent, ReviewSubmission, is_urgent_label,
};

/// GitHub, as Relay uses it. Implementations batch [`overview`](Self::overview) (one request
/// for many repositories) and wait out short rate limits.
#[async_trait]
pub trait GitHubApi: Send + Sync {
    /// The state of many repositories at once: default branch and its checks, open pull requests
    /// (with review decision, review requests, mergeability, checks), open issues assigned to
    /// the token's user. A repository that cannot be read gets its `error`; the others are
    /// still returned.
    async fn overview(&self, repos: &[RepoSlug]) -> Result<Overview, GitHubError>;

    /// One pull request in full: files, reviews, review comments, checks by name.
    async fn pull_request(
        &self,
        repo: &RepoSlug,
        number: u64,
    ) -> Result<PullRequestDetail, GitHubError>;

    /// The checks of a branch, tag or commit, check runs and statuses combined.
    async fn checks(&self, repo: &RepoSlug, git_ref: &str) -> Result<ChecksSummary, GitHubError>;

    /// Opens a pull request. When one is already open for the same head and base, returns it.
    async fn create_pull_request(
        &self,
        repo: &RepoSlug,
        pull: &NewPullRequest,
    ) -> Result<PullRequestRef, GitHubError>;

    /// Replaces a pull request's description.
    async fn set_pull_request_body(
        &self,
        repo: &RepoSlug,
        number: u64,
        body: &str,
    ) -> Result<(), GitHubError>;

    /// Comments on a pull request or issue.
    async fn comment(
        &self,
        repo: &RepoSlug,
        number: u64,
        body: &str,
    ) -> Result<Created, GitHubError>;

    /// Submits a review, with its inline comments.
    async fn review(
        &self,
        repo: &RepoSlug,
        number: u64,
        review: &ReviewSubmission,
    ) -> Result<Created, GitHubError>;

    /// Merges a pull request; returns the merge commit's sha.
    async fn merge(
        &self,
        repo: &RepoSlug,
        number: u64,
        method: MergeMethod,
    ) -> Result<String, GitHubError>;

    /// Opens an issue.
    async fn create_issue(&self, repo: &RepoSlug, issue: &NewIssue)
    -> Result<Created, GitHubError>;
}
