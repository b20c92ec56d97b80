//! `GitRepoGraph::sync` on real clones of bare origins: clone, fetch, fast-forward by strategy,
//! never touching local work, sync rules, and the events of the job.

mod support;

use relay_core::repo::{RepoSelection, RepoSync, SyncAction, SyncOptions, SyncReport};
use relay_core::{EventKind, JobStatus, Progress, RepoGraph, RepoOutcome, RuleAction};
use relay_repos::GitRepoGraph;
use support::*;

fn entry<'a>(report: &'a SyncReport, name: &str) -> &'a RepoSync {
    report
        .repos
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no entry for {name} in {report:#?}"))
}

/// `- name: NAME` with a url to its origin relative to the workspace, plus `extra` lines.
fn repo_yaml(name: &str, extra: &str) -> String {
    format!("  - name: {name}\n    url: ../origins/{name}.git\n{extra}")
}

async fn sync(graph: &GitRepoGraph, options: SyncOptions) -> (Vec<relay_core::Event>, SyncReport) {
    let (events, result) = run_job(graph.sync(options)).await;
    (events, result.expect("sync returns a report"))
}

#[tokio::test]
async fn clones_missing_repos_from_a_file_url_and_a_relative_path() {
    let s = Sandbox::new();
    s.create_origin("a");
    s.create_origin("b");
    let yaml = format!(
        "repositories:\n  - name: a\n    url: {}\n  - name: b\n    url: ../origins/b.git\n    path: nested/dir/b\n",
        s.origin_url("a")
    );
    let graph = GitRepoGraph::new(s.workspace(&yaml));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    for (name, dir) in [
        ("a", s.root().join("a")),
        ("b", s.root().join("nested/dir/b")),
    ] {
        let e = entry(&report, name);
        assert_eq!(e.action, SyncAction::Cloned, "{e:?}");
        assert_eq!(e.branch.as_deref(), Some("main"));
        assert_eq!(e.after, Some(rev_parse(&s.origin(name), "main")));
        assert_eq!(
            std::fs::read_to_string(dir.join("README.md")).unwrap(),
            format!("# {name}\n")
        );
        let p = porcelain(&dir);
        assert_eq!(p.head, "main");
        assert_eq!(p.upstream.as_deref(), Some("origin/main"), "{}", p.raw);
        assert_eq!(
            (p.ahead, p.behind, p.staged, p.unstaged, p.untracked),
            (Some(0), Some(0), 0, 0, 0),
            "{}",
            p.raw
        );
    }
    assert!(!report.has_failures());
}

#[tokio::test]
async fn fetches_and_fast_forwards_the_checked_out_branch() {
    let s = Sandbox::new();
    let dir = s.repo("a");
    let before = rev_parse(&dir, "HEAD");
    s.push_upstream("a", "main", "one.txt", "1\n");
    let after = s.push_upstream("a", "main", "two.txt", "2\n");
    let graph = GitRepoGraph::new(s.workspace(&format!("repositories:\n{}", repo_yaml("a", ""))));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    let e = entry(&report, "a");
    assert_eq!(e.action, SyncAction::FastForwarded, "{e:?}");
    assert_eq!(e.branch.as_deref(), Some("main"));
    assert_eq!(
        (e.before.as_deref(), e.after.as_deref()),
        (Some(before.as_str()), Some(after.as_str()))
    );
    assert_eq!(rev_parse(&dir, "HEAD"), after);
    assert_eq!(std::fs::read_to_string(dir.join("two.txt")).unwrap(), "2\n");
    let p = porcelain(&dir);
    assert_eq!(
        (p.ahead, p.behind, p.staged, p.unstaged, p.untracked),
        (Some(0), Some(0), 0, 0, 0),
        "{}",
        p.raw
    );
}

