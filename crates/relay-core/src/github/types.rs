//! What Relay reads from and writes to GitHub: pull requests, reviews, issues, repositories'
//! overviews. Owned, serde types, so they cross FFI and JSON unchanged.

use serde::{Deserialize, Serialize};

use super::checks::ChecksSummary;
use super::slug::RepoSlug;

/// What the reviews of a pull request decide, when its branch protection asks for reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Approved.
    Approved,
    /// A reviewer asked for changes.
    ChangesRequested,
    /// A review is required and none approved yet.
    ReviewRequired,
}

/// Whether GitHub can merge a pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mergeable {
    /// It merges cleanly.
    Mergeable,
    /// It conflicts with its base.
    Conflicting,
    /// GitHub has not computed it yet.
    Unknown,
}

/// An open pull request as listed: enough to brief and to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The repository.
    pub repo: RepoSlug,
    /// Its number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// The author's login (`ghost` for a deleted account).
    pub author: String,
    /// Whether it is a draft.
    pub draft: bool,
    /// The branch it merges from.
    pub head: String,
    /// The branch it merges into.
    pub base: String,
    /// Its page.
    pub url: String,
    /// What the reviews decide; `None` when no review is required.
    pub review_decision: Option<ReviewDecision>,
    /// Whether the token's user is asked to review it.
    pub review_requested_from_me: bool,
    /// Whether it merges cleanly.
    pub mergeable: Mergeable,
    /// Its head commit's checks.
    pub checks: ChecksSummary,
}

/// A file a pull request changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Path in the repository.
    pub path: String,
    /// `added`, `removed`, `modified`, `renamed`, ...
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
}

/// A submitted review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The reviewer's login.
    pub author: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    pub state: String,
    /// The review's text (may be empty).
    pub body: String,
}

/// A comment on a line of the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    /// The commenter's login.
    pub author: String,
    /// The file.
    pub path: String,
    /// The line in the file, when it is still in the diff.
    pub line: Option<u64>,
    /// The text.
    pub body: String,
}

/// One pull request in full: [`PullRequest`]'s facts plus files, reviews and comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestDetail {
    /// The repository.
    pub repo: RepoSlug,
    /// Its number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Description (may be empty).
    pub body: String,
    /// The author's login.
    pub author: String,
    /// `open` or `closed`.
    pub state: String,
    /// Whether it was merged.
    pub merged: bool,
    /// Whether it is a draft.
    pub draft: bool,
    /// The branch it merges from.
    pub head: String,
    /// The head commit.
    pub head_sha: String,
    /// The branch it merges into.
    pub base: String,
    /// Its page.
    pub url: String,
    /// `Some(true)` when it merges cleanly, `Some(false)` when it conflicts, `None` when GitHub
    /// has not computed it yet.
    pub mergeable: Option<bool>,
    /// Lines added in total.
    pub additions: u64,
    /// Lines deleted in total.
    pub deletions: u64,
    /// The files, in GitHub's order.
    pub files: Vec<FileChange>,
    /// Reviews, oldest first.
    pub reviews: Vec<Review>,
    /// Comments on lines of the diff, oldest first.
    pub review_comments: Vec<ReviewComment>,
    /// The head commit's checks, by name.
    pub checks: ChecksSummary,
}

impl PullRequestDetail {
    /// A summary short enough to speak: who, what, size, checks, reviews.
    pub fn spoken_summary(&self) -> String {
        let mut text = format!(
            "Pull request {} in {} by {}: \"{}\". {} file{} changed, {} line{} added, {} removed",
            self.number,
            self.repo.name,
            self.author,
            self.title,
            self.files.len(),
            plural(self.files.len()),
            self.additions,
            plural(self.additions as usize),
            self.deletions,
        );
        let biggest: Vec<String> = {
            let mut files: Vec<&FileChange> = self.files.iter().collect();
            files.sort_by_key(|f| std::cmp::Reverse(f.additions + f.deletions));
            files
                .iter()
                .take(3)
                .map(|f| format!("{} (+{} -{})", f.path, f.additions, f.deletions))
                .collect()
        };
        if !biggest.is_empty() {
            text.push_str(&format!(
                "; {}: {}",
                if self.files.len() > 3 { "mostly" } else { "in" },
                biggest.join(", ")
            ));
        }
        text.push_str(&format!(". Checks: {}.", self.checks.describe()));
        let decided: Vec<String> = self
            .reviews
            .iter()
            .filter(|r| r.state == "APPROVED" || r.state == "CHANGES_REQUESTED")
            .map(|r| {
                let verb = if r.state == "APPROVED" {
                    "approved"
                } else {
                    "requested changes"
                };
                format!("{} {verb}", r.author)
            })
            .collect();
        if decided.is_empty() {
            text.push_str(" No approving or blocking review yet.");
        } else {
            text.push_str(&format!(" Reviews: {}.", decided.join(", ")));
        }
        if !self.review_comments.is_empty() {
            text.push_str(&format!(
                " {} comment{} on the diff.",
                self.review_comments.len(),
                plural(self.review_comments.len())
            ));
        }
        if self.draft {
            text.push_str(" It is a draft.");
        }
        text
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// An issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The repository.
    pub repo: RepoSlug,
    /// Its number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Its page.
    pub url: String,
    /// Whether a label marks it urgent (see [`is_urgent_label`]).
    pub urgent: bool,
}

/// Whether a label name marks an issue urgent: `urgent`, `critical`, `blocker`, `p0`, `sev1`,
/// `priority: high`, ... (case-insensitive, any of `:`/`-`/`/`/space as separator).
pub fn is_urgent_label(label: &str) -> bool {
    let words: Vec<String> = label
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    has("urgent")
        || has("critical")
        || has("blocker")
        || has("p0")
        || has("sev1")
        || has("sev0")
        || (has("priority") && (has("high") || has("critical")))
}

/// One repository's state on GitHub, as the briefing reads it (one batched query for many).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoOverview {
    /// The repository.
    pub repo: RepoSlug,
    /// Its default branch; `None` for an empty repository (or when it could not be read).
    pub default_branch: Option<String>,
    /// The checks of the default branch's head.
    pub checks: ChecksSummary,
    /// Open pull requests, newest first.
    pub pull_requests: Vec<PullRequest>,
    /// Open issues assigned to the token's user.
    pub issues: Vec<Issue>,
    /// Why this repository could not be read (not found, no access); the rest is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Many repositories' state, and who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// The token's user.
    pub viewer: String,
    /// One per repository asked for, in the order asked.
    pub repos: Vec<RepoOverview>,
}

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPullRequest {
    /// The branch with the change.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// Title.
    pub title: String,
    /// Description.
    pub body: String,
    /// Open it as a draft.
    pub draft: bool,
}

