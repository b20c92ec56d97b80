//! Sync of one repository: clone when missing, otherwise fetch and fast-forward according to its
//! `sync_strategy`. Local work is never lost: a dirty checked-out branch or a diverged branch is
//! reported as skipped and left exactly as it was (work tree, index, HEAD and local branches).

use std::path::Path;
use std::sync::atomic::AtomicBool;

use relay_core::{
    RepoError, RepoOutcome,
    config::{RepoSpec, SyncStrategy},
    repo::{RepoSync, SyncAction},
};

use crate::git_cli::git;
use crate::open::{git_error, open};
use crate::parallel::{RepoStep, summary};
use crate::status::{ahead_behind, count_changes, head_branch, upstream_of};

impl RepoStep for RepoSync {
    fn outcome(&self) -> (RepoOutcome, String) {
        let outcome = match self.action {
            SyncAction::Failed => RepoOutcome::Failed,
            SyncAction::Skipped => RepoOutcome::Skipped,
            _ => RepoOutcome::Success,
        };
        let what = match self.action {
            SyncAction::Cloned => "cloned",
            SyncAction::Fetched => "fetched",
            SyncAction::FastForwarded => "fast-forwarded",
            SyncAction::UpToDate => "up to date",
            SyncAction::Skipped => "skipped",
            SyncAction::Failed => "failed",
        };
        (outcome, summary(what, self.reason.as_deref()))
    }

    fn cancelled(spec: &RepoSpec) -> Self {
        entry(
            spec,
            SyncAction::Skipped,
            Some("cancelled before it started".into()),
        )
    }

    fn crashed(spec: &RepoSpec, message: String) -> Self {
        entry(
            spec,
            SyncAction::Failed,
            Some(format!("internal error: {message}")),
        )
    }
}

fn entry(spec: &RepoSpec, action: SyncAction, reason: Option<String>) -> RepoSync {
    RepoSync {
        name: spec.name.clone(),
        action,
        reason,
        branch: None,
        before: None,
        after: None,
    }
}

/// An entry about `branch` of `spec`, which sync looked at and left at `before`.
fn unchanged(
    spec: &RepoSpec,
    action: SyncAction,
    reason: Option<String>,
    branch: &str,
    before: gix::ObjectId,
) -> RepoSync {
    let sha = Some(before.to_string());
    RepoSync {
        name: spec.name.clone(),
        action,
        reason,
        branch: Some(branch.to_owned()),
        before: sha.clone(),
        after: sha,
    }
}

/// Syncs one repository; never returns an error, the entry says what happened.
pub(crate) fn sync_repo(spec: &RepoSpec, root: &Path, interrupt: &AtomicBool) -> RepoSync {
    let result = if spec.path.exists() {
        update(spec, interrupt)
    } else {
        clone(spec, root, interrupt)
    };
    result.unwrap_or_else(|e| entry(spec, SyncAction::Failed, Some(e.to_string())))
}

/// Resolves a configured URL: relative local paths are relative to the workspace root.
pub(crate) fn resolve_url(url: &str, root: &Path) -> String {
    let looks_remote = url.contains("://")
        || (url.contains(':') && !url.starts_with('/') && !url.starts_with('.'));
    if looks_remote || Path::new(url).is_absolute() {
        url.to_owned()
    } else {
        root.join(url).to_string_lossy().into_owned()
    }
}

fn clone(spec: &RepoSpec, root: &Path, interrupt: &AtomicBool) -> Result<RepoSync, RepoError> {
    let Some(url) = &spec.url else {
        return Ok(entry(
            spec,
            SyncAction::Failed,
            Some(format!(
                "not present at {} and no `url:` to clone from; add a url in relay.yaml or create the repository there",
                spec.path.display()
            )),
        ));
    };
    let url = resolve_url(url, root);
    let (branch, head) = clone_to(spec, &url, &spec.path, interrupt)?;
    Ok(RepoSync {
        name: spec.name.clone(),
        action: SyncAction::Cloned,
        reason: None,
        branch,
        before: None,
        after: head,
    })
}