#[tokio::test]
async fn main_branch_strategy_moves_main_while_a_feature_branch_is_checked_out() {
    let s = Sandbox::new();
    let dir = s.repo("a");
    git(&dir, &["switch", "--quiet", "-c", "feature"]);
    let feature = commit_file(&dir, "feature.txt", "f\n", "Feature work");
    write(
        &dir,
        "README.md",
        "# uncommitted edit on the feature branch\n",
    );
    let main_before = rev_parse(&dir, "main");
    let before = snapshot(&dir);
    let upstream = s.push_upstream("a", "main", "upstream.txt", "u\n");

    let graph = GitRepoGraph::new(s.workspace(&format!(
        "repositories:\n{}",
        repo_yaml("a", "    sync_strategy: main_branch\n")
    )));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    let e = entry(&report, "a");
    assert_eq!(e.action, SyncAction::FastForwarded, "{e:?}");
    assert_eq!(e.branch.as_deref(), Some("main"));
    assert_eq!(e.before.as_deref(), Some(main_before.as_str()));
    assert_eq!(rev_parse(&dir, "main"), upstream);

    let after = snapshot(&dir);
    assert_eq!(after.files, before.files, "the work tree must not change");
    assert_eq!(after.index, before.index, "the index must not change");
    assert_eq!(after.head, "ref: refs/heads/feature\n");
    assert_eq!(rev_parse(&dir, "feature"), feature);
    assert!(!dir.join("upstream.txt").exists());
}

#[tokio::test]
async fn feature_branch_strategy_fast_forwards_the_checked_out_branch_only() {
    let s = Sandbox::new();
    let dir = s.repo("a");
    git(&dir, &["switch", "--quiet", "-c", "feature"]);
    git(&dir, &["push", "--quiet", "-u", "origin", "feature"]);
    let main_before = rev_parse(&dir, "main");
    s.push_upstream("a", "main", "main-only.txt", "m\n");
    let feature_after = s.push_upstream("a", "feature", "feature-upstream.txt", "f\n");

    let graph = GitRepoGraph::new(s.workspace(&format!(
        "repositories:\n{}",
        repo_yaml("a", "    sync_strategy: feature_branch\n")
    )));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    let e = entry(&report, "a");
    assert_eq!(e.action, SyncAction::FastForwarded, "{e:?}");
    assert_eq!(e.branch.as_deref(), Some("feature"));
    assert_eq!(rev_parse(&dir, "HEAD"), feature_after);
    assert!(dir.join("feature-upstream.txt").exists());
    assert_eq!(
        rev_parse(&dir, "main"),
        main_before,
        "main is not this strategy's business"
    );
    assert_eq!(porcelain(&dir).unstaged, 0);
}

#[tokio::test]
async fn up_to_date_and_ahead_only_change_nothing() {
    let s = Sandbox::new();
    let same = s.repo("same");
    let ahead = s.repo("ahead");
    commit_file(&ahead, "local.txt", "l\n", "Local work");
    let before = (snapshot(&same), snapshot(&ahead));
    let graph = GitRepoGraph::new(s.workspace(&format!(
        "repositories:\n{}{}",
        repo_yaml("same", ""),
        repo_yaml("ahead", "")
    )));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    let e = entry(&report, "same");
    assert_eq!(
        (e.action, e.reason.as_deref()),
        (SyncAction::UpToDate, None)
    );
    assert_eq!(e.before, e.after);
    let e = entry(&report, "ahead");
    assert_eq!(e.action, SyncAction::UpToDate);
    let reason = e.reason.as_deref().unwrap();
    assert!(
        reason.contains("1 commit(s) ahead of origin/main"),
        "{reason}"
    );
    assert_eq!((snapshot(&same), snapshot(&ahead)), before);
}

