//! Notifications: things that happened outside a request (a webhook from GitHub, a CI result)
//! that a live voice session can speak and the job/event stream carries.

use serde::{Deserialize, Serialize};

use crate::config::RuleAction;
use crate::words::plural;

/// Something worth telling the user about, with a sentence to speak ([`Notification::sentence`]).
///
/// Carried as [`EventKind::Notification`](crate::EventKind::Notification), serialized with a
/// `kind` tag in snake case beside the event's `type`:
/// `{"type": "notification", "kind": "ci", "repo": "backend", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// A push to a sync rule's trigger branch ran the rule.
    SyncRule {
        /// `REPO:BRANCH` as written in `relay.yaml`.
        trigger: String,
        /// The rule's action.
        action: RuleAction,
        /// The repositories the rule names.
        repos: Vec<String>,
        /// Repositories that were fast-forwarded, cloned or found up to date (`update_dependents`).
        updated: Vec<String>,
        /// Repositories left untouched on purpose, with why ("backend: uncommitted changes").
        skipped: Vec<String>,
        /// Repositories whose sync failed, with why.
        failed: Vec<String>,
    },
    /// CI finished on a watched branch (a repository's default branch).
    Ci {
        /// Workspace repository name.
        repo: String,
        /// The branch CI ran on.
        branch: String,
        /// The check suite's app or the workflow's name ("GitHub Actions", "tests").
        name: String,
        /// How it ended.
        conclusion: CiConclusion,
        /// How the previous run on this branch ended, when Relay saw one.
        previous: Option<CiConclusion>,
        /// The commit CI ran on.
        sha: String,
        /// A link to the run, when the payload has one.
        url: Option<String>,
    },
    /// A pull request was opened, reopened, marked ready, closed or merged.
    PullRequest {
        /// Workspace repository name.
        repo: String,
        /// Pull request number.
        number: u64,
        /// Title.
        title: String,
        /// Login of the author.
        author: String,
        /// GitHub's action (`opened`, `reopened`, `ready_for_review`, `closed`), or `merged`.
        action: String,
    },
    /// A review was submitted on a pull request.
    Review {
        /// Workspace repository name.
        repo: String,
        /// Pull request number.
        number: u64,
        /// Login of the reviewer.
        reviewer: String,
        /// `approved`, `changes_requested` or `commented`.
        state: String,
    },
    /// An issue was opened, reopened, assigned or labelled.
    Issue {
        /// Workspace repository name.
        repo: String,
        /// Issue number.
        number: u64,
        /// Title.
        title: String,
        /// GitHub's action.
        action: String,
        /// Label names, so "urgent" is seen.
        labels: Vec<String>,
    },
}

/// How a CI run ended, as GitHub reports it for check suites and workflow runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiConclusion {
    /// Everything passed.
    Success,
    /// Something failed.
    Failure,
    /// Neither pass nor fail.
    Neutral,
    /// Cancelled.
    Cancelled,
    /// Skipped.
    Skipped,
    /// Ran out of time.
    TimedOut,
    /// Waits for someone to act.
    ActionRequired,
    /// Superseded.
    Stale,
    /// The workflow could not start.
    StartupFailure,
}

impl CiConclusion {
    /// Whether the run counts as green (success, neutral or skipped).
    pub fn is_green(self) -> bool {
        matches!(self, Self::Success | Self::Neutral | Self::Skipped)
    }

    /// Whether the run counts as red (failure, timed out, startup failure).
    pub fn is_red(self) -> bool {
        matches!(self, Self::Failure | Self::TimedOut | Self::StartupFailure)
    }

