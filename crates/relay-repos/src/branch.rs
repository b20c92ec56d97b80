//! Creating or switching to a branch in one repository.

use relay_core::{
    RepoError, RepoOutcome,
    config::RepoSpec,
    repo::{BranchAction, RepoBranch},
};

use crate::git_cli::git;
use crate::open::{git_error, open};
use crate::parallel::{RepoStep, summary};
use crate::status::head_branch;

impl RepoStep for RepoBranch {
    fn outcome(&self) -> (RepoOutcome, String) {
        let (outcome, what) = match self.action {
            BranchAction::Created => (RepoOutcome::Success, "created"),
            BranchAction::Switched => (RepoOutcome::Success, "switched"),
            BranchAction::AlreadyOn => (RepoOutcome::Success, "already on it"),
            BranchAction::Skipped => (RepoOutcome::Skipped, "skipped"),
            BranchAction::Failed => (RepoOutcome::Failed, "failed"),
        };
        (outcome, summary(what, self.reason.as_deref()))
    }

    fn cancelled(spec: &RepoSpec) -> Self {
        RepoBranch {
            name: spec.name.clone(),
            action: BranchAction::Skipped,
            reason: Some("cancelled before it started".into()),
            head: None,
        }
    }

    fn crashed(spec: &RepoSpec, message: String) -> Self {
        RepoBranch {
            name: spec.name.clone(),
            action: BranchAction::Failed,
            reason: Some(format!("internal error: {message}")),
            head: None,
        }
    }
}

/// Checks that `name` is a valid branch name (the rules of `git check-ref-format --branch`),
/// before any repository is touched.
pub(crate) fn validate_branch_name(name: &str) -> Result<gix::refs::FullName, RepoError> {
    let invalid = |why: String| {
        RepoError::InvalidRequest(format!(
            "`{name}` is not a valid branch name: {why}; use something like `feature/login-fix`"
        ))
    };
    // git refuses these although they are valid reference names: a leading dash would read as an
    // option, and `HEAD` as a branch would shadow HEAD itself.
    if name.starts_with('-') {
        return Err(invalid("it starts with `-`".into()));
    }
    if name == "HEAD" {
        return Err(invalid("`HEAD` is reserved".into()));
    }
    gix::refs::FullName::try_from(format!("refs/heads/{name}")).map_err(|e| invalid(e.to_string()))
}

pub(crate) fn branch_repo(spec: &RepoSpec, branch: &gix::refs::FullName) -> RepoBranch {
    let short = branch.shorten().to_string();
    match switch(spec, branch, &short) {
        Ok((action, head)) => RepoBranch {
            name: spec.name.clone(),
            action,
            reason: None,
            head,
        },
        Err(e) => RepoBranch {
            name: spec.name.clone(),
            action: BranchAction::Failed,
            reason: Some(e.to_string()),
            head: None,
        },
    }
}

/// Reads the state with gix, then lets `git switch` move HEAD: it writes the HEAD reflog entry
/// (`checkout: moving from A to B`) that `git switch -` relies on, runs the post-checkout hook,
/// and refuses (changing nothing) when local changes would be overwritten.
fn switch(
    spec: &RepoSpec,
    branch: &gix::refs::FullName,
    short: &str,
) -> Result<(BranchAction, Option<String>), RepoError> {
    let repo = open(spec)?;
    let head = repo.head_id().ok().map(|id| id.detach());
    if head_branch(&repo, spec)?.as_ref() == Some(branch) {
        return Ok((BranchAction::AlreadyOn, head.map(|h| h.to_string())));
    }
    let existing = repo
        .try_find_reference(branch.as_ref())
        .map_err(|e| git_error(spec, "read branch", e))?
        .map(|mut r| r.peel_to_id().map(|id| id.detach()))
        .transpose()
        .map_err(|e| git_error(spec, "read branch", e))?;
    match existing {
        None => {
            let Some(head) = head else {
                return Err(RepoError::Git {
                    repo: spec.name.clone(),
                    operation: "create branch".into(),
                    message: "the repository has no commits yet; commit first".into(),
                });
            };
            // Created at HEAD: no file changes, local changes carry over.
            git(
                spec,
                "create branch",
                &["switch", "--quiet", "--create", short],
            )?;
            Ok((BranchAction::Created, Some(head.to_string())))
        }
        Some(id) => {
            git(
                spec,
                "switch branch",
                &["switch", "--quiet", "--no-guess", short],
            )?;
            Ok((BranchAction::Switched, Some(id.to_string())))
        }
    }
}