#[tokio::test]
async fn dirty_and_diverged_repos_are_skipped_and_left_byte_for_byte() {
    let s = Sandbox::new();
    let dirty = s.repo("dirty");
    write(&dirty, "README.md", "# staged edit\n");
    git(&dirty, &["add", "README.md"]);
    write(&dirty, "src/lib.txt", "unstaged edit\n");
    write(&dirty, "scratch.txt", "untracked\n");
    s.push_upstream("dirty", "main", "README.md", "# upstream edit\n");

    let diverged = s.repo("diverged");
    commit_file(&diverged, "README.md", "# local commit\n", "Local change");
    s.push_upstream("diverged", "main", "README.md", "# remote commit\n");

    let fine = s.repo("fine");
    let fine_after = s.push_upstream("fine", "main", "new.txt", "n\n");

    let before = (snapshot(&dirty), snapshot(&diverged));
    let graph = GitRepoGraph::new(s.workspace(&format!(
        "repositories:\n{}{}{}",
        repo_yaml("dirty", ""),
        repo_yaml("diverged", ""),
        repo_yaml("fine", "")
    )));
    let (_, report) = sync(&graph, SyncOptions::new()).await;

    let e = entry(&report, "dirty");
    assert_eq!(e.action, SyncAction::Skipped, "{e:?}");
    let reason = e.reason.as_deref().unwrap();
    assert!(
        reason.contains("uncommitted changes (1 staged, 1 unstaged, 0 conflicted)")
            && reason.contains("1 commit(s) behind origin/main"),
        "{reason}"
    );
    let e = entry(&report, "diverged");
    assert_eq!(e.action, SyncAction::Skipped, "{e:?}");
    let reason = e.reason.as_deref().unwrap();
    assert!(
        reason.contains("diverged") && reason.contains("1 local and 1 remote"),
        "{reason}"
    );
    assert_eq!(
        (snapshot(&dirty), snapshot(&diverged)),
        before,
        "skipped repositories must be left exactly as they were"
    );
    // The fetch itself happened: the remote-tracking branches know the new commits.
    assert_eq!(porcelain(&dirty).behind, Some(1));
    assert_eq!(porcelain(&diverged).behind, Some(1));
    assert_eq!(entry(&report, "fine").action, SyncAction::FastForwarded);
    assert_eq!(rev_parse(&fine, "HEAD"), fine_after);
    assert!(!report.has_failures());
}

#[tokio::test]
async fn auto_sync_off_is_skipped_unless_named() {
    let s = Sandbox::new();
    let dir = s.repo("manual");
    let before = rev_parse(&dir, "HEAD");
    let upstream = s.push_upstream("manual", "main", "x.txt", "x\n");
    let graph = GitRepoGraph::new(s.workspace(&format!(
        "repositories:\n{}",
        repo_yaml("manual", "    auto_sync: false\n")
    )));
    let (events, report) = sync(&graph, SyncOptions::new()).await;
    let e = entry(&report, "manual");
    assert_eq!(e.action, SyncAction::Skipped);
    assert!(e.reason.as_deref().unwrap().contains("auto_sync is off"));
    assert_eq!(rev_parse(&dir, "HEAD"), before);
    assert!(events.iter().any(|e| matches!(&e.kind,
        EventKind::RepoFinished { repo, outcome: RepoOutcome::Skipped, .. } if repo == "manual")));

    let (_, report) = sync(
        &graph,
        SyncOptions::new().repos(RepoSelection::Named(vec!["manual".into()])),
    )
    .await;
    assert_eq!(entry(&report, "manual").action, SyncAction::FastForwarded);
    assert_eq!(rev_parse(&dir, "HEAD"), upstream);
}

#[tokio::test]
async fn a_repo_whose_origin_is_gone_fails_while_the_others_sync() {
    let s = Sandbox::new();
    let mut expected = Vec::new();
    for name in ["a", "b", "c"] {
        s.repo(name);
        expected.push(s.push_upstream(name, "main", "up.txt", "u\n"));
    }
    let b = s.root().join("b");
    // Fetch b's new commit first so that b is behind, then take its origin away.
    std::fs::rename(s.origin("b"), s.path().join("moved-away.git")).unwrap();
    let before = snapshot(&b);
    let graph = GitRepoGraph::new(s.workspace(&format!(
        "repositories:\n{}{}{}",
        repo_yaml("a", ""),
        repo_yaml("b", ""),
        repo_yaml("c", "")
    )));
    let (_, report) = sync(&graph, SyncOptions::new().jobs(3)).await;
    let e = entry(&report, "b");
    assert_eq!(e.action, SyncAction::Failed, "{e:?}");
    let reason = e.reason.as_deref().unwrap();
    assert!(reason.starts_with("b: fetch failed"), "{reason}");
    assert_eq!(snapshot(&b), before);
    for (name, sha) in [("a", &expected[0]), ("c", &expected[2])] {
        assert_eq!(entry(&report, name).action, SyncAction::FastForwarded);
        assert_eq!(&rev_parse(&s.root().join(name), "HEAD"), sha);
    }
    assert!(report.has_failures());
    assert_eq!(report.repos.len(), 3);
}

