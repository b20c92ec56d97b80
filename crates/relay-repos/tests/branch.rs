//! `GitRepoGraph::branch`: create and switch a branch across repositories.

mod support;

use relay_core::repo::{BranchAction, BranchOptions, BranchReport, RepoBranch, RepoSelection};
use relay_core::{RepoError, RepoGraph};
use relay_repos::GitRepoGraph;
use support::*;

fn entry<'a>(report: &'a BranchReport, name: &str) -> &'a RepoBranch {
    report.repos.iter().find(|r| r.name == name).unwrap()
}

async fn branch(graph: &GitRepoGraph, options: BranchOptions) -> BranchReport {
    run_job(graph.branch(options)).await.1.unwrap()
}

#[tokio::test]
async fn creates_a_branch_at_head_in_every_repo_without_touching_files() {
    let s = Sandbox::new();
    let mut heads = Vec::new();
    for name in ["a", "b", "c"] {
        let dir = s.repo(name);
        write(&dir, "wip.txt", "uncommitted work survives\n");
        write(&dir, "README.md", "# edited\n");
        heads.push((dir.clone(), rev_parse(&dir, "HEAD"), snapshot(&dir)));
    }
    let graph = GitRepoGraph::new(s.workspace(
        "repositories:\n  - name: a\n  - name: b\n    dependencies: [a]\n  - name: c\n",
    ));
    let report = branch(&graph, BranchOptions::new("feature/login-fix")).await;
    let names: Vec<&str> = report.repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "c", "b"], "dependency order");
    for ((dir, head, before), name) in heads.iter().zip(["a", "b", "c"]) {
        let e = entry(&report, name);
        assert_eq!(e.action, BranchAction::Created, "{e:?}");
        assert_eq!(e.head.as_deref(), Some(head.as_str()));
        assert_eq!(
            git(dir, &["symbolic-ref", "HEAD"]).trim(),
            "refs/heads/feature/login-fix"
        );
        assert_eq!(&rev_parse(dir, "feature/login-fix"), head);
        let after = snapshot(dir);
        assert_eq!(after.files, before.files);
        let p = porcelain(dir);
        assert_eq!((p.unstaged, p.untracked), (1, 1), "{}", p.raw);
        // git can read what was written: the reflog records the switch.
        let reflog = git(dir, &["reflog", "-1", "HEAD"]);
        assert!(
            reflog.contains("checkout: moving from main to feature/login-fix"),
            "{reflog}"
        );
    }
}

