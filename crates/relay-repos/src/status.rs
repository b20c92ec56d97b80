//! Repository status with gix, counted exactly like `git status --porcelain=v2 --branch`.
//!
//! Porcelain v2 prints one line per path: staged counts paths whose index differs from HEAD,
//! unstaged paths whose work tree differs from the index (a path can be both), conflicted the
//! unmerged paths (which count as nothing else), untracked the `?` lines (an untracked directory
//! holding no tracked file counts once, as git collapses it).

use std::collections::HashSet;

use gix::bstr::BString;
use gix::status::plumbing::index_as_worktree::EntryStatus;
use relay_core::{
    RepoError,
    config::RepoSpec,
    repo::{CommitInfo, RepoStatus},
};

use crate::index_refresh::{Skipped, StatUpdate, write_stat_updates};
use crate::open::{git_error, open};

/// Reads the status of one repository. `threads` limits gix's own parallelism (1 when many
/// repositories are read at once, so the pool is not oversubscribed); it only matters when gix's
/// `parallel` feature is enabled, which relay-repos leaves off (see Cargo.toml).
pub(crate) fn repo_status(spec: &RepoSpec, threads: Option<usize>) -> RepoStatus {
    match open(spec).and_then(|repo| read(&repo, spec, threads)) {
        Ok(status) => status,
        Err(e) => RepoStatus {
            error: Some(e.to_string()),
            ..empty(spec)
        },
    }
}

fn empty(spec: &RepoSpec) -> RepoStatus {
    RepoStatus {
        name: spec.name.clone(),
        path: spec.path.clone(),
        branch: None,
        head: None,
        upstream: None,
        ahead: None,
        behind: None,
        staged: 0,
        unstaged: 0,
        untracked: 0,
        conflicted: 0,
        last_commit: None,
        error: None,
    }
}

/// Status of an open repository.
pub(crate) fn read(
    repo: &gix::Repository,
    spec: &RepoSpec,
    threads: Option<usize>,
) -> Result<RepoStatus, RepoError> {
    let mut status = empty(spec);
    let branch = head_branch(repo, spec)?;
    status.branch = branch.as_ref().map(|b| b.shorten().to_string());
    let head = repo.head_id().ok().map(|id| id.detach());
    status.head = head.map(|id| id.to_string());
    if let Some(branch) = &branch
        && let Some(upstream) = upstream_of(repo, branch.as_ref())
    {
        status.upstream = Some(upstream.name);
        if let (Some(local), Some(remote)) = (head, upstream.id) {
            let (ahead, behind) = ahead_behind(repo, spec, local, remote)?;
            status.ahead = Some(ahead);
            status.behind = Some(behind);
        }
    }
    if let Some(id) = head {
        status.last_commit = Some(commit_info(repo, spec, id)?);
    }
    let counts = count_changes(repo, spec, threads)?;
    status.staged = counts.staged;
    status.unstaged = counts.unstaged;
    status.untracked = counts.untracked;
    status.conflicted = counts.conflicted;
    Ok(status)
}

/// The checked-out branch, `None` when HEAD is detached. An unborn branch counts as checked out.
pub(crate) fn head_branch(
    repo: &gix::Repository,
    spec: &RepoSpec,
) -> Result<Option<gix::refs::FullName>, RepoError> {
    repo.head_name()
        .map_err(|e| git_error(spec, "read HEAD", e))
}

/// A branch's upstream: its short name (`origin/main`) and, when the tracking ref exists, its id.
pub(crate) struct Upstream {
    pub name: String,
    pub full_name: gix::refs::FullName,
    pub id: Option<gix::ObjectId>,
}

/// The upstream configured for `branch` (`branch.<name>.remote` and `.merge`), as git reports it.
pub(crate) fn upstream_of(
    repo: &gix::Repository,
    branch: &gix::refs::FullNameRef,
) -> Option<Upstream> {
    let full_name = repo
        .branch_remote_tracking_ref_name(branch, gix::remote::Direction::Fetch)?
        .ok()?;
    let id = repo
        .try_find_reference(full_name.as_ref())
        .ok()
        .flatten()
        .and_then(|mut r| r.peel_to_id().ok())
        .map(|id| id.detach());
    Some(Upstream {
        name: full_name.shorten().to_string(),
        full_name,
        id,
    })
}

/// Commits reachable from `local` but not `remote`, and the reverse.
pub(crate) fn ahead_behind(
    repo: &gix::Repository,
    spec: &RepoSpec,
    local: gix::ObjectId,
    remote: gix::ObjectId,
) -> Result<(u32, u32), RepoError> {
    if local == remote {
        return Ok((0, 0));
    }
    let count = |tip: gix::ObjectId, hidden: gix::ObjectId| -> Result<u32, RepoError> {
        let walk = repo
            .rev_walk([tip])
            .with_hidden([hidden])
            .all()
            .map_err(|e| git_error(spec, "count commits", e))?;
        let mut n = 0u32;
        for info in walk {
            info.map_err(|e| git_error(spec, "count commits", e))?;
            n += 1;
        }
        Ok(n)
    };
    Ok((count(local, remote)?, count(remote, local)?))
}