#[tokio::test]
async fn a_failed_clone_leaves_no_directory_behind() {
    let s = Sandbox::new();
    s.create_origin("real");
    let yaml = format!(
        "repositories:\n  - name: ghost\n    url: ../origins/does-not-exist.git\n    path: deep/er/ghost\n{}  - name: local-only\n",
        repo_yaml("real", "")
    );
    let graph = GitRepoGraph::new(s.workspace(&yaml));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    let e = entry(&report, "ghost");
    assert_eq!(e.action, SyncAction::Failed, "{e:?}");
    assert!(e.reason.as_deref().unwrap().contains("clone"), "{e:?}");
    assert!(
        !s.root().join("deep").exists(),
        "a failed clone must leave no directory behind"
    );
    let e = entry(&report, "local-only");
    assert_eq!(e.action, SyncAction::Failed);
    assert!(e.reason.as_deref().unwrap().contains("no `url:`"), "{e:?}");
    assert!(!s.root().join("local-only").exists());
    assert_eq!(entry(&report, "real").action, SyncAction::Cloned);
}

#[tokio::test]
async fn sync_rules_report_triggers_and_sync_the_notified_repos() {
    let s = Sandbox::new();
    let shared = s.repo("shared-api");
    let backend = s.repo("backend");
    let frontend = s.repo("frontend");
    let yaml = format!(
        "repositories:\n{}{}{}sync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend]\n  - trigger: \"shared-api:main\"\n    action: notify\n    notify: [frontend]\n  - trigger: \"shared-api:release\"\n    action: update_dependents\n    notify: [frontend]\n",
        repo_yaml("shared-api", ""),
        repo_yaml(
            "backend",
            "    dependencies: [shared-api]\n    auto_sync: false\n"
        ),
        repo_yaml("frontend", "    dependencies: [shared-api]\n")
    );
    let graph = GitRepoGraph::new(s.workspace(&yaml));
    let backend_after = s.push_upstream("backend", "main", "b.txt", "b\n");
    let frontend_before = rev_parse(&frontend, "HEAD");
    s.push_upstream("frontend", "main", "f.txt", "f\n");

    // shared-api is up to date: nothing fires, nothing else is synced.
    let only_shared = || SyncOptions::new().repos(RepoSelection::Named(vec!["shared-api".into()]));
    let (_, report) = sync(&graph, only_shared()).await;
    assert_eq!(entry(&report, "shared-api").action, SyncAction::UpToDate);
    assert!(report.triggered_rules.is_empty(), "{report:#?}");
    assert_eq!(report.repos.len(), 1);

    // shared-api's main moves: both main rules fire, backend is synced, frontend only notified.
    let shared_after = s.push_upstream("shared-api", "main", "api.txt", "v2\n");
    let (events, report) = sync(&graph, only_shared()).await;
    assert_eq!(rev_parse(&shared, "HEAD"), shared_after);
    let triggers: Vec<(&str, RuleAction, &[String])> = report
        .triggered_rules
        .iter()
        .map(|r| (r.trigger.as_str(), r.action, r.notify.as_slice()))
        .collect();
    assert_eq!(
        triggers,
        [
            (
                "shared-api:main",
                RuleAction::UpdateDependents,
                ["backend".to_owned()].as_slice()
            ),
            (
                "shared-api:main",
                RuleAction::Notify,
                ["frontend".to_owned()].as_slice()
            ),
        ]
    );
    let names: Vec<&str> = report.repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["shared-api", "backend"], "dependency order");
    assert_eq!(entry(&report, "backend").action, SyncAction::FastForwarded);
    assert_eq!(rev_parse(&backend, "HEAD"), backend_after);
    assert_eq!(rev_parse(&frontend, "HEAD"), frontend_before);
    let finished: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RepoFinished { repo, .. } => Some(repo.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(finished, ["shared-api", "backend"]);
}

