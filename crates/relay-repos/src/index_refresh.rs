//! Writing refreshed stat data back to the index, the way `git status` does.
//!
//! When a file's stat data (mtime, ctime, inode, size) no longer matches its index entry but its
//! content does (after a copy, an rsync, a restore, a tool that touched mtimes), status has to hash
//! the file to know it is unchanged. git then records the new stat data in the index, so the next
//! run compares stats only; without that, Relay would hash every such file on every call.
//!
//! The write follows git's discipline for this opportunistic update (`repo_update_index_if_able`):
//! - it is an *optional* lock: skipped entirely when `GIT_OPTIONAL_LOCKS` is false;
//! - `index.lock` is taken without waiting: when someone else holds it, nothing is written;
//! - while holding the lock, the index on disk must still be the one that was read (same trailing
//!   checksum), else another process changed it and nothing is written;
//! - only stat data changes: entry ids, flags and the tree cache stay as they were.
//!
//! What it will not rewrite (the refresh is skipped, status stays correct, just slower): an index
//! with extensions gix cannot write back (split index `link`, resolve-undo `REUC`, untracked
//! cache `UNTR`, fsmonitor `FSMN`: dropping them would lose information), a version 4 index (gix
//! writes only versions 2 and 3), and an index written with `index.skipHash` (no checksum to check
//! against).

use std::io::{Read, Seek, SeekFrom};
use std::time::SystemTime;

use gix::index::entry::Stat;

/// One entry whose stat data should be replaced: its position in the index and its current stat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatUpdate {
    pub entry_index: usize,
    pub stat: Stat,
}

/// Why a refresh wrote nothing (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skipped {
    NothingToUpdate,
    OptionalLocksOff,
    Unsupported,
    Locked,
    ChangedMeanwhile,
}

/// Writes `updates` into the index of `repo`, if that can be done safely. `read_checksum` is the
/// checksum of the index the updates were computed against; `started` is when the status run that
/// found them began (entries modified since then are left alone, see [`settled`]).
pub(crate) fn write_stat_updates(
    repo: &gix::Repository,
    read_checksum: Option<gix::ObjectId>,
    updates: &[StatUpdate],
    started: SystemTime,
) -> Result<(), Skipped> {
    let updates: Vec<StatUpdate> = updates
        .iter()
        .copied()
        .filter(|u| settled(&u.stat, started))
        .collect();
    if updates.is_empty() {
        return Err(Skipped::NothingToUpdate);
    }
    if !optional_locks_enabled() {
        return Err(Skipped::OptionalLocksOff);
    }
    let Some(read_checksum) = read_checksum else {
        return Err(Skipped::Unsupported);
    };
    let mut index = repo.open_index().map_err(|_| Skipped::ChangedMeanwhile)?;
    if index.checksum() != Some(read_checksum) {
        return Err(Skipped::ChangedMeanwhile);
    }
    if !writable_without_loss(&index) {
        return Err(Skipped::Unsupported);
    }
    let entries = index.entries_mut();
    for update in &updates {
        match entries.get_mut(update.entry_index) {
            Some(entry) => entry.stat = update.stat,
            None => return Err(Skipped::ChangedMeanwhile),
        }
    }

    let path = repo.index_path();
    let lock = gix::lock::File::acquire_to_update_resource(
        &path,
        gix::lock::acquire::Fail::Immediately,
        None,
        0,
    )
    .map_err(|_| Skipped::Locked)?;
    // Under the lock: the file must still be the index we read (git's `verify_index`).
    if on_disk_checksum(&path, read_checksum.kind()) != Some(read_checksum) {
        return Err(Skipped::ChangedMeanwhile);
    }
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, lock);
    index
        .write_to(&mut out, gix::index::write::Options::default())
        .map_err(|e| {
            tracing::debug!(path = %path.display(), error = %e, "index refresh: write failed");
            Skipped::Unsupported
        })?;
    let lock = out.into_inner().map_err(|_| Skipped::Unsupported)?;
    lock.commit().map_err(|_| Skipped::Locked)?;
    tracing::debug!(path = %path.display(), entries = updates.len(), "index refresh: stat data written");
    Ok(())
}

/// Whether `stat` is old enough to record. An entry whose mtime is in the second the status run
/// started (or later) could still change within the file system's timestamp granularity without
/// its stat changing; it is hashed again next time rather than recorded as clean (git solves the
/// same "racy git" problem by smudging such entries).
fn settled(stat: &Stat, started: SystemTime) -> bool {
    let started_secs = started
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    u64::from(stat.mtime.secs) < started_secs
}

/// `GIT_OPTIONAL_LOCKS`, read as git reads a boolean variable (default true).
fn optional_locks_enabled() -> bool {
    std::env::var("GIT_OPTIONAL_LOCKS").map_or(true, |value| !is_git_false(&value))
}

/// git's spellings of false for a boolean (`git_parse_maybe_bool`).
fn is_git_false(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off" | ""
    )
}

/// Whether gix writes this index back without dropping anything git put in it.
fn writable_without_loss(index: &gix::index::File) -> bool {
    index.version() != gix::index::Version::V4
        && index.link().is_none()
        && index.resolve_undo().is_none()
        && index.untracked().is_none()
        && index.fs_monitor().is_none()
}

/// The trailing checksum of the index file at `path` as it is now.
fn on_disk_checksum(path: &std::path::Path, kind: gix::hash::Kind) -> Option<gix::ObjectId> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = kind.len_in_bytes();
    file.seek(SeekFrom::End(-(len as i64))).ok()?;
    let mut bytes = vec![0u8; len];
    file.read_exact(&mut bytes).ok()?;
    gix::ObjectId::try_from(bytes.as_slice()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_locks_follow_gits_boolean_spelling() {
        for off in ["0", "false", "no", "off", "FALSE", " Off "] {
            assert!(is_git_false(off), "{off:?} is false to git");
        }
        for on in ["1", "true", "yes", "on"] {
            assert!(!is_git_false(on), "{on:?} is true to git");
        }
    }

    #[test]
    fn entries_modified_in_the_starting_second_are_not_settled() {
        let started = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000);
        let stat = |secs| Stat {
            mtime: gix::index::entry::stat::Time { secs, nsecs: 0 },
            ..Stat::default()
        };
        assert!(settled(&stat(999), started));
        assert!(!settled(&stat(1_000), started));
        assert!(!settled(&stat(1_001), started));
    }
}
