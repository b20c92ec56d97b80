//! Committing in one repository through the git CLI, so that hooks, signing and identity
//! configuration apply exactly as with `git commit`.

use relay_core::{
    RepoError, RepoOutcome,
    config::RepoSpec,
    repo::{CommitAction, RepoCommit},
};

use crate::git_cli::git;
use crate::open::open;
use crate::parallel::RepoStep;
use crate::status::count_changes;

impl RepoStep for RepoCommit {
    fn outcome(&self) -> (RepoOutcome, String) {
        match self.action {
            CommitAction::Committed => (
                RepoOutcome::Success,
                format!(
                    "committed {}",
                    self.sha.as_deref().map_or("", |s| &s[..s.len().min(12)])
                ),
            ),
            CommitAction::NothingToCommit => (RepoOutcome::Skipped, "nothing to commit".into()),
            CommitAction::Failed => (
                RepoOutcome::Failed,
                format!(
                    "failed: {}",
                    self.reason.as_deref().unwrap_or("unknown error")
                ),
            ),
        }
    }

    fn cancelled(spec: &RepoSpec) -> Self {
        failed(spec, "cancelled before it started".into())
    }

    fn crashed(spec: &RepoSpec, message: String) -> Self {
        failed(spec, format!("internal error: {message}"))
    }
}

fn failed(spec: &RepoSpec, reason: String) -> RepoCommit {
    RepoCommit {
        name: spec.name.clone(),
        action: CommitAction::Failed,
        reason: Some(reason),
        sha: None,
    }
}

pub(crate) fn commit_repo(spec: &RepoSpec, message: &str, all: bool) -> RepoCommit {
    match commit(spec, message, all) {
        Ok(entry) => entry,
        Err(e) => failed(spec, e.to_string()),
    }
}

fn commit(spec: &RepoSpec, message: &str, all: bool) -> Result<RepoCommit, RepoError> {
    let repo = open(spec)?;
    let counts = count_changes(&repo, spec, Some(1))?;
    if counts.conflicted > 0 {
        return Ok(failed(
            spec,
            format!(
                "{} unresolved conflict(s); resolve them and stage the result first",
                counts.conflicted
            ),
        ));
    }
    let pending = counts.staged + if all { counts.unstaged } else { 0 };
    if pending == 0 {
        return Ok(RepoCommit {
            name: spec.name.clone(),
            action: CommitAction::NothingToCommit,
            reason: None,
            sha: None,
        });
    }
    let mut args = vec!["commit", "--quiet", "--message", message];
    if all {
        args.push("--all");
    }
    git(spec, "commit", &args)?;
    let sha = git(spec, "commit", &["rev-parse", "HEAD"])?
        .stdout
        .trim()
        .to_owned();
    Ok(RepoCommit {
        name: spec.name.clone(),
        action: CommitAction::Committed,
        reason: None,
        sha: Some(sha),
    })
}
