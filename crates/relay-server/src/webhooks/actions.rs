//! What a delivery asks Relay to do: [`plan`] maps a parsed event onto the workspace (which
//! repository, which sync rules, which CI result) and yields the [`Action`]s the worker runs.

use std::collections::HashMap;
use std::sync::Mutex;

use relay_core::Workspace;
use relay_core::config::{RuleAction, SyncRule};
use relay_core::event::{CiConclusion, Notification};
use relay_core::github::RepoSlug;

use super::payload::{Repository, WebhookEvent};

/// One thing a delivery makes Relay do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Run a sync rule whose trigger branch was pushed to.
    SyncRule(SyncRule),
    /// Tell the user something.
    Notify(Notification),
}

/// The workspace repositories a webhook's repository is: those whose GitHub `owner/name` (the
/// `github:` key, else the one in `url`) is the webhook's (by `full_name`, `clone_url` or
/// `ssh_url`).
pub fn workspace_repos(workspace: &Workspace, repository: &Repository) -> Vec<String> {
    let mut names: Vec<&str> = vec![repository.full_name.as_str()];
    let from_urls: Vec<String> = [&repository.clone_url, &repository.ssh_url]
        .into_iter()
        .flatten()
        .filter_map(|u| RepoSlug::from_url(u).map(|s| s.to_string()))
        .collect();
    names.extend(from_urls.iter().map(String::as_str));
    workspace
        .repos()
        .iter()
        .filter(|spec| {
            spec.github_repo()
                .is_some_and(|slug| names.iter().any(|n| slug.matches(n)))
        })
        .map(|spec| spec.name.clone())
        .collect()
}

/// The last CI conclusion seen per (repository, branch, workflow or app), so a success after a
/// failure is "green again". In memory, like the delivery log.
#[derive(Debug, Default)]
pub struct CiMemory {
    last: Mutex<HashMap<(String, String, String), CiConclusion>>,
}

impl CiMemory {
    /// Records `conclusion` and returns the one before it.
    fn record(
        &self,
        repo: &str,
        branch: &str,
        name: &str,
        conclusion: CiConclusion,
    ) -> Option<CiConclusion> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.insert(
            (repo.to_owned(), branch.to_owned(), name.to_owned()),
            conclusion,
        )
    }
}

/// The actions `event` asks for in `workspace`; empty when it concerns nothing Relay watches.
pub fn plan(workspace: &Workspace, ci: &CiMemory, event: &WebhookEvent) -> Vec<Action> {
    let Some(repository) = event.repository() else {
        return Vec::new();
    };
    let repos = workspace_repos(workspace, repository);
    if repos.is_empty() {
        tracing::debug!(repository = %repository.full_name, "not a repository of this workspace");
        return Vec::new();
    }
    let mut actions = Vec::new();
    for repo in &repos {
        match event {
            WebhookEvent::Push(push) => {
                let Some(branch) = push.branch().filter(|_| !push.deleted) else {
                    continue;
                };
                actions.extend(
                    workspace
                        .sync_rules()
                        .iter()
                        .filter(|r| &r.repo == repo && r.branch == branch)
                        .map(|r| Action::SyncRule(r.clone())),
                );
            }
            WebhookEvent::CheckSuite(e) if e.action == "completed" => {
                let name = e
                    .check_suite
                    .app
                    .as_ref()
                    .map_or("checks", |a| a.name.as_str());
                actions.extend(ci_result(
                    ci,
                    repo,
                    repository,
                    e.check_suite.head_branch.as_deref(),
                    name,
                    e.check_suite.conclusion.as_deref(),
                    &e.check_suite.head_sha,
                    None,
                ));
            }
            WebhookEvent::WorkflowRun(e) if e.action == "completed" => {
                let run = &e.workflow_run;
                actions.extend(ci_result(
                    ci,
                    repo,
                    repository,
                    run.head_branch.as_deref(),
                    run.name.as_deref().unwrap_or("workflow"),
                    run.conclusion.as_deref(),
                    &run.head_sha,
                    run.html_url.clone(),
                ));
            }
            WebhookEvent::PullRequest(e) => {
                let pr = &e.pull_request;
                let action = match e.action.as_str() {
                    "closed" if pr.merged == Some(true) => "merged",
                    a @ ("opened" | "reopened" | "ready_for_review" | "closed") => a,
                    _ => continue,
                };
                if pr.draft && action == "opened" {
                    continue;
                }
                actions.push(Action::Notify(Notification::PullRequest {
                    repo: repo.clone(),
                    number: e.number,
                    title: pr.title.clone(),
                    author: login(pr.user.as_ref()),
                    action: action.to_owned(),
                }));
            }
            WebhookEvent::PullRequestReview(e) if e.action == "submitted" => {
                actions.push(Action::Notify(Notification::Review {
                    repo: repo.clone(),
                    number: e.pull_request.number,
                    reviewer: login(e.review.user.as_ref()),
                    state: e.review.state.to_ascii_lowercase(),
                }));
            }
            WebhookEvent::Issues(e)
                if matches!(
                    e.action.as_str(),
                    "opened" | "reopened" | "assigned" | "labeled"
                ) =>
            {
                actions.push(Action::Notify(Notification::Issue {
                    repo: repo.clone(),
                    number: e.issue.number,
                    title: e.issue.title.clone(),
                    action: e.action.clone(),
                    labels: e.issue.labels.iter().map(|l| l.name.clone()).collect(),
                }));
            }
            _ => {}
        }
    }
    actions
}