#[tokio::test]
async fn a_first_clone_does_not_fire_sync_rules() {
    let s = Sandbox::new();
    s.create_origin("shared-api");
    s.create_origin("backend");
    let yaml = format!(
        "repositories:\n{}{}sync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend]\n",
        repo_yaml("shared-api", ""),
        repo_yaml("backend", "    auto_sync: false\n")
    );
    let graph = GitRepoGraph::new(s.workspace(&yaml));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    assert_eq!(entry(&report, "shared-api").action, SyncAction::Cloned);
    assert!(report.triggered_rules.is_empty(), "{report:#?}");
    assert_eq!(entry(&report, "backend").action, SyncAction::Skipped);
    assert!(!s.root().join("backend").exists());
}

#[tokio::test]
async fn a_feature_branch_moving_does_not_fire_a_main_rule() {
    let s = Sandbox::new();
    let shared = s.repo("shared-api");
    git(&shared, &["switch", "--quiet", "-c", "feature"]);
    git(&shared, &["push", "--quiet", "-u", "origin", "feature"]);
    let backend = s.repo("backend");
    let backend_before = rev_parse(&backend, "HEAD");
    s.push_upstream("backend", "main", "b.txt", "b\n");
    s.push_upstream("shared-api", "feature", "f.txt", "f\n");
    let yaml = format!(
        "repositories:\n{}{}sync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend]\n",
        repo_yaml("shared-api", "    sync_strategy: feature_branch\n"),
        repo_yaml("backend", "    auto_sync: false\n")
    );
    let graph = GitRepoGraph::new(s.workspace(&yaml));
    let (_, report) = sync(&graph, SyncOptions::new()).await;
    let e = entry(&report, "shared-api");
    assert_eq!(
        (e.action, e.branch.as_deref()),
        (SyncAction::FastForwarded, Some("feature"))
    );
    assert!(report.triggered_rules.is_empty(), "{report:#?}");
    assert_eq!(entry(&report, "backend").action, SyncAction::Skipped);
    assert_eq!(rev_parse(&backend, "HEAD"), backend_before);
}

#[tokio::test]
async fn the_job_streams_started_progress_repo_finished_and_finished() {
    let s = Sandbox::new();
    for name in ["core", "lib", "app"] {
        s.repo(name);
        s.push_upstream(name, "main", "n.txt", "n\n");
    }
    let yaml = format!(
        "repositories:\n{}{}{}",
        repo_yaml("app", "    dependencies: [lib]\n"),
        repo_yaml("lib", "    dependencies: [core]\n"),
        repo_yaml("core", "")
    );
    let graph = GitRepoGraph::new(s.workspace(&yaml));
    let (events, report) = sync(&graph, SyncOptions::new().jobs(3)).await;
    assert_eq!(
        events[0].kind,
        EventKind::JobStarted {
            operation: "sync".into(),
            total: Some(3)
        }
    );
    assert_eq!(
        events.last().unwrap().kind,
        EventKind::JobFinished {
            status: JobStatus::Succeeded,
            error: None
        }
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
    }
    let position = |pred: &dyn Fn(&EventKind) -> bool| events.iter().position(|e| pred(&e.kind));
    for name in ["core", "lib", "app"] {
        let started = position(&|k| {
            matches!(k, EventKind::Progress(Progress { repo: Some(r), message, .. })
                if r == name && message == &format!("syncing {name}"))
        })
        .unwrap_or_else(|| panic!("no progress for {name}: {events:#?}"));
        let finished: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(&e.kind, EventKind::RepoFinished { repo, outcome: RepoOutcome::Success, summary }
                if repo == name && summary.starts_with("fast-forwarded")))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(finished.len(), 1, "{name}: {events:#?}");
        assert!(started < finished[0]);
    }
    // Dependencies are finished before their dependents start.
    for (dependency, dependent) in [("core", "lib"), ("lib", "app")] {
        let done =
            position(&|k| matches!(k, EventKind::RepoFinished { repo, .. } if repo == dependency))
                .unwrap();
        let starts = position(
            &|k| matches!(k, EventKind::Progress(Progress { repo: Some(r), .. }) if r == dependent),
        )
        .unwrap();
        assert!(
            done < starts,
            "{dependent} started before {dependency} finished"
        );
    }
    let names: Vec<&str> = report.repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["core", "lib", "app"]);
}