#[tokio::test]
async fn switches_to_existing_branches_and_reports_already_on() {
    let s = Sandbox::new();
    // same: the branch exists at HEAD's commit; other: at a different commit; on: checked out.
    let same = s.repo("same");
    git(&same, &["branch", "topic"]);
    let other = s.repo("other");
    git(&other, &["switch", "--quiet", "-c", "topic"]);
    let topic = commit_file(&other, "topic.txt", "t\n", "Topic work");
    git(&other, &["switch", "--quiet", "main"]);
    let on = s.repo("on");
    git(&on, &["switch", "--quiet", "-c", "topic"]);
    let graph = GitRepoGraph::new(
        s.workspace("repositories:\n  - name: same\n  - name: other\n  - name: on\n"),
    );
    let report = branch(&graph, BranchOptions::new("topic")).await;

    assert_eq!(entry(&report, "same").action, BranchAction::Switched);
    assert_eq!(
        git(&same, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/topic"
    );

    let e = entry(&report, "other");
    assert_eq!(e.action, BranchAction::Switched);
    assert_eq!(e.head.as_deref(), Some(topic.as_str()));
    assert_eq!(rev_parse(&other, "HEAD"), topic);
    assert_eq!(
        std::fs::read_to_string(other.join("topic.txt")).unwrap(),
        "t\n"
    );
    let p = porcelain(&other);
    assert_eq!(
        (p.head.as_str(), p.staged, p.unstaged),
        ("topic", 0, 0),
        "{}",
        p.raw
    );

    assert_eq!(entry(&report, "on").action, BranchAction::AlreadyOn);
}

#[tokio::test]
async fn a_checkout_that_would_overwrite_local_changes_fails_and_changes_nothing() {
    let s = Sandbox::new();
    let dir = s.repo("a");
    git(&dir, &["switch", "--quiet", "-c", "topic"]);
    commit_file(&dir, "README.md", "# topic version\n", "Topic edits README");
    git(&dir, &["switch", "--quiet", "main"]);
    write(&dir, "README.md", "# precious local edit\n");
    let before = snapshot(&dir);
    let graph = GitRepoGraph::new(s.workspace("repositories:\n  - name: a\n"));
    let report = branch(&graph, BranchOptions::new("topic")).await;
    let e = entry(&report, "a");
    assert_eq!(e.action, BranchAction::Failed, "{e:?}");
    assert!(
        e.reason
            .as_deref()
            .unwrap()
            .contains("would be overwritten"),
        "{e:?}"
    );
    assert_eq!(snapshot(&dir), before);
}

#[tokio::test]
async fn an_invalid_name_is_rejected_before_any_repo_is_touched() {
    let s = Sandbox::new();
    let dir = s.repo("a");
    let before = snapshot(&dir);
    let graph = GitRepoGraph::new(s.workspace("repositories:\n  - name: a\n"));
    for bad in [
        "bad..name",
        "with space",
        "-rf",
        "ends.lock",
        "HEAD",
        "",
        "a/",
        "x~1",
    ] {
        let (_, result) = run_job(graph.branch(BranchOptions::new(bad))).await;
        let err = result.expect_err(bad);
        assert!(
            matches!(err, RepoError::InvalidRequest(_)),
            "{bad}: {err:?}"
        );
        assert!(err.to_string().contains("not a valid branch name"), "{err}");
        assert!(
            !git_ok(&dir, &["check-ref-format", "--branch", bad]),
            "git accepts {bad:?}"
        );
    }
    assert_eq!(snapshot(&dir), before);
}

#[tokio::test]
async fn a_repo_without_commits_fails_alone() {
    let s = Sandbox::new();
    let good = s.repo("good");
    git(&s.root(), &["init", "--quiet", "-b", "main", "empty"]);
    let graph = GitRepoGraph::new(s.workspace("repositories:\n  - name: empty\n  - name: good\n"));
    let report = branch(
        &graph,
        BranchOptions::new("next").repos(RepoSelection::All).jobs(2),
    )
    .await;
    let e = entry(&report, "empty");
    assert_eq!(e.action, BranchAction::Failed);
    assert!(
        e.reason.as_deref().unwrap().contains("no commits yet"),
        "{e:?}"
    );
    assert_eq!(
        git(&s.root().join("empty"), &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/main"
    );
    assert_eq!(entry(&report, "good").action, BranchAction::Created);
    assert_eq!(
        git(&good, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/next"
    );
}

#[tokio::test]
async fn affected_by_selects_the_repo_and_its_dependents() {
    let s = Sandbox::new();
    for name in ["api", "web", "tool"] {
        s.repo(name);
    }
    let graph = GitRepoGraph::new(s.workspace(
        "repositories:\n  - name: api\n  - name: web\n    dependencies: [api]\n  - name: tool\n",
    ));
    let report = branch(
        &graph,
        BranchOptions::new("api-v2").repos(RepoSelection::AffectedBy(vec!["api".into()])),
    )
    .await;
    let names: Vec<&str> = report.repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["api", "web"]);
    assert_eq!(
        git(&s.root().join("tool"), &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/main"
    );
    let (_, result) = run_job(
        graph.branch(BranchOptions::new("x").repos(RepoSelection::Named(vec!["nope".into()]))),
    )
    .await;
    let err = result.unwrap_err();
    assert!(
        err.to_string().contains("unknown repository `nope`")
            && err.to_string().contains("api, web, tool"),
        "{err}"
    );
}
