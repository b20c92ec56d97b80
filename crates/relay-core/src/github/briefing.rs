//! The morning briefing: every repository's local status next to its GitHub state, and what
//! needs the user first (failing checks on a default branch, then review requests, then urgent
//! issues).

use serde::{Deserialize, Serialize};

use super::checks::CheckState;
use super::types::RepoOverview;
use super::{GitHubApi, RepoSlug};
use crate::RepoGraph;
use crate::error::RepoError;
use crate::repo::{RepoSelection, RepoStatus};

/// The briefing: `{"repos": [...], "highlights": [...]}` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Briefing {
    /// One per repository, in dependency order.
    pub repos: Vec<RepoBriefing>,
    /// What needs the user, most urgent first.
    pub highlights: Vec<Highlight>,
    /// The token's user, when GitHub was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer: Option<String>,
    /// Why GitHub could not be read at all (no token, bad credentials, ...); the local half is
    /// still there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_error: Option<String>,
}

/// One repository in the briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoBriefing {
    /// The local status (the fields of `relay status --json`, `name` among them).
    #[serde(flatten)]
    pub status: RepoStatus,
    /// Its GitHub state; `null` when the repository is not on GitHub or GitHub was not read.
    pub github: Option<RepoOverview>,
}

/// What kind of thing needs the user, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HighlightKind {
    /// Checks fail on a default branch.
    FailingChecks,
    /// Pull requests ask for the user's review.
    ReviewRequested,
    /// An issue assigned to the user is marked urgent.
    UrgentIssue,
    /// Issues assigned to the user, counted.
    AssignedIssues,
    /// A repository could not be read on GitHub.
    Unreadable,
}

/// One thing that needs the user, said in a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Highlight {
    /// What kind.
    pub kind: HighlightKind,
    /// The repository (workspace name), when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// A sentence to show or speak.
    pub text: String,
    /// Where to look.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

impl Briefing {
    /// The highlights as a few sentences to speak.
    pub fn spoken(&self) -> String {
        if let Some(error) = &self.github_error {
            return format!("GitHub was not read: {error}");
        }
        if self.highlights.is_empty() {
            return "Nothing on GitHub needs you.".into();
        }
        self.highlights
            .iter()
            .map(|h| h.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The briefing over every repository of `graph`'s workspace: the local status of each and,
/// with `github`, one batched read of every repository on GitHub.
pub async fn briefing(
    graph: &dyn RepoGraph,
    github: Option<&dyn GitHubApi>,
) -> Result<Briefing, RepoError> {
    let workspace = graph.workspace();
    let order = RepoSelection::All.resolve(workspace)?;
    let statuses = graph.status(RepoSelection::All).await?;
    let slugs: Vec<(String, Option<RepoSlug>)> = order
        .iter()
        .map(|name| {
            (
                name.clone(),
                workspace.repo(name).and_then(|r| r.github_repo()),
            )
        })
        .collect();
    let mut unique: Vec<RepoSlug> = Vec::new();
    for slug in slugs.iter().filter_map(|(_, s)| s.clone()) {
        if !unique.contains(&slug) {
            unique.push(slug);
        }
    }
    let (overview, github_error) = match github {
        None => (None, Some(super::GitHubError::MissingToken.to_string())),
        Some(_) if unique.is_empty() => (None, None),
        Some(api) => match api.overview(&unique).await {
            Ok(o) => (Some(o), None),
            Err(e) => (None, Some(e.to_string())),
        },
    };
    let mut repos = Vec::new();
    for (name, slug) in &slugs {
        let Some(status) = statuses.iter().find(|s| &s.name == name) else {
            continue;
        };
        let github = match (slug, &overview) {
            (Some(slug), Some(o)) => o.repos.iter().find(|r| &r.repo == slug).cloned(),
            _ => None,
        };
        repos.push(RepoBriefing {
            status: status.clone(),
            github,
        });
    }
    let highlights = highlights(&repos);
    Ok(Briefing {
        repos,
        highlights,
        viewer: overview.map(|o| o.viewer),
        github_error,
    })
}

/// The highlights of `repos`, most urgent first.
pub fn highlights(repos: &[RepoBriefing]) -> Vec<Highlight> {
    let mut out = Vec::new();
    let mut assigned = 0usize;
    let mut urgent = 0usize;
    for repo in repos {
        let name = &repo.status.name;
        let Some(gh) = &repo.github else { continue };
        if let Some(error) = &gh.error {
            out.push(Highlight {
                kind: HighlightKind::Unreadable,
                repo: Some(name.clone()),
                text: format!("{name}: GitHub could not be read: {error}."),
                urls: Vec::new(),
            });
            continue;
        }
        if gh.checks.state == CheckState::Failure {
            let branch = gh.default_branch.as_deref().unwrap_or("the default branch");
            out.push(Highlight {
                kind: HighlightKind::FailingChecks,
                repo: Some(name.clone()),
                text: format!(
                    "{name}: {} failing on {branch} ({}).",
                    count(gh.checks.failed as usize, "check"),
                    gh.checks.failing.join(", ")
                ),
                urls: gh
                    .checks
                    .checks
                    .iter()
                    .filter(|c| c.state == CheckState::Failure)
                    .filter_map(|c| c.url.clone())
                    .collect(),
            });
        }
        let to_review: Vec<_> = gh
            .pull_requests
            .iter()
            .filter(|p| p.review_requested_from_me)
            .collect();
        if !to_review.is_empty() {
            let list: Vec<String> = to_review
                .iter()
                .map(|p| format!("#{} \"{}\" by {}", p.number, p.title, p.author))
                .collect();
            out.push(Highlight {
                kind: HighlightKind::ReviewRequested,
                repo: Some(name.clone()),
                text: format!(
                    "{name}: {} to review: {}.",
                    count(to_review.len(), "pull request"),
                    list.join("; ")
                ),
                urls: to_review.iter().map(|p| p.url.clone()).collect(),
            });
        }
        for issue in gh.issues.iter().filter(|i| i.urgent) {
            out.push(Highlight {
                kind: HighlightKind::UrgentIssue,
                repo: Some(name.clone()),
                text: format!(
                    "{name}: urgent issue #{} \"{}\" is assigned to you.",
                    issue.number, issue.title
                ),
                urls: vec![issue.url.clone()],
            });
        }
        assigned += gh.issues.len();
        urgent += gh.issues.iter().filter(|i| i.urgent).count();
    }
    if assigned > 0 {
        out.push(Highlight {
            kind: HighlightKind::AssignedIssues,
            repo: None,
            text: format!(
                "{} assigned to you, {urgent} marked urgent.",
                count(assigned, "GitHub issue")
            ),
            urls: Vec::new(),
        });
    }
    // Stable: within a kind, dependency order.
    out.sort_by_key(|h| h.kind);
    out
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
