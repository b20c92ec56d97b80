//! `changed_since`, `changed_files`, `impact` and `clone_into` on real repositories.

mod support;

use std::collections::BTreeSet;

use relay_core::repo::{RepoSelection, SyncAction};
use relay_core::{RepoError, RepoGraph};
use relay_repos::GitRepoGraph;
use support::*;

#[tokio::test]
async fn changed_since_lists_repos_with_new_commits_or_uncommitted_work() {
    let s = Sandbox::new();
    let committed = s.repo("committed");
    commit_file(&committed, "c.txt", "c\n", "New commit");
    let dirty = s.repo("dirty");
    write(&dirty, "README.md", "# edit\n");
    let untracked = s.repo("untracked");
    write(&untracked, "new.txt", "n\n");
    s.repo("clean");
    let behind = s.repo("behind");
    s.push_upstream("behind", "main", "up.txt", "u\n");
    git(&behind, &["fetch", "--quiet"]);
    let graph = GitRepoGraph::new(s.workspace(
        "repositories:\n  - name: committed\n  - name: dirty\n  - name: untracked\n  - name: clean\n  - name: behind\n  - name: dependent\n    dependencies: [committed]\n    path: not-cloned\n",
    ));
    let changed = graph.changed_since("origin/main").await.unwrap();
    assert_eq!(changed, ["committed", "dirty", "untracked"]);

    // With the impact of those changes, as `relay impact --changed-since` computes it.
    let impact = graph.impact(&changed).unwrap();
    assert_eq!(impact.direct, ["dependent"]);
    assert_eq!(impact.transitive, ["dependent"]);
    assert_eq!(impact.batches.concat().len(), 4);
    assert_eq!(impact.batches.last().unwrap(), &["dependent"]);
}

#[tokio::test]
async fn a_revision_that_does_not_resolve_names_the_repo() {
    let s = Sandbox::new();
    s.repo("has-tag");
    git(&s.root().join("has-tag"), &["tag", "v1.0"]);
    s.repo("no-tag");
    let graph =
        GitRepoGraph::new(s.workspace("repositories:\n  - name: has-tag\n  - name: no-tag\n"));
    let err = graph.changed_since("v1.0").await.unwrap_err();
    match &err {
        RepoError::BadRevision { repo, rev, .. } => {
            assert_eq!((repo.as_str(), rev.as_str()), ("no-tag", "v1.0"));
        }
        other => panic!("expected BadRevision, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("`v1.0` is not a valid revision in `no-tag`"),
        "{err}"
    );
}

/// What git says changed since `since`: tracked differences to the work tree (renames as a
/// deletion plus an addition) and untracked files one by one.
fn git_changed_files(dir: &std::path::Path, since: &str) -> BTreeSet<String> {
    let tracked = git(dir, &["diff", "--no-renames", "--name-only", since]);
    let untracked = git(dir, &["ls-files", "--others", "--exclude-standard"]);
    tracked
        .lines()
        .chain(untracked.lines())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn changed_files_since_a_commit_include_uncommitted_and_untracked() {
    let s = Sandbox::new();
    let dir = s.repo("a");
    let base = rev_parse(&dir, "HEAD");
    commit_file(&dir, "committed.txt", "c\n", "Committed change");
    git(&dir, &["mv", "src/lib.txt", "src/moved.txt"]);
    git(&dir, &["commit", "--quiet", "-m", "Move"]);
    write(&dir, "staged.txt", "s\n");
    git(&dir, &["add", "staged.txt"]);
    write(&dir, "README.md", "# unstaged\n");
    write(&dir, "newdir/one.txt", "1\n");
    write(&dir, "newdir/deeper/two.txt", "2\n");
    write(&dir, ".gitignore", "*.log\n");
    write(&dir, "ignored.log", "i\n");
    let graph = GitRepoGraph::new(s.workspace("repositories:\n  - name: a\n"));

    let files = graph.changed_files("a", Some(&base)).await.unwrap();
    let expected = git_changed_files(&dir, &base);
    assert_eq!(files.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(
        files,
        [
            ".gitignore",
            "README.md",
            "committed.txt",
            "newdir/deeper/two.txt",
            "newdir/one.txt",
            "src/lib.txt",
            "src/moved.txt",
            "staged.txt"
        ]
    );

    // Without a base: uncommitted only.
    let files = graph.changed_files("a", None).await.unwrap();
    assert_eq!(
        files.iter().cloned().collect::<BTreeSet<_>>(),
        git_changed_files(&dir, "HEAD")
    );
    assert!(!files.contains(&"committed.txt".to_owned()));

    // A staged, uncommitted rename changes both paths.
    commit_all(&dir, "Everything");
    git(&dir, &["mv", "committed.txt", "renamed.txt"]);
    let files = graph.changed_files("a", None).await.unwrap();
    assert_eq!(files, ["committed.txt", "renamed.txt"]);
    assert_eq!(
        files.iter().cloned().collect::<BTreeSet<_>>(),
        git_changed_files(&dir, "HEAD")
    );

    let err = graph.changed_files("nope", None).await.unwrap_err();
    assert!(matches!(err, RepoError::UnknownRepo { .. }), "{err:?}");
    let err = graph
        .changed_files("a", Some("no-such-rev"))
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::BadRevision { .. }), "{err:?}");
}

#[tokio::test]
async fn clone_into_copies_committed_state_keeping_relative_paths() {
    let s = Sandbox::new();
    let a = s.repo("a");
    git(&a, &["switch", "--quiet", "-c", "work"]);
    let work = commit_file(&a, "w.txt", "w\n", "Work in progress");
    write(&a, "uncommitted.txt", "stays behind\n");
    s.create_origin("b");
    s.clone_origin_to("b", &s.root().join("services/b"));
    let graph = GitRepoGraph::new(s.workspace(
        "repositories:\n  - name: a\n  - name: b\n    path: services/b\n    dependencies: [a]\n",
    ));
    let dest = s.path().join("env");
    let (_, result) = run_job(RepoGraph::clone_into(
        &graph,
        dest.clone(),
        RepoSelection::All,
    ))
    .await;
    let report = result.unwrap();
    let names: Vec<&str> = report.repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let e = &report.repos[0];
    assert_eq!(e.action, SyncAction::Cloned, "{e:?}");
    assert_eq!(e.after.as_deref(), Some(work.as_str()));
    assert_eq!(e.branch.as_deref(), Some("work"));
    assert_eq!(rev_parse(&dest.join("a"), "HEAD"), work);
    assert!(dest.join("a/w.txt").exists());
    assert!(!dest.join("a/uncommitted.txt").exists());
    assert_eq!(report.repos[1].action, SyncAction::Cloned);
    assert!(dest.join("services/b/README.md").exists());

    // Into the same place again: the targets exist, each fails, nothing is overwritten.
    let (_, result) = run_job(RepoGraph::clone_into(
        &graph,
        dest.clone(),
        RepoSelection::All,
    ))
    .await;
    for e in result.unwrap().repos {
        assert_eq!(e.action, SyncAction::Failed, "{e:?}");
        assert!(
            e.reason.as_deref().unwrap().contains("already exists"),
            "{e:?}"
        );
    }
    assert_eq!(rev_parse(&dest.join("a"), "HEAD"), work);
    assert!(dest.join("services/b/README.md").exists());
}
