//! Pushing the checked-out branch of one repository through the git CLI (gix cannot push).

use relay_core::{
    RepoError, RepoOutcome,
    config::RepoSpec,
    repo::{PushAction, RepoPush},
};

use crate::git_cli::git;
use crate::open::open;
use crate::parallel::{RepoStep, summary};
use crate::status::{head_branch, upstream_of};

impl RepoStep for RepoPush {
    fn outcome(&self) -> (RepoOutcome, String) {
        let (outcome, what) = match self.action {
            PushAction::Pushed => (RepoOutcome::Success, "pushed"),
            PushAction::UpToDate => (RepoOutcome::Success, "up to date"),
            PushAction::Skipped => (RepoOutcome::Skipped, "skipped"),
            PushAction::Failed => (RepoOutcome::Failed, "failed"),
        };
        (outcome, summary(what, self.reason.as_deref()))
    }

    fn cancelled(spec: &RepoSpec) -> Self {
        entry(
            spec,
            PushAction::Skipped,
            Some("cancelled before it started".into()),
        )
    }

    fn crashed(spec: &RepoSpec, message: String) -> Self {
        entry(
            spec,
            PushAction::Failed,
            Some(format!("internal error: {message}")),
        )
    }
}

fn entry(spec: &RepoSpec, action: PushAction, reason: Option<String>) -> RepoPush {
    RepoPush {
        name: spec.name.clone(),
        action,
        reason,
    }
}

pub(crate) fn push_repo(spec: &RepoSpec, set_upstream: bool) -> RepoPush {
    push(spec, set_upstream)
        .unwrap_or_else(|e| entry(spec, PushAction::Failed, Some(e.to_string())))
}

fn push(spec: &RepoSpec, set_upstream: bool) -> Result<RepoPush, RepoError> {
    let repo = open(spec)?;
    let Some(branch) = head_branch(&repo, spec)? else {
        return Ok(entry(
            spec,
            PushAction::Skipped,
            Some("HEAD is detached; check out a branch to push".into()),
        ));
    };
    if repo
        .find_default_remote(gix::remote::Direction::Push)
        .is_none()
    {
        return Ok(entry(
            spec,
            PushAction::Skipped,
            Some("no remote to push to (local-only repository)".into()),
        ));
    }
    let short = branch.shorten().to_string();
    let refspec = format!("refs/heads/{short}:refs/heads/{short}");
    let has_upstream = upstream_of(&repo, branch.as_ref()).is_some();
    let mut args = vec!["push", "--porcelain"];
    if set_upstream && !has_upstream {
        args.push("--set-upstream");
    }
    args.extend(["origin", refspec.as_str()]);
    let out = git(spec, "push", &args)?;
    // Porcelain: one line per ref, flag first; `=` means the remote already had it.
    let up_to_date = out
        .stdout
        .lines()
        .any(|l| l.starts_with('=') && l.contains(&refspec));
    Ok(if up_to_date {
        entry(spec, PushAction::UpToDate, None)
    } else {
        entry(
            spec,
            PushAction::Pushed,
            Some(format!("{short} -> origin/{short}")),
        )
    })
}
