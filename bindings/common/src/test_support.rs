//! Test helpers shared by this crate's unit tests: a small real workspace of git repositories.

/// `api` and `app` (depending on `api`), each a git repository with one commit.
pub fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    relay_testkit::git::write_workspace(dir.path(), &[("api", &[]), ("app", &["api"])]);
    dir
}
