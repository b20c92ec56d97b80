//! What changed in a repository: since a revision (for `impact --changed-since`) and file by file
//! (for agent run reports).

use std::collections::BTreeSet;

use relay_core::{RepoError, config::RepoSpec};

use crate::open::{git_error, open};
use crate::status::{changed_paths, count_changes};

/// Whether `spec` has commits not reachable from `rev`, or uncommitted changes.
pub(crate) fn changed_since(spec: &RepoSpec, rev: &str) -> Result<bool, RepoError> {
    let repo = open(spec)?;
    let base = resolve(&repo, spec, rev)?;
    if let Ok(head) = repo.head_id() {
        let mut walk = repo
            .rev_walk([head.detach()])
            .with_hidden([base])
            .all()
            .map_err(|e| git_error(spec, "walk history", e))?;
        if walk
            .next()
            .transpose()
            .map_err(|e| git_error(spec, "walk history", e))?
            .is_some()
        {
            return Ok(true);
        }
    }
    let counts = count_changes(&repo, spec, Some(1))?;
    Ok(counts.has_tracked_changes() || counts.untracked > 0)
}

/// Files changed since commit `since` (committed or not), plus uncommitted and untracked files.
pub(crate) fn changed_files(
    spec: &RepoSpec,
    since: Option<&str>,
) -> Result<Vec<String>, RepoError> {
    let repo = open(spec)?;
    let mut files = BTreeSet::new();
    if let Some(since) = since {
        let base = resolve(&repo, spec, since)?;
        let err = |e: gix::Error| git_error(spec, "diff", e);
        let old_tree = repo.find_commit(base).map_err(err)?.tree().map_err(err)?;
        let new_tree = repo.head_tree().map_err(err)?;
        // Without rename tracking a rename is a deletion plus an addition: both paths changed.
        // Only blobs and links: a tree's own entry is not a file.
        let options = gix::diff::Options::default().with_rewrites(None);
        for change in repo
            .diff_tree_to_tree(&old_tree, &new_tree, Some(options))
            .map_err(err)?
        {
            if !change.entry_mode().is_tree() {
                files.insert(change.location().to_string());
            }
        }
    }
    let paths = changed_paths(
        &repo,
        spec,
        Some(1),
        Some(gix::status::UntrackedFiles::Files),
    )?;
    let uncommitted = paths
        .staged
        .iter()
        .chain(&paths.unstaged)
        .chain(&paths.conflicted)
        .chain(&paths.untracked)
        .chain(&paths.renamed_from);
    files.extend(uncommitted.map(|p| p.to_string()));
    Ok(files.into_iter().collect())
}

fn resolve(repo: &gix::Repository, spec: &RepoSpec, rev: &str) -> Result<gix::ObjectId, RepoError> {
    repo.rev_parse_single(rev)
        .and_then(|id| id.object().and_then(|o| o.peel_to_commit()).map(|c| c.id))
        .map_err(|e| RepoError::BadRevision {
            repo: spec.name.clone(),
            rev: rev.to_owned(),
            message: e.to_string(),
        })
}
