//! A stale index (stat data that no longer matches the files, content unchanged) is refreshed by
//! the first `status`, the way `git status` refreshes it, and the result is an index git accepts.
//!
//! "Stale" is observed with git's own plumbing: `git diff-files` does not refresh the index, so it
//! lists every path whose stat data differs from its index entry even when the content is equal.

mod support;

use std::path::Path;

use relay_core::RepoGraph;
use relay_core::repo::{RepoSelection, RepoStatus};
use relay_repos::GitRepoGraph;
use support::*;

const FILES: usize = 20;

/// A workspace with one repository `app` holding [`FILES`] committed files (plus the origin's
/// two), every one of them with an mtime an hour in the past: the index is stale for all of them.
fn stale_workspace(sandbox: &Sandbox) -> std::path::PathBuf {
    let repo = sandbox.repo("app");
    for i in 0..FILES {
        write(
            &repo,
            &format!("src/file{i}.txt"),
            &format!("content {i}\n"),
        );
    }
    commit_all(&repo, "Add files");
    touch_all_an_hour_ago(&repo);
    let ws = sandbox.workspace(&format!(
        "repositories:\n  - name: app\n    path: app\n    url: {}\n",
        sandbox.origin_url("app")
    ));
    drop(ws);
    repo
}

/// Sets the mtime of every tracked file an hour back, as a restore or an rsync without `-t` does.
fn touch_all_an_hour_ago(repo: &Path) {
    let files = git(repo, &["ls-files", "-z"]);
    let mut args = vec!["-d", "1 hour ago", "--"];
    args.extend(files.split('\0').filter(|f| !f.is_empty()));
    let status = std::process::Command::new("touch")
        .current_dir(repo)
        .args(&args)
        .status()
        .expect("run touch");
    assert!(status.success(), "touch failed");
}

fn stat_dirty_paths(repo: &Path) -> Vec<String> {
    git(repo, &["diff-files", "--name-only"])
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn relay_status(sandbox: &Sandbox) -> RepoStatus {
    let workspace = relay_core::Workspace::load(sandbox.root()).expect("workspace loads");
    let graph = GitRepoGraph::new(workspace);
    let mut statuses = graph.status(RepoSelection::All).await.expect("status");
    statuses.remove(0)
}

#[tokio::test]
async fn first_status_refreshes_a_stale_index_and_git_accepts_it() {
    let sandbox = Sandbox::new();
    let repo = stale_workspace(&sandbox);
    // One file really changed, same size: it must stay reported and must not be marked clean.
    write(&repo, "src/file0.txt", "CONTENT 0\n");
    let before = stat_dirty_paths(&repo);
    assert_eq!(
        before.len(),
        FILES + 2,
        "every tracked file is stat-dirty: {before:?}"
    );

    let status = relay_status(&sandbox).await;
    assert_eq!(status.error, None);
    assert_eq!(
        (status.staged, status.unstaged, status.untracked),
        (0, 1, 0)
    );

    // Only the really modified file is still stat-dirty: the others' stat data was recorded.
    assert_eq!(stat_dirty_paths(&repo), vec!["src/file0.txt".to_owned()]);
    assert!(
        !repo.join(".git/index.lock").exists(),
        "the lock is released"
    );
    // git agrees with the refreshed index, and the repository is consistent.
    let porcelain = porcelain(&repo);
    assert_eq!(
        (porcelain.staged, porcelain.unstaged, porcelain.untracked),
        (0, 1, 0)
    );
    git(&repo, &["fsck", "--no-progress", "--no-dangling"]);
    git(&repo, &["diff", "--quiet", "HEAD", "--", "src/file1.txt"]);
    // A second run reports the same.
    let again = relay_status(&sandbox).await;
    assert_eq!((again.staged, again.unstaged, again.untracked), (0, 1, 0));
}

#[tokio::test]
async fn a_held_index_lock_is_left_alone_and_nothing_is_written() {
    let sandbox = Sandbox::new();
    let repo = stale_workspace(&sandbox);
    let lock = repo.join(".git/index.lock");
    std::fs::write(&lock, b"held by someone else").unwrap();
    let index_before = std::fs::read(repo.join(".git/index")).unwrap();

    let status = relay_status(&sandbox).await;
    assert_eq!(
        status.error, None,
        "a taken lock is not an error for status"
    );
    assert_eq!((status.staged, status.unstaged), (0, 0));

    assert_eq!(std::fs::read(&lock).unwrap(), b"held by someone else");
    assert_eq!(
        std::fs::read(repo.join(".git/index")).unwrap(),
        index_before
    );
    assert_eq!(stat_dirty_paths(&repo).len(), FILES + 2);
}

#[tokio::test]
async fn an_index_with_an_untracked_cache_is_not_rewritten() {
    // gix cannot write the untracked cache back: refreshing would drop it, so Relay does not.
    let sandbox = Sandbox::new();
    let repo = stale_workspace(&sandbox);
    git(&repo, &["config", "core.untrackedCache", "true"]);
    git(&repo, &["update-index", "--untracked-cache"]);
    // `git update-index` refreshes nothing by itself; make sure the index is still stale.
    touch_all_an_hour_ago(&repo);
    let index_before = std::fs::read(repo.join(".git/index")).unwrap();

    let status = relay_status(&sandbox).await;
    assert_eq!(
        (status.staged, status.unstaged, status.untracked),
        (0, 0, 0)
    );
    assert_eq!(
        std::fs::read(repo.join(".git/index")).unwrap(),
        index_before
    );
}

/// With `GIT_OPTIONAL_LOCKS=0` (set by tools such as IDEs that poll status in the background),
/// status must not take `index.lock` at all. The variable is process-wide, so the status runs in a
/// child: this test binary again, filtered to this test, with the variable and the workspace set.
#[tokio::test]
async fn optional_locks_off_means_no_index_write() {
    const CHILD: &str = "RELAY_TEST_INDEX_REFRESH_WORKSPACE";
    if let Ok(root) = std::env::var(CHILD) {
        let workspace = relay_core::Workspace::load(&root).expect("workspace loads");
        let statuses = GitRepoGraph::new(workspace)
            .status(RepoSelection::All)
            .await
            .expect("status");
        assert_eq!(statuses[0].error, None);
        return;
    }
    let sandbox = Sandbox::new();
    let repo = stale_workspace(&sandbox);
    let index_before = std::fs::read(repo.join(".git/index")).unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "optional_locks_off_means_no_index_write",
            "--nocapture",
        ])
        .env(CHILD, sandbox.root())
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .expect("run the test binary as a child");
    assert!(
        child.status.success(),
        "child status run failed: {}",
        String::from_utf8_lossy(&child.stdout)
    );
    assert!(String::from_utf8_lossy(&child.stdout).contains("1 passed"));
    assert_eq!(
        std::fs::read(repo.join(".git/index")).unwrap(),
        index_before
    );
    assert_eq!(stat_dirty_paths(&repo).len(), FILES + 2);

    // The same run with optional locks on refreshes it (so the assertion above means something).
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "optional_locks_off_means_no_index_write"])
        .env(CHILD, sandbox.root())
        .output()
        .expect("run the test binary as a child");
    assert!(child.status.success());
    assert!(stat_dirty_paths(&repo).is_empty());
}