/// The commit `id` as shown in briefings.
pub(crate) fn commit_info(
    repo: &gix::Repository,
    spec: &RepoSpec,
    id: gix::ObjectId,
) -> Result<CommitInfo, RepoError> {
    let commit = repo
        .find_commit(id)
        .map_err(|e| git_error(spec, "read commit", e))?;
    let author = commit
        .author()
        .map_err(|e| git_error(spec, "read commit", e))?;
    let time = author
        .time()
        .map_err(|e| git_error(spec, "read commit", e))?;
    let summary = commit
        .message()
        .map(|m| m.summary().to_string())
        .map_err(|e| git_error(spec, "read commit", e))?;
    Ok(CommitInfo {
        sha: id.to_string(),
        summary,
        author: author.name.to_string(),
        time: git_iso_time(time),
    })
}

/// Formats like `git log --format=%aI`: strict ISO 8601, `Z` for UTC.
fn git_iso_time(time: gix::date::Time) -> String {
    let text = time.format_or_unix(gix::date::time::format::ISO8601_STRICT);
    match text.strip_suffix("+00:00") {
        Some(utc) if time.offset == 0 => format!("{utc}Z"),
        _ => text,
    }
}

/// Per-category path counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChangeCounts {
    pub staged: u32,
    pub unstaged: u32,
    pub untracked: u32,
    pub conflicted: u32,
}

impl ChangeCounts {
    /// Whether any tracked content differs from HEAD (untracked files do not count: they cannot be
    /// lost by moving a branch that git itself would refuse to overwrite them with).
    pub fn has_tracked_changes(&self) -> bool {
        self.staged + self.unstaged + self.conflicted > 0
    }
}

/// The changed paths of a repository by category, repository-relative.
#[derive(Debug, Default)]
pub(crate) struct ChangedPaths {
    pub staged: HashSet<BString>,
    pub unstaged: HashSet<BString>,
    pub untracked: Vec<BString>,
    pub conflicted: HashSet<BString>,
    /// Where staged renames came from: not counted (git shows a rename as one path), but a
    /// changed path all the same.
    pub renamed_from: Vec<BString>,
}

pub(crate) fn count_changes(
    repo: &gix::Repository,
    spec: &RepoSpec,
    threads: Option<usize>,
) -> Result<ChangeCounts, RepoError> {
    let paths = changed_paths(repo, spec, threads, None)?;
    Ok(ChangeCounts {
        staged: paths.staged.len() as u32,
        unstaged: paths.unstaged.len() as u32,
        untracked: paths.untracked.len() as u32,
        conflicted: paths.conflicted.len() as u32,
    })
}

/// Collects changed paths. `untracked` overrides the configured untracked mode (collapsed like
/// git's default, or every file).
///
/// The two halves of `git status` are run one after the other in this thread (gix's own status
/// iterator spawns producer threads per call, costly when many repositories are read at once):
/// the index against HEAD's tree (skipped when the index's cache tree says they are equal, as git
/// does), then the work tree against the index with the untracked walk.
pub(crate) fn changed_paths(
    repo: &gix::Repository,
    spec: &RepoSpec,
    threads: Option<usize>,
    untracked: Option<gix::status::UntrackedFiles>,
) -> Result<ChangedPaths, RepoError> {
    use gix::status::plumbing::index_as_worktree::traits::FastEq;
    use gix::status::plumbing::index_as_worktree_with_renames::{Entry, Recorder};

    let err = |e: gix::Error| git_error(spec, "status", e);
    let started = std::time::SystemTime::now();
    let index = repo.index_or_empty().map_err(err)?;
    let mut paths = ChangedPaths::default();
    let mut stat_updates = Vec::new();
    staged_changes(repo, spec, &index, &mut paths)?;

    let mode = untracked.unwrap_or_else(|| configured_untracked_files(repo));
    let dirwalk = match mode {
        gix::status::UntrackedFiles::None => None,
        gix::status::UntrackedFiles::Collapsed => Some(
            repo.dirwalk_options()
                .map_err(err)?
                .emit_untracked(gix::dir::walk::EmissionMode::CollapseDirectory),
        ),
        gix::status::UntrackedFiles::Files => Some(
            repo.dirwalk_options()
                .map_err(err)?
                .emit_untracked(gix::dir::walk::EmissionMode::Matching),
        ),
    };
    let options = gix::status::index_worktree::Options {
        sorting: None,
        dirwalk_options: dirwalk,
        rewrites: None,
        thread_limit: threads,
    };
    let submodules = SubmodulesIfAny::new(repo, &index).map_err(err)?;
    let mut recorder = Recorder::default();
    repo.index_worktree_status(
        &index,
        Vec::<BString>::new(),
        &mut recorder,
        FastEq,
        submodules,
        &mut gix::progress::Discard,
        &std::sync::atomic::AtomicBool::new(false),
        options,
    )
    .map_err(err)?;
    for record in recorder.records {
        match record {
            Entry::Modification {
                rela_path,
                status,
                entry,
                entry_index,
                ..
            } => match status {
                EntryStatus::Conflict { .. } => {
                    paths.conflicted.insert(rela_path.to_owned());
                }
                EntryStatus::Change(_) | EntryStatus::IntentToAdd => {
                    paths.unstaged.insert(rela_path.to_owned());
                }
                // A racily clean entry comes back with its own stat: git does not rewrite the
                // index for those, and neither does Relay.
                EntryStatus::NeedsUpdate(stat) if stat != entry.stat => {
                    stat_updates.push(StatUpdate { entry_index, stat });
                }
                EntryStatus::NeedsUpdate(_) => {}
            },
            Entry::DirectoryContents { entry, .. } => {
                if entry.status == gix::dir::entry::Status::Untracked {
                    paths.untracked.push(entry.rela_path);
                }
            }
            // Work-tree rename tracking is off (as in git status); handle it anyway as a
            // deletion plus an untracked file, which is what git would show.
            Entry::Rewrite {
                source,
                dirwalk_entry,
                ..
            } => {
                paths.unstaged.insert(source.rela_path().to_owned());
                paths.untracked.push(dirwalk_entry.rela_path);
            }
        }
    }
    // Like git, record the stat data of files that were hashed and found unchanged, so the next
    // status compares stats only (best effort: a skipped refresh costs time, never correctness).
    if let Err(reason) = write_stat_updates(repo, index.checksum(), &stat_updates, started)
        && reason != Skipped::NothingToUpdate
    {
        tracing::debug!(repo = %spec.name, ?reason, "index stat data not refreshed");
    }
    // Unmerged paths are shown only as conflicts.
    for path in &paths.conflicted {
        paths.staged.remove(path);
        paths.unstaged.remove(path);
    }
    Ok(paths)
}