/// Clones `url` into `dest` with a checked-out work tree; returns the checked-out branch and the
/// new HEAD. On failure nothing is left behind: neither `dest` nor the parent directories this call
/// created.
pub(crate) fn clone_to(
    spec: &RepoSpec,
    url: &str,
    dest: &Path,
    interrupt: &AtomicBool,
) -> Result<(Option<String>, Option<String>), RepoError> {
    if dest.exists() {
        // Never clone over (or clean up) something that was there before.
        return Err(RepoError::Git {
            repo: spec.name.clone(),
            operation: "clone".into(),
            message: format!(
                "{} already exists; move it away or clone somewhere else",
                dest.display()
            ),
        });
    }
    let created_from = dest
        .ancestors()
        .skip(1)
        .take_while(|p| !p.exists())
        .last()
        .map(Path::to_path_buf);
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|source| RepoError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let result = clone_checkout(spec, url, dest, interrupt);
    if result.is_err() {
        // gix removes the half-made clone itself when dropped unpersisted; remove the directory
        // too in case it was left, and the parents made above while they are empty (another
        // clone may be filling a shared parent at the same time: `remove_dir` never deletes a
        // non-empty directory).
        if dest.exists() {
            let _ = std::fs::remove_dir_all(dest);
        }
        if let Some(top) = created_from {
            for dir in dest.ancestors().skip(1) {
                if std::fs::remove_dir(dir).is_err() || dir == top {
                    break;
                }
            }
        }
    }
    result
}

fn clone_checkout(
    spec: &RepoSpec,
    url: &str,
    dest: &Path,
    interrupt: &AtomicBool,
) -> Result<(Option<String>, Option<String>), RepoError> {
    let err = |e: gix::Error| git_error(spec, "clone", e);
    let mut prepare = gix::prepare_clone(url, dest).map_err(err)?;
    let (mut checkout, _) = prepare
        .fetch_then_checkout(gix::progress::Discard, interrupt)
        .map_err(err)?;
    let (repo, _) = checkout
        .main_worktree(gix::progress::Discard, interrupt)
        .map_err(err)?;
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|n| n.shorten().to_string());
    Ok((branch, repo.head_id().ok().map(|id| id.to_string())))
}

