//! Real git repositories for tests: a `git` runner with a fixed identity, and small workspaces
//! of repositories with one commit each.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with a fixed author and committer, panicking (failing the test) on error;
/// returns its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A workspace in `dir` with `relay.yaml` listing `repos` (name and dependencies, in order),
/// each a git repository on `main` with one commit of a `README`.
pub fn write_workspace(dir: &Path, repos: &[(&str, &[&str])]) {
    let mut yaml = String::from("repositories:\n");
    for (name, deps) in repos {
        yaml.push_str(&format!("  - name: {name}\n"));
        if !deps.is_empty() {
            yaml.push_str(&format!("    dependencies: [{}]\n", deps.join(", ")));
        }
        let repo = dir.join(name);
        std::fs::create_dir_all(&repo).expect("repository directory");
        git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("README"), name).expect("README");
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", "first"]);
    }
    std::fs::write(dir.join("relay.yaml"), yaml).expect("relay.yaml");
}