/// gix's submodule status, built only when the index has a submodule (gitlink) entry: building it
/// converts the repository to a thread-safe one and reads `.gitmodules` and the index again (~5%
/// of a status), and gix asks it only about gitlink entries, so without any it is never called.
#[derive(Clone)]
struct SubmodulesIfAny(Option<gix::status::index_worktree::BuiltinSubmoduleStatus>);

impl SubmodulesIfAny {
    fn new(repo: &gix::Repository, index: &gix::index::State) -> Result<Self, gix::Error> {
        if !index.entries().iter().any(|e| e.mode.is_submodule()) {
            return Ok(Self(None));
        }
        gix::status::index_worktree::BuiltinSubmoduleStatus::new(
            repo.clone().into_sync(),
            gix::status::Submodule::default(),
        )
        .map(|builtin| Self(Some(builtin)))
    }
}

impl gix::status::plumbing::index_as_worktree::traits::SubmoduleStatus for SubmodulesIfAny {
    type Output = gix::submodule::Status;

    fn status(
        &mut self,
        entry: &gix::index::Entry,
        rela_path: &gix::bstr::BStr,
    ) -> gix::error::Result<Option<Self::Output>> {
        match &mut self.0 {
            Some(builtin) => builtin.status(entry, rela_path),
            // Only reachable for a gitlink entry, and `new` saw none.
            None => Ok(None),
        }
    }
}

/// Paths whose index entry differs from HEAD's tree (`git diff --cached`), renames tracked as
/// configured (one path, like git's `R` line).
fn staged_changes(
    repo: &gix::Repository,
    spec: &RepoSpec,
    index: &gix::index::State,
    paths: &mut ChangedPaths,
) -> Result<(), RepoError> {
    let err = |e: gix::Error| git_error(spec, "status", e);
    let head_tree = repo.head_tree_id_or_empty().map_err(err)?.detach();
    // A valid root cache tree is the tree the index would write: equal to HEAD's, nothing is
    // staged and no tree needs to be read.
    if index
        .tree()
        .is_some_and(|tree| tree.num_entries.is_some() && tree.id == head_tree)
    {
        return Ok(());
    }
    repo.tree_index_status(
        &head_tree,
        index,
        None,
        gix::status::tree_index::TrackRenames::AsConfigured,
        |change, _, _| {
            if let gix::diff::index::ChangeRef::Rewrite {
                source_location, ..
            } = &change
            {
                paths
                    .renamed_from
                    .push(source_location.clone().into_owned());
            }
            paths.staged.insert(change.location().to_owned());
            Ok(std::ops::ControlFlow::Continue(()))
        },
    )
    .map_err(err)?;
    Ok(())
}

/// `status.showUntrackedFiles` as git reads it: `no`/`false`, `all`, else `normal`.
fn configured_untracked_files(repo: &gix::Repository) -> gix::status::UntrackedFiles {
    let config = repo.config_snapshot();
    match config
        .string("status.showUntrackedFiles")
        .map(|v| v.to_string().to_ascii_lowercase())
        .as_deref()
    {
        Some("no" | "false" | "off" | "0") => gix::status::UntrackedFiles::None,
        Some("all") => gix::status::UntrackedFiles::Files,
        _ => gix::status::UntrackedFiles::Collapsed,
    }
}
