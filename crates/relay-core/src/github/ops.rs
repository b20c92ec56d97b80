//! Operations across repositories: pull requests for one branch opened in dependency order,
//! each listing the others, and merged in dependency order only when every one may be merged.

use serde::{Deserialize, Serialize};

use super::types::{MergeMethod, Mergeable, NewPullRequest, PullRequest, ReviewDecision};
use super::{CheckState, GitHubApi, GitHubError, PullRequestRef, RepoSlug};
use crate::Workspace;
use crate::repo::RepoSelection;

/// Pull requests to open for one branch across repositories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestsPlan {
    /// The branch (pushed to each repository's origin).
    pub branch: String,
    /// The title of each pull request.
    pub title: String,
    /// The description; each gets a line listing the others.
    pub body: String,
    /// The base branch; `None`: each repository's default branch.
    pub base: Option<String>,
    /// Open them as drafts.
    pub draft: bool,
    /// Which repositories.
    pub repos: RepoSelection,
}

/// What happened in one repository of a cross-repository operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoPullOutcome {
    /// The workspace's name for the repository.
    pub repo: String,
    /// The pull request (opened, found, or merged).
    pub pull: Option<PullRequestRef>,
    /// The merge commit, for merges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_sha: Option<String>,
    /// Why it failed or was not attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The selected repositories in dependency order with their GitHub repositories; a repository
/// not on GitHub is an error before anything is written.
fn on_github(
    workspace: &Workspace,
    repos: &RepoSelection,
) -> Result<Vec<(String, RepoSlug)>, GitHubError> {
    let names = repos
        .resolve(workspace)
        .map_err(|e| GitHubError::Config(e.to_string()))?;
    let explicit = !matches!(repos, RepoSelection::All);
    let mut out = Vec::new();
    for name in names {
        match workspace.repo(&name).and_then(|r| r.github_repo()) {
            Some(slug) => out.push((name, slug)),
            None if explicit => return Err(GitHubError::NotOnGitHub { repo: name }),
            None => {}
        }
    }
    if out.is_empty() {
        return Err(GitHubError::Config(
            "none of the selected repositories is on GitHub: give them a github.com `url:` or a \
             `github: OWNER/NAME` key in relay.yaml"
                .into(),
        ));
    }
    Ok(out)
}

/// The line each pull request's body gets: "Part of a change across shared-api#12, backend#34."
pub fn cross_reference(others: &[(String, u64)]) -> String {
    let list: Vec<String> = others.iter().map(|(r, n)| format!("{r}#{n}")).collect();
    format!("Part of a change across {}.", list.join(", "))
}

/// Opens a pull request for `plan.branch` in each selected repository, dependencies first;
/// then, when there are several, rewrites each description to list the others. Stops at the
/// first failure: the outcomes say what was opened and what was not attempted.
pub async fn create_pull_requests(
    workspace: &Workspace,
    github: &dyn GitHubApi,
    plan: &PullRequestsPlan,
) -> Result<Vec<RepoPullOutcome>, GitHubError> {
    if plan.branch.trim().is_empty() || plan.title.trim().is_empty() {
        return Err(GitHubError::Config(
            "a pull request needs a branch and a title".into(),
        ));
    }
    let repos = on_github(workspace, &plan.repos)?;
    let bases: Vec<Option<String>> = match &plan.base {
        Some(base) => vec![Some(base.clone()); repos.len()],
        None => {
            let slugs: Vec<RepoSlug> = repos.iter().map(|(_, s)| s.clone()).collect();
            let overview = github.overview(&slugs).await?;
            slugs
                .iter()
                .map(|s| {
                    overview
                        .repos
                        .iter()
                        .find(|o| &o.repo == s)
                        .and_then(|o| o.default_branch.clone())
                })
                .collect()
        }
    };
    let mut outcomes: Vec<RepoPullOutcome> = Vec::new();
    let mut failed = None::<String>;
    for ((name, slug), base) in repos.iter().zip(bases) {
        if let Some(first) = &failed {
            outcomes.push(outcome(
                name,
                None,
                Some(format!("not attempted: {first} failed")),
            ));
            continue;
        }
        let Some(base) = base else {
            failed = Some(name.clone());
            outcomes.push(outcome(
                name,
                None,
                Some(format!(
                    "{slug} has no default branch to merge into; push one or pass a base"
                )),
            ));
            continue;
        };
        let new = NewPullRequest {
            head: plan.branch.clone(),
            base,
            title: plan.title.clone(),
            body: plan.body.clone(),
            draft: plan.draft,
        };
        match github.create_pull_request(slug, &new).await {
            Ok(pull) => outcomes.push(outcome(name, Some(pull), None)),
            Err(e) => {
                failed = Some(name.clone());
                outcomes.push(outcome(name, None, Some(e.to_string())));
            }
        }
    }
    let opened: Vec<(String, RepoSlug, u64)> = outcomes
        .iter()
        .filter_map(|o| {
            o.pull
                .as_ref()
                .map(|p| (o.repo.clone(), p.repo.clone(), p.number))
        })
        .collect();
    if opened.len() > 1 {
        for (name, slug, number) in &opened {
            let others: Vec<(String, u64)> = opened
                .iter()
                .filter(|(n, _, _)| n != name)
                .map(|(n, _, num)| (n.clone(), *num))
                .collect();
            let body = if plan.body.trim().is_empty() {
                cross_reference(&others)
            } else {
                format!("{}\n\n{}", plan.body.trim_end(), cross_reference(&others))
            };
            if let Err(e) = github.set_pull_request_body(slug, *number, &body).await
                && let Some(o) = outcomes.iter_mut().find(|o| &o.repo == name)
            {
                o.error = Some(format!("opened, but its description was not updated: {e}"));
            }
        }
    }
    Ok(outcomes)
}

