//! `GitRepoGraph::commit` and `GitRepoGraph::push` across repositories with bare origins.

mod support;

use relay_core::repo::{
    CommitAction, CommitOptions, CommitReport, PushAction, PushOptions, PushReport, RepoSelection,
};
use relay_core::{RepoError, RepoGraph};
use relay_repos::GitRepoGraph;
use support::*;

fn commit_entry<'a>(report: &'a CommitReport, name: &str) -> &'a relay_core::repo::RepoCommit {
    report.repos.iter().find(|r| r.name == name).unwrap()
}

fn push_entry<'a>(report: &'a PushReport, name: &str) -> &'a relay_core::repo::RepoPush {
    report.repos.iter().find(|r| r.name == name).unwrap()
}

async fn commit(graph: &GitRepoGraph, options: CommitOptions) -> CommitReport {
    run_job(graph.commit(options)).await.1.unwrap()
}

async fn push(graph: &GitRepoGraph, options: PushOptions) -> PushReport {
    run_job(graph.push(options)).await.1.unwrap()
}

#[tokio::test]
async fn commits_staged_changes_everywhere_with_one_message() {
    let s = Sandbox::new();
    let a = s.repo("a");
    let b = s.repo("b");
    let idle = s.repo("idle");
    write(&a, "new.txt", "a\n");
    git(&a, &["add", "new.txt"]);
    write(&a, "README.md", "# not staged, not committed\n");
    write(&b, "README.md", "# b staged\n");
    git(&b, &["add", "README.md"]);
    write(
        &idle,
        "untracked.txt",
        "untracked files are not committed\n",
    );
    let idle_head = rev_parse(&idle, "HEAD");
    let graph =
        GitRepoGraph::new(s.workspace("repositories:\n  - name: a\n  - name: b\n  - name: idle\n"));
    let message = "Rename the login endpoint\n\nAcross services.";
    let report = commit(&graph, CommitOptions::new(message)).await;
    for (name, dir) in [("a", &a), ("b", &b)] {
        let e = commit_entry(&report, name);
        assert_eq!(e.action, CommitAction::Committed, "{e:?}");
        assert_eq!(e.sha.as_deref(), Some(rev_parse(dir, "HEAD").as_str()));
        assert_eq!(git(dir, &["log", "-1", "--format=%B"]).trim_end(), message);
        assert_eq!(
            git(dir, &["log", "-1", "--format=%an <%ae>"]).trim(),
            format!("{AUTHOR} <{EMAIL}>")
        );
        assert_eq!(porcelain(dir).staged, 0);
    }
    assert_eq!(porcelain(&a).unstaged, 1, "unstaged edits stay uncommitted");
    let e = commit_entry(&report, "idle");
    assert_eq!(e.action, CommitAction::NothingToCommit);
    assert_eq!(rev_parse(&idle, "HEAD"), idle_head);
}

#[tokio::test]
async fn all_stages_tracked_changes_but_not_untracked_files() {
    let s = Sandbox::new();
    let a = s.repo("a");
    write(&a, "README.md", "# edited\n");
    std::fs::remove_file(a.join("src/lib.txt")).unwrap();
    write(&a, "untracked.txt", "u\n");
    let graph = GitRepoGraph::new(s.workspace("repositories:\n  - name: a\n"));

    let report = commit(&graph, CommitOptions::new("Without all")).await;
    assert_eq!(
        commit_entry(&report, "a").action,
        CommitAction::NothingToCommit
    );

    let report = commit(&graph, CommitOptions::new("With all").all(true)).await;
    assert_eq!(commit_entry(&report, "a").action, CommitAction::Committed);
    let files = git(&a, &["show", "--name-status", "--format=", "HEAD"]);
    assert_eq!(files, "M\tREADME.md\nD\tsrc/lib.txt\n");
    let p = porcelain(&a);
    assert_eq!((p.staged, p.unstaged, p.untracked), (0, 0, 1), "{}", p.raw);
}

#[tokio::test]
async fn a_conflict_or_a_missing_identity_fails_that_repo_only() {
    let s = Sandbox::new();
    let conflicted = s.repo("conflicted");
    git(&conflicted, &["checkout", "--quiet", "-b", "other"]);
    commit_file(&conflicted, "README.md", "# theirs\n", "Theirs");
    git(&conflicted, &["checkout", "--quiet", "main"]);
    commit_file(&conflicted, "README.md", "# ours\n", "Ours");
    assert!(!git_ok(&conflicted, &["merge", "--quiet", "other"]));
    let conflicted_before = snapshot(&conflicted);

    let anonymous = s.repo("anonymous");
    // No identity at all: empty values override any global one, and git must not guess.
    git(&anonymous, &["config", "user.name", ""]);
    git(&anonymous, &["config", "user.email", ""]);
    git(&anonymous, &["config", "user.useConfigOnly", "true"]);
    write(&anonymous, "x.txt", "x\n");
    git(&anonymous, &["add", "x.txt"]);
    let anonymous_head = rev_parse(&anonymous, "HEAD");

    let fine = s.repo("fine");
    write(&fine, "y.txt", "y\n");
    git(&fine, &["add", "y.txt"]);

    let graph = GitRepoGraph::new(
        s.workspace("repositories:\n  - name: conflicted\n  - name: anonymous\n  - name: fine\n"),
    );
    let report = commit(&graph, CommitOptions::new("Everything").all(true)).await;

    let e = commit_entry(&report, "conflicted");
    assert_eq!(e.action, CommitAction::Failed);
    assert!(
        e.reason
            .as_deref()
            .unwrap()
            .contains("1 unresolved conflict"),
        "{e:?}"
    );
    assert_eq!(snapshot(&conflicted), conflicted_before);

    let e = commit_entry(&report, "anonymous");
    assert_eq!(e.action, CommitAction::Failed);
    let reason = e.reason.as_deref().unwrap();
    assert!(
        reason.contains("Please tell me who you are") && reason.contains("git config"),
        "git's own advice must reach the user: {reason}"
    );
    assert_eq!(rev_parse(&anonymous, "HEAD"), anonymous_head);
    assert_eq!(porcelain(&anonymous).staged, 1, "the staged change is kept");

    assert_eq!(
        commit_entry(&report, "fine").action,
        CommitAction::Committed
    );
}

