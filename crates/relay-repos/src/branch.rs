//! Creating or switching to a branch in one repository.

use relay_core::{
    RepoError, RepoOutcome,
    config::RepoSpec,
    repo::{BranchAction, RepoBranch},
};

use crate::git_cli::git;
use crate::open::{git_error, open};
use crate::parallel::RepoStep;
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
        let summary = match &self.reason {
            Some(reason) => format!("{what}: {reason}"),
            None => what.to_owned(),
        };
        (outcome, summary)
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

/// Checks that `name` is a valid branch name, before any repository is touched.
pub(crate) fn validate_branch_name(name: &str) -> Result<gix::refs::FullName, RepoError> {
    gix::refs::FullName::try_from(format!("refs/heads/{name}")).map_err(|e| {
        RepoError::InvalidRequest(format!(
            "`{name}` is not a valid branch name: {e}; use something like `feature/login-fix`"
        ))
    })
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
            repo.reference(
                branch.as_ref(),
                head,
                gix::refs::transaction::PreviousValue::MustNotExist,
                "branch: Created from HEAD by relay",
            )
            .map_err(|e| git_error(spec, "create branch", e))?;
            point_head_at(&repo, spec, branch)?;
            Ok((BranchAction::Created, Some(head.to_string())))
        }
        // Same commit as HEAD: switching changes no file, so only HEAD moves.
        Some(id) if Some(id) == head => {
            point_head_at(&repo, spec, branch)?;
            Ok((BranchAction::Switched, Some(id.to_string())))
        }
        // Another commit: a real checkout. git refuses when local changes would be overwritten.
        Some(id) => {
            git(spec, "switch branch", &["switch", "--quiet", short])?;
            Ok((BranchAction::Switched, Some(id.to_string())))
        }
    }
}

fn point_head_at(
    repo: &gix::Repository,
    spec: &RepoSpec,
    branch: &gix::refs::FullName,
) -> Result<(), RepoError> {
    use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
    repo.edit_reference(RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: format!("checkout: moving to {}", branch.shorten()).into(),
            },
            expected: PreviousValue::Any,
            new: gix::refs::Target::Symbolic(branch.clone()),
        },
        name: "HEAD".try_into().expect("HEAD is a valid name"),
        deref: false,
    })
    .map_err(|e| git_error(spec, "switch branch", e))?;
    Ok(())
}