fn outcome(repo: &str, pull: Option<PullRequestRef>, error: Option<String>) -> RepoPullOutcome {
    RepoPullOutcome {
        repo: repo.to_owned(),
        pull,
        merge_sha: None,
        error,
    }
}

/// Why `pull` may not be merged now; empty when it may.
pub fn merge_blockers(pull: &PullRequest) -> Vec<String> {
    let mut why = Vec::new();
    if pull.draft {
        why.push("it is a draft".to_owned());
    }
    match pull.checks.state {
        CheckState::Failure => why.push(format!(
            "{} failing ({})",
            if pull.checks.failed == 1 {
                "1 check"
            } else {
                "checks"
            },
            pull.checks.failing.join(", ")
        )),
        CheckState::Pending => why.push(format!(
            "{} of its checks still running",
            pull.checks.pending
        )),
        _ => {}
    }
    match pull.review_decision {
        Some(ReviewDecision::ChangesRequested) => why.push("a reviewer requested changes".into()),
        Some(ReviewDecision::ReviewRequired) => why.push("it needs an approving review".into()),
        _ => {}
    }
    if pull.mergeable == Mergeable::Conflicting {
        why.push(format!("it conflicts with {}", pull.base));
    }
    why
}

/// Merges the open pull requests of `branch` in the selected repositories, dependencies first,
/// only when every one may be merged (checks pass, reviews allow, no conflict, not a draft);
/// otherwise refuses with every reason and merges nothing. Stops at the first merge that fails.
pub async fn merge_pull_requests(
    workspace: &Workspace,
    github: &dyn GitHubApi,
    branch: &str,
    repos: &RepoSelection,
    method: MergeMethod,
) -> Result<Vec<RepoPullOutcome>, GitHubError> {
    let selected = on_github(workspace, repos)?;
    let slugs: Vec<RepoSlug> = selected.iter().map(|(_, s)| s.clone()).collect();
    let overview = github.overview(&slugs).await?;
    let mut found: Vec<(String, PullRequest)> = Vec::new();
    let mut blockers: Vec<String> = Vec::new();
    for (name, slug) in &selected {
        let Some(repo) = overview.repos.iter().find(|o| &o.repo == slug) else {
            continue;
        };
        if let Some(error) = &repo.error {
            blockers.push(format!("{name}: {error}"));
            continue;
        }
        match repo.pull_requests.iter().find(|p| p.head == branch) {
            Some(pull) => {
                let why = merge_blockers(pull);
                if !why.is_empty() {
                    blockers.push(format!("{name}#{}: {}", pull.number, why.join(", ")));
                }
                found.push((name.clone(), pull.clone()));
            }
            None if !matches!(repos, RepoSelection::All) => {
                blockers.push(format!("{name}: no open pull request for `{branch}`"));
            }
            None => {}
        }
    }
    if found.is_empty() && blockers.is_empty() {
        return Err(GitHubError::Refused(format!(
            "no open pull request for `{branch}` in the workspace's repositories"
        )));
    }
    if !blockers.is_empty() {
        return Err(GitHubError::Refused(format!(
            "not merging anything for `{branch}`: {}",
            blockers.join("; ")
        )));
    }
    let mut outcomes = Vec::new();
    let mut failed = None::<String>;
    for (name, pull) in found {
        let reference = PullRequestRef {
            repo: pull.repo.clone(),
            number: pull.number,
            url: pull.url.clone(),
        };
        if let Some(first) = &failed {
            outcomes.push(outcome(
                &name,
                Some(reference),
                Some(format!("not merged: {first} failed to merge first")),
            ));
            continue;
        }
        match github.merge(&pull.repo, pull.number, method).await {
            Ok(sha) => outcomes.push(RepoPullOutcome {
                repo: name,
                pull: Some(reference),
                merge_sha: Some(sha),
                error: None,
            }),
            Err(e) => {
                failed = Some(name.clone());
                outcomes.push(outcome(&name, Some(reference), Some(e.to_string())));
            }
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cross_reference_lists_the_others() {
        assert_eq!(
            cross_reference(&[("shared-api".into(), 12), ("backend".into(), 34)]),
            "Part of a change across shared-api#12, backend#34."
        );
    }
}