#[tokio::test]
async fn the_first_commit_of_an_unborn_repo_and_an_empty_message() {
    let s = Sandbox::new();
    git(&s.root(), &["init", "--quiet", "-b", "main", "fresh"]);
    let fresh = s.root().join("fresh");
    configure_identity(&fresh);
    write(&fresh, "first.txt", "1\n");
    git(&fresh, &["add", "first.txt"]);
    let graph = GitRepoGraph::new(s.workspace("repositories:\n  - name: fresh\n"));

    let (_, result) = run_job(graph.commit(CommitOptions::new("  \n"))).await;
    assert!(matches!(result, Err(RepoError::InvalidRequest(ref m)) if m.contains("empty")));
    assert!(!git_ok(
        &fresh,
        &["rev-parse", "--verify", "--quiet", "HEAD"]
    ));

    let report = commit(&graph, CommitOptions::new("Initial commit")).await;
    let e = commit_entry(&report, "fresh");
    assert_eq!(e.action, CommitAction::Committed, "{e:?}");
    assert_eq!(e.sha.as_deref(), Some(rev_parse(&fresh, "HEAD").as_str()));
}

#[tokio::test]
async fn pushes_sets_upstreams_and_reports_up_to_date_and_detached() {
    let s = Sandbox::new();
    let ahead = s.repo("ahead");
    let pushed = commit_file(&ahead, "a.txt", "a\n", "Ahead");
    let feature = s.repo("feature");
    git(&feature, &["switch", "--quiet", "-c", "feature/new"]);
    let feature_sha = commit_file(&feature, "f.txt", "f\n", "Feature");
    s.repo("same");
    let detached = s.repo("detached");
    git(&detached, &["checkout", "--quiet", "--detach"]);
    let graph = GitRepoGraph::new(s.workspace(
        "repositories:\n  - name: ahead\n  - name: feature\n  - name: same\n  - name: detached\n",
    ));
    let report = push(&graph, PushOptions::default()).await;

    assert_eq!(push_entry(&report, "ahead").action, PushAction::Pushed);
    assert_eq!(rev_parse(&s.origin("ahead"), "main"), pushed);
    assert_eq!(porcelain(&ahead).ahead, Some(0));

    let e = push_entry(&report, "feature");
    assert_eq!(e.action, PushAction::Pushed, "{e:?}");
    assert_eq!(rev_parse(&s.origin("feature"), "feature/new"), feature_sha);
    assert_eq!(
        git(
            &feature,
            &["rev-parse", "--abbrev-ref", "feature/new@{upstream}"]
        )
        .trim(),
        "origin/feature/new"
    );

    assert_eq!(push_entry(&report, "same").action, PushAction::UpToDate);
    let e = push_entry(&report, "detached");
    assert_eq!(e.action, PushAction::Skipped);
    assert!(e.reason.as_deref().unwrap().contains("detached"), "{e:?}");

    // A second push has nothing left to do.
    let report = push(&graph, PushOptions::default()).await;
    for name in ["ahead", "feature", "same"] {
        assert_eq!(
            push_entry(&report, name).action,
            PushAction::UpToDate,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_rejected_push_fails_that_repo_only() {
    let s = Sandbox::new();
    let behind = s.repo("behind");
    commit_file(&behind, "local.txt", "l\n", "Local");
    let remote = s.push_upstream("behind", "main", "remote.txt", "r\n");
    let ok = s.repo("ok");
    let ok_sha = commit_file(&ok, "o.txt", "o\n", "Ok");
    let graph = GitRepoGraph::new(s.workspace("repositories:\n  - name: behind\n  - name: ok\n"));
    let report = push(
        &graph,
        PushOptions {
            repos: RepoSelection::All,
            set_upstream: false,
            jobs: 2,
        },
    )
    .await;
    let e = push_entry(&report, "behind");
    assert_eq!(e.action, PushAction::Failed, "{e:?}");
    assert!(e.reason.as_deref().unwrap().contains("rejected"), "{e:?}");
    assert_eq!(rev_parse(&s.origin("behind"), "main"), remote);
    assert_eq!(push_entry(&report, "ok").action, PushAction::Pushed);
    assert_eq!(rev_parse(&s.origin("ok"), "main"), ok_sha);
}