fn login(user: Option<&super::payload::User>) -> String {
    user.map_or_else(|| "someone".to_owned(), |u| u.login.clone())
}

/// A completed CI run on the repository's default branch, as a notification.
#[allow(clippy::too_many_arguments)]
fn ci_result(
    ci: &CiMemory,
    repo: &str,
    repository: &Repository,
    branch: Option<&str>,
    name: &str,
    conclusion: Option<&str>,
    sha: &str,
    url: Option<String>,
) -> Option<Action> {
    let branch = branch?;
    let default = repository.default_branch.as_deref().unwrap_or("main");
    if branch != default {
        return None;
    }
    let conclusion = conclusion.and_then(CiConclusion::parse)?;
    let previous = ci.record(repo, branch, name, conclusion);
    Some(Action::Notify(Notification::Ci {
        repo: repo.to_owned(),
        branch: branch.to_owned(),
        name: name.to_owned(),
        conclusion,
        previous,
        sha: sha.to_owned(),
        url,
    }))
}

/// The sync rule's notification, from what the sync did to the rule's repositories.
pub fn sync_rule_notification(
    rule: &SyncRule,
    report: Option<&relay_core::repo::SyncReport>,
) -> Notification {
    use relay_core::repo::SyncAction;
    let (mut updated, mut skipped, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    if let (RuleAction::UpdateDependents, Some(report)) = (rule.action, report) {
        for entry in report
            .repos
            .iter()
            .filter(|e| rule.notify.contains(&e.name))
        {
            // Short enough to speak; the full reason is in the job's `repo_finished` event.
            let why = |e: &relay_core::repo::RepoSync| match &e.reason {
                Some(reason) => format!("{} ({})", e.name, short_reason(reason)),
                None => e.name.clone(),
            };
            match entry.action {
                SyncAction::Skipped => skipped.push(why(entry)),
                SyncAction::Failed => failed.push(why(entry)),
                _ => updated.push(entry.name.clone()),
            }
        }
    }
    Notification::SyncRule {
        trigger: format!("{}:{}", rule.repo, rule.branch),
        action: rule.action,
        repos: rule.notify.clone(),
        updated,
        skipped,
        failed,
    }
}

/// The head of a sync reason: "uncommitted changes (1 staged, ...); commit or stash them" →
/// "uncommitted changes".
fn short_reason(reason: &str) -> &str {
    let end = reason.find([';', ':', '(']).unwrap_or(reason.len());
    reason[..end].trim()
}
