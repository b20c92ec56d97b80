//! Test helpers shared by this crate's unit tests: a small real workspace of git repositories.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir`, failing the test on error.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// `api` and `app` (depending on `api`), each a git repository with one commit.
pub fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("relay.yaml"),
        "repositories:\n  - name: api\n  - name: app\n    dependencies: [api]\n",
    )
    .unwrap();
    for name in ["api", "app"] {
        let repo = dir.path().join(name);
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("README"), name).unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", "first"]);
    }
    dir
}