fn update(spec: &RepoSpec, interrupt: &AtomicBool) -> Result<RepoSync, RepoError> {
    let repo = open(spec)?;
    let counts = count_changes(&repo, spec, Some(1))?;
    let Some(remote) = repo.find_default_remote(gix::remote::Direction::Fetch) else {
        return Ok(entry(
            spec,
            SyncAction::Skipped,
            Some("no remote to fetch from (local-only repository)".into()),
        ));
    };
    let remote = remote.map_err(|e| git_error(spec, "fetch", e))?;
    let fetch_err = |e: gix::Error| git_error(spec, "fetch", e);
    remote
        .connect(gix::remote::Direction::Fetch)
        .map_err(fetch_err)?
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(fetch_err)?
        .receive(gix::progress::Discard, interrupt)
        .map_err(fetch_err)?;
    // Re-open to see the refs the fetch wrote.
    let repo = open(spec)?;
    let checked_out = head_branch(&repo, spec)?;

    let target = match spec.sync_strategy {
        SyncStrategy::FeatureBranch => match &checked_out {
            Some(branch) => branch.clone(),
            None => {
                return Ok(fetched(
                    spec,
                    "HEAD is detached; check out a branch to fast-forward it",
                ));
            }
        },
        SyncStrategy::MainBranch => match default_branch(&repo) {
            Some(branch) => branch,
            None => {
                return Ok(fetched(
                    spec,
                    "cannot tell the default branch (no origin/HEAD, main or master)",
                ));
            }
        },
    };
    let short = target.shorten().to_string();
    let Some(upstream) = upstream_of(&repo, target.as_ref()) else {
        return Ok(fetched(
            spec,
            &format!("branch {short} has no upstream; set one with `git branch -u`"),
        ));
    };
    let Some(remote_id) = upstream.id else {
        return Ok(fetched(
            spec,
            &format!("upstream {} does not exist on the remote", upstream.name),
        ));
    };
    let local_id = match repo
        .try_find_reference(target.as_ref())
        .map_err(|e| git_error(spec, "read branch", e))?
    {
        Some(mut r) => r
            .peel_to_id()
            .map_err(|e| git_error(spec, "read branch", e))?
            .detach(),
        None => return Ok(fetched(spec, &format!("no local branch {short}"))),
    };
    let (ahead, behind) = ahead_behind(&repo, spec, local_id, remote_id)?;
    if behind == 0 {
        let reason = (ahead > 0).then(|| {
            format!(
                "{short} is {ahead} commit(s) ahead of {}; push to publish them",
                upstream.name
            )
        });
        return Ok(unchanged(
            spec,
            SyncAction::UpToDate,
            reason,
            &short,
            local_id,
        ));
    }
    if ahead > 0 {
        let reason = format!(
            "{short} has diverged from {}: {ahead} local and {behind} remote commit(s); merge or rebase by hand",
            upstream.name
        );
        return Ok(unchanged(
            spec,
            SyncAction::Skipped,
            Some(reason),
            &short,
            local_id,
        ));
    }
    let is_checked_out = checked_out.as_ref() == Some(&target);
    if is_checked_out {
        if counts.has_tracked_changes() {
            let reason = format!(
                "uncommitted changes ({} staged, {} unstaged, {} conflicted) on {short}, {behind} commit(s) behind {}; commit or stash them, then sync again",
                counts.staged, counts.unstaged, counts.conflicted, upstream.name
            );
            return Ok(unchanged(
                spec,
                SyncAction::Skipped,
                Some(reason),
                &short,
                local_id,
            ));
        }
        // gix cannot update a populated work tree incrementally: let git do the fast-forward. It
        // refuses (and changes nothing) if an untracked file would be overwritten.
        let remote_hex = remote_id.to_string();
        git(
            spec,
            "fast-forward",
            &["merge", "--ff-only", "--quiet", &remote_hex],
        )?;
    } else {
        // Not checked out: moving the ref touches no file. The expected old value makes this a
        // compare-and-swap, so a concurrent change is never overwritten.
        repo.reference(
            target.as_ref(),
            remote_id,
            gix::refs::transaction::PreviousValue::MustExistAndMatch(gix::refs::Target::Object(
                local_id,
            )),
            format!(
                "relay sync: fast-forward to {}",
                upstream.full_name.shorten()
            ),
        )
        .map_err(|e| git_error(spec, "fast-forward", e))?;
    }
    Ok(RepoSync {
        name: spec.name.clone(),
        action: SyncAction::FastForwarded,
        reason: Some(format!(
            "{short}: {behind} new commit(s) from {}",
            upstream.name
        )),
        branch: Some(short),
        before: Some(local_id.to_string()),
        after: Some(remote_id.to_string()),
    })
}

fn fetched(spec: &RepoSpec, reason: &str) -> RepoSync {
    entry(spec, SyncAction::Fetched, Some(reason.to_owned()))
}

/// The local branch matching the remote's default branch (`origin/HEAD`), else `main` or `master`.
fn default_branch(repo: &gix::Repository) -> Option<gix::refs::FullName> {
    let remote_name = repo
        .remote_default_name(gix::remote::Direction::Fetch)
        .map(|n| n.to_string())
        .unwrap_or_else(|| "origin".to_owned());
    let remote_head = format!("refs/remotes/{remote_name}/HEAD");
    if let Ok(Some(reference)) = repo.try_find_reference(remote_head.as_str())
        && let gix::refs::TargetRef::Symbolic(target) = reference.target()
    {
        let prefix = format!("refs/remotes/{remote_name}/");
        if let Some(branch) = target.as_bstr().to_string().strip_prefix(&prefix) {
            return format!("refs/heads/{branch}").try_into().ok();
        }
    }
    ["main", "master"].into_iter().find_map(|b| {
        let name = format!("refs/heads/{b}");
        repo.try_find_reference(name.as_str())
            .ok()
            .flatten()
            .map(|r| r.name().to_owned())
    })
}