/// A pull request opened (or found already open for the branch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestRef {
    /// The repository.
    pub repo: RepoSlug,
    /// Its number.
    pub number: u64,
    /// Its page.
    pub url: String,
}

/// What a review does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewEvent {
    /// Approve.
    Approve,
    /// Request changes (needs a body).
    RequestChanges,
    /// Comment without approving or blocking.
    Comment,
}

impl ReviewEvent {
    /// GitHub's spelling: `APPROVE`, `REQUEST_CHANGES`, `COMMENT`.
    pub fn as_github(self) -> &'static str {
        match self {
            ReviewEvent::Approve => "APPROVE",
            ReviewEvent::RequestChanges => "REQUEST_CHANGES",
            ReviewEvent::Comment => "COMMENT",
        }
    }
}

impl std::str::FromStr for ReviewEvent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "approve" => Ok(ReviewEvent::Approve),
            "request_changes" => Ok(ReviewEvent::RequestChanges),
            "comment" => Ok(ReviewEvent::Comment),
            other => Err(format!(
                "unknown review event `{other}`: use approve, request_changes or comment"
            )),
        }
    }
}

/// A comment on one line of a pull request's diff (the new side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineComment {
    /// The file.
    pub path: String,
    /// The line in the file's new version; it must be in the diff.
    pub line: u64,
    /// The text.
    pub body: String,
}

impl InlineComment {
    /// Parses `FILE:LINE` with a body: the CLI's `--comment src/lib.rs:12=text` shape splits
    /// into this.
    pub fn parse_location(location: &str, body: impl Into<String>) -> Result<Self, String> {
        let (path, line) = location
            .rsplit_once(':')
            .ok_or_else(|| format!("`{location}` is not FILE:LINE"))?;
        let line: u64 =
            line.parse().ok().filter(|l| *l > 0).ok_or_else(|| {
                format!("`{line}` in `{location}` is not a line number (1 or more)")
            })?;
        if path.is_empty() {
            return Err(format!("`{location}` has no file before the `:`"));
        }
        Ok(Self {
            path: path.to_owned(),
            line,
            body: body.into(),
        })
    }
}

/// A review to submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSubmission {
    /// Approve, request changes or comment.
    pub event: ReviewEvent,
    /// The review's text (required to request changes or to comment without inline comments).
    pub body: String,
    /// Comments on lines of the diff.
    pub comments: Vec<InlineComment>,
}

/// How to merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeMethod {
    /// A merge commit.
    #[default]
    Merge,
    /// One squashed commit.
    Squash,
    /// The commits rebased onto the base.
    Rebase,
}

impl MergeMethod {
    /// GitHub's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }
}

impl std::str::FromStr for MergeMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "merge" => Ok(MergeMethod::Merge),
            "squash" => Ok(MergeMethod::Squash),
            "rebase" => Ok(MergeMethod::Rebase),
            other => Err(format!(
                "unknown merge method `{other}`: use merge, squash or rebase"
            )),
        }
    }
}

/// An issue to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIssue {
    /// Title.
    pub title: String,
    /// Description.
    pub body: String,
    /// Label names (they must exist in the repository).
    pub labels: Vec<String>,
}

/// An issue or comment created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// The number (issues) or id (comments).
    pub number: u64,
    /// Its page.
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgent_labels_are_recognised() {
        for l in [
            "urgent",
            "Urgent",
            "priority: high",
            "P0",
            "sev1",
            "critical-bug",
        ] {
            assert!(is_urgent_label(l), "{l}");
        }
        for l in ["bug", "priority: low", "p1", "enhancement"] {
            assert!(!is_urgent_label(l), "{l}");
        }
    }

    #[test]
    fn inline_comment_locations_parse() {
        let c = InlineComment::parse_location("src/lib.rs:12", "x").unwrap();
        assert_eq!((c.path.as_str(), c.line), ("src/lib.rs", 12));
        assert!(InlineComment::parse_location("src/lib.rs", "x").is_err());
        assert!(InlineComment::parse_location("src/lib.rs:0", "x").is_err());
        assert!(InlineComment::parse_location(":3", "x").is_err());
    }
}