    /// Reads GitHub's spelling (`"timed_out"`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

impl Notification {
    /// One short English sentence for a voice session to speak or a log to print.
    ///
    /// ```
    /// use relay_core::event::{CiConclusion, Notification};
    /// let n = Notification::Ci {
    ///     repo: "backend".into(), branch: "main".into(), name: "tests".into(),
    ///     conclusion: CiConclusion::Success, previous: Some(CiConclusion::Failure),
    ///     sha: "abc".into(), url: None,
    /// };
    /// assert_eq!(n.sentence(), "CI on backend is green again.");
    /// ```
    pub fn sentence(&self) -> String {
        match self {
            Notification::SyncRule {
                trigger,
                action,
                repos,
                updated,
                skipped,
                failed,
            } => {
                let source = trigger.replacen(':', "'s ", 1);
                match action {
                    RuleAction::Notify => {
                        format!("{source} changed on GitHub; {} affected.", list_verb(repos))
                    }
                    RuleAction::UpdateDependents => {
                        let mut parts = Vec::new();
                        if !updated.is_empty() {
                            parts.push(format!("updated {}", join(updated)));
                        }
                        if !skipped.is_empty() {
                            parts.push(format!("skipped {}", join(skipped)));
                        }
                        if !failed.is_empty() {
                            parts.push(format!("could not sync {}", join(failed)));
                        }
                        if parts.is_empty() {
                            parts.push("nothing to update".into());
                        }
                        format!("{source} changed on GitHub: {}.", parts.join("; "))
                    }
                }
            }
            Notification::Ci {
                repo,
                branch,
                name,
                conclusion,
                previous,
                ..
            } => {
                let was_red = previous.is_some_and(CiConclusion::is_red);
                let was_green = previous.is_some_and(CiConclusion::is_green);
                match conclusion {
                    c if c.is_green() && was_red => format!("CI on {repo} is green again."),
                    c if c.is_green() => format!("CI on {repo} passed on {branch}."),
                    c if c.is_red() && was_red => {
                        format!("CI on {repo} is still failing on {branch} ({name}).")
                    }
                    c if c.is_red() && was_green => {
                        format!("CI on {repo} just broke on {branch} ({name}).")
                    }
                    c if c.is_red() => format!("CI on {repo} failed on {branch} ({name})."),
                    CiConclusion::Cancelled => format!("CI on {repo} was cancelled on {branch}."),
                    CiConclusion::ActionRequired => {
                        format!("CI on {repo} needs someone to act on {branch}.")
                    }
                    _ => format!("CI on {repo} finished on {branch}."),
                }
            }
            Notification::PullRequest {
                repo,
                number,
                title,
                author,
                action,
            } => match action.as_str() {
                "opened" => {
                    format!("New pull request in {repo} from {author}: {title} (#{number}).")
                }
                "ready_for_review" => {
                    format!(
                        "Pull request {number} in {repo} from {author} is ready for review: {title}."
                    )
                }
                "merged" => format!("Pull request {number} in {repo} was merged: {title}."),
                "closed" => format!("Pull request {number} in {repo} was closed: {title}."),
                other => format!(
                    "Pull request {number} in {repo} was {}: {title}.",
                    other.replace('_', " ")
                ),
            },
            Notification::Review {
                repo,
                number,
                reviewer,
                state,
            } => {
                let did = match state.as_str() {
                    "approved" => "approved",
                    "changes_requested" => "requested changes on",
                    _ => "commented on",
                };
                format!("{reviewer} {did} pull request {number} in {repo}.")
            }
            Notification::Issue {
                repo,
                number,
                title,
                action,
                labels,
            } => {
                let urgent = labels
                    .iter()
                    .any(|l| l.to_ascii_lowercase().contains("urgent"));
                let what = match action.as_str() {
                    "opened" => format!("New issue in {repo}: {title} (#{number})"),
                    other => format!(
                        "Issue {number} in {repo} was {}: {title}",
                        other.replace('_', " ")
                    ),
                };
                if urgent {
                    format!("{what}, marked urgent.")
                } else {
                    format!("{what}.")
                }
            }
        }
    }
}

/// "a", "a and b", "a, b and c".
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "backend is", "backend and frontend are", "3 repositories are" (for long lists).
fn list_verb(items: &[String]) -> String {
    match items.len() {
        0 => "nothing is".into(),
        1 => format!("{} is", items[0]),
        n if n > 4 => format!("{} are", plural(n, "repository", "repositories")),
        _ => format!("{} are", join(items)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    fn ci(conclusion: CiConclusion, previous: Option<CiConclusion>) -> Notification {
        Notification::Ci {
            repo: "backend".into(),
            branch: "main".into(),
            name: "tests".into(),
            conclusion,
            previous,
            sha: "0123".into(),
            url: None,
        }
    }

    #[test]
    fn ci_sentences_say_what_changed() {
        use CiConclusion::*;
        assert_eq!(
            ci(Success, Some(Failure)).sentence(),
            "CI on backend is green again."
        );
        assert_eq!(
            ci(Success, None).sentence(),
            "CI on backend passed on main."
        );
        assert_eq!(
            ci(Failure, Some(Success)).sentence(),
            "CI on backend just broke on main (tests)."
        );
        assert_eq!(
            ci(Failure, Some(TimedOut)).sentence(),
            "CI on backend is still failing on main (tests)."
        );
        assert_eq!(
            ci(Failure, None).sentence(),
            "CI on backend failed on main (tests)."
        );
        assert_eq!(
            ci(Cancelled, None).sentence(),
            "CI on backend was cancelled on main."
        );
    }

    #[test]
    fn sync_rule_sentences_list_the_repositories() {
        let n = Notification::SyncRule {
            trigger: "shared-api:main".into(),
            action: RuleAction::UpdateDependents,
            repos: vec!["backend".into(), "frontend".into(), "mobile".into()],
            updated: vec!["backend".into(), "frontend".into()],
            skipped: vec!["mobile (uncommitted changes)".into()],
            failed: vec![],
        };
        assert_eq!(
            n.sentence(),
            "shared-api's main changed on GitHub: updated backend and frontend; skipped mobile (uncommitted changes)."
        );
        let n = Notification::SyncRule {
            trigger: "shared-api:main".into(),
            action: RuleAction::Notify,
            repos: vec!["backend".into()],
            updated: vec![],
            skipped: vec![],
            failed: vec![],
        };
        assert_eq!(
            n.sentence(),
            "shared-api's main changed on GitHub; backend is affected."
        );
    }

    #[test]
    fn issues_marked_urgent_say_so() {
        let n = Notification::Issue {
            repo: "backend".into(),
            number: 7,
            title: "Login fails".into(),
            action: "opened".into(),
            labels: vec!["bug".into(), "Urgent".into()],
        };
        assert_eq!(
            n.sentence(),
            "New issue in backend: Login fails (#7), marked urgent."
        );
    }

    #[test]
    fn notifications_travel_as_events_with_type_and_kind() {
        let kind = EventKind::Notification(ci(CiConclusion::TimedOut, Some(CiConclusion::Success)));
        let json = serde_json::to_value(&kind).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "notification", "kind": "ci", "repo": "backend",
                "branch": "main", "name": "tests", "conclusion": "timed_out",
                "previous": "success", "sha": "0123", "url": null})
        );
        assert_eq!(serde_json::from_value::<EventKind>(json).unwrap(), kind);
        assert_eq!(
            CiConclusion::parse("startup_failure"),
            Some(CiConclusion::StartupFailure)
        );
        assert_eq!(CiConclusion::parse("weird"), None);
    }
}
