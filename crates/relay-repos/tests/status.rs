//! `GitRepoGraph::status` against `git status --porcelain=v2 --branch` on the same repositories,
//! one repository per state, field by field.

mod support;

use std::path::Path;

use relay_core::RepoError;
use relay_core::RepoGraph;
use relay_core::repo::{RepoSelection, RepoStatus};
use relay_repos::GitRepoGraph;
use support::*;

/// A repository state: how to make it from a fresh clone, and what git must say about it (so a
/// broken setup cannot make the comparison trivially pass).
struct Case {
    name: &'static str,
    setup: fn(&Sandbox, &Path),
    expect: fn(&Porcelain) -> bool,
}

fn counts(p: &Porcelain) -> (u32, u32, u32, u32) {
    (p.staged, p.unstaged, p.untracked, p.conflicted)
}

const LONG_FILE: &str = "alpha\nbravo\ncharlie\ndelta\necho\nfoxtrot\ngolf\nhotel\nindia\njuliet\n";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "clean",
            setup: |_, _| {},
            expect: |p| {
                counts(p) == (0, 0, 0, 0)
                    && p.head == "main"
                    && p.upstream.as_deref() == Some("origin/main")
                    && (p.ahead, p.behind) == (Some(0), Some(0))
            },
        },
        Case {
            name: "staged-new-file",
            setup: |_, d| {
                write(d, "new.txt", "new\n");
                git(d, &["add", "new.txt"]);
            },
            expect: |p| counts(p) == (1, 0, 0, 0),
        },
        Case {
            // Same size, same second as the checkout: only a content check can see it.
            name: "modified-unstaged-same-size",
            setup: |_, d| write(d, "src/lib.txt", "LINE 1\nline 2\nline 3\n"),
            expect: |p| counts(p) == (0, 1, 0, 0),
        },
        Case {
            name: "staged-and-unstaged-same-path",
            setup: |_, d| {
                write(d, "README.md", "# staged\n");
                git(d, &["add", "README.md"]);
                write(d, "README.md", "# staged, then edited again\n");
            },
            expect: |p| counts(p) == (1, 1, 0, 0),
        },
        Case {
            name: "deleted-unstaged",
            setup: |_, d| std::fs::remove_file(d.join("README.md")).unwrap(),
            expect: |p| counts(p) == (0, 1, 0, 0),
        },
        Case {
            name: "deleted-staged",
            setup: |_, d| {
                git(d, &["rm", "--quiet", "README.md"]);
            },
            expect: |p| counts(p) == (1, 0, 0, 0),
        },
        Case {
            name: "staged-rename",
            setup: |_, d| {
                git(d, &["mv", "src/lib.txt", "src/renamed.txt"]);
            },
            expect: |p| counts(p) == (1, 0, 0, 0) && p.raw.contains("\n2 R."),
        },
        Case {
            name: "staged-rename-with-edit-then-unstaged-edit",
            setup: |_, d| {
                commit_file(d, "docs/long.txt", LONG_FILE, "Add a long file");
                git(d, &["mv", "docs/long.txt", "docs/moved.txt"]);
                write(d, "docs/moved.txt", &LONG_FILE.replace("golf", "GOLF"));
                git(d, &["add", "docs/moved.txt"]);
                write(d, "docs/moved.txt", &LONG_FILE.replace("golf", "GOLFER"));
            },
            expect: |p| counts(p) == (1, 1, 0, 0) && p.raw.contains("\n2 RM"),
        },
        Case {
            name: "untracked-file",
            setup: |_, d| write(d, "notes.txt", "todo\n"),
            expect: |p| counts(p) == (0, 0, 1, 0),
        },
        Case {
            name: "untracked-directory-collapsed",
            setup: |_, d| {
                write(d, "newdir/a.txt", "a\n");
                write(d, "newdir/b.txt", "b\n");
                write(d, "newdir/deeper/c.txt", "c\n");
            },
            expect: |p| counts(p) == (0, 0, 1, 0),
        },
        Case {
            name: "untracked-inside-tracked-directory",
            setup: |_, d| {
                write(d, "src/new1.txt", "1\n");
                write(d, "src/new2.txt", "2\n");
                write(d, "src/newsub/x.txt", "x\n");
                write(d, "src/newsub/y.txt", "y\n");
            },
            expect: |p| counts(p) == (0, 0, 3, 0),
        },
        Case {
            name: "ignored-and-empty-directories",
            setup: |_, d| {
                write(d, ".gitignore", "*.log\nbuild/\n");
                write(d, "debug.log", "x\n");
                write(d, "build/out.bin", "x\n");
                write(d, "logs/only.log", "x\n");
                std::fs::create_dir_all(d.join("empty/nested")).unwrap();
            },
            expect: |p| counts(p) == (0, 0, 1, 0),
        },
        Case {
            name: "staged-then-deleted",
            setup: |_, d| {
                write(d, "added.txt", "a\n");
                git(d, &["add", "added.txt"]);
                std::fs::remove_file(d.join("added.txt")).unwrap();
            },
            expect: |p| counts(p) == (1, 1, 0, 0),
        },
        Case {
            name: "mode-and-type-changes",
            setup: |_, d| {
                use std::os::unix::fs::PermissionsExt;
                let script = d.join("README.md");
                std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
                std::fs::remove_file(d.join("src/lib.txt")).unwrap();
                std::os::unix::fs::symlink("../README.md", d.join("src/lib.txt")).unwrap();
            },
            expect: |p| counts(p) == (0, 2, 0, 0),
        },
        Case {
            name: "untracked-hidden-by-config",
            setup: |_, d| {
                git(d, &["config", "status.showUntrackedFiles", "no"]);
                write(d, "hidden.txt", "h\n");
                write(d, "src/lib.txt", "changed\n");
            },
            expect: |p| counts(p) == (0, 1, 0, 0),
        },
        Case {
            // The index keeps a valid cache tree of the undone commit: it must not be taken
            // for HEAD's tree.
            name: "soft-reset-keeps-changes-staged",
            setup: |_, d| {
                commit_file(d, "undone.txt", "u\n", "To be undone");
                git(d, &["reset", "--quiet", "--soft", "HEAD~1"]);
            },
            expect: |p| counts(p) == (1, 0, 0, 0),
        },
        Case {
            name: "intent-to-add",
            setup: |_, d| {
                write(d, "planned.txt", "later\n");
                git(d, &["add", "--intent-to-add", "planned.txt"]);
            },
            expect: |p| counts(p) == (0, 1, 0, 0),
        },
        Case {
            name: "merge-conflicts",
            setup: |_, d| {
                git(d, &["checkout", "--quiet", "-b", "other"]);
                write(d, "src/lib.txt", "theirs 1\nline 2\nline 3\n");
                write(d, "both.txt", "theirs\n");
                write(d, "clean-from-other.txt", "merges cleanly\n");
                std::fs::remove_file(d.join("README.md")).unwrap();
                commit_all(d, "Their side");
                git(d, &["checkout", "--quiet", "main"]);
                write(d, "src/lib.txt", "ours 1\nline 2\nline 3\n");
                write(d, "both.txt", "ours\n");
                write(d, "README.md", "# ours\n");
                commit_all(d, "Our side");
                let merge = git_output(d, &["merge", "--quiet", "other"]);
                assert!(!merge.status.success(), "the merge must conflict");
            },
            expect: |p| counts(p) == (1, 0, 0, 3),
        },
        Case {
            name: "detached-head",
            setup: |_, d| {
                commit_file(d, "a.txt", "a\n", "One more");
                git(d, &["checkout", "--quiet", "--detach", "HEAD~1"]);
            },
            expect: |p| p.head == "(detached)" && p.upstream.is_none(),
        },
        Case {
            name: "branch-without-upstream",
            setup: |_, d| {
                git(d, &["switch", "--quiet", "-c", "feature"]);
                commit_file(d, "f.txt", "f\n", "Feature work");
            },
            expect: |p| p.head == "feature" && p.upstream.is_none() && p.ahead.is_none(),
        },
        Case {
            name: "ahead",
            setup: |_, d| {
                commit_file(d, "a.txt", "a\n", "First local commit");
                // git's %s joins a wrapped first paragraph into one line.
                commit_file(d, "b.txt", "b\n", "Wrapped\nsubject line\n\nBody text.");
            },
            expect: |p| (p.ahead, p.behind) == (Some(2), Some(0)),
        },
        Case {
            // git writes `Z`, not `+00:00`, for a UTC author time in %aI.
            name: "utc-author-time",
            setup: |_, d| {
                write(d, "u.txt", "u\n");
                git(d, &["add", "u.txt"]);
                let out = git_command(d, &["commit", "--quiet", "-m", "In UTC"])
                    .env("GIT_AUTHOR_DATE", "1767315845 +0000")
                    .output()
                    .unwrap();
                assert!(out.status.success());
            },
            expect: |p| p.ahead == Some(1),
        },
        Case {
            name: "behind",
            setup: |s, d| {
                let name = d.file_name().unwrap().to_str().unwrap();
                s.push_upstream(name, "main", "up1.txt", "1\n");
                s.push_upstream(name, "main", "up2.txt", "2\n");
                s.push_upstream(name, "main", "up3.txt", "3\n");
                git(d, &["fetch", "--quiet"]);
            },
            expect: |p| (p.ahead, p.behind) == (Some(0), Some(3)),
        },
        Case {
            name: "ahead-and-behind",
            setup: |s, d| {
                let name = d.file_name().unwrap().to_str().unwrap();
                s.push_upstream(name, "main", "up1.txt", "1\n");
                git(d, &["fetch", "--quiet"]);
                commit_file(d, "local.txt", "l\n", "Local");
                commit_file(d, "local2.txt", "l\n", "Local 2");
            },
            expect: |p| (p.ahead, p.behind) == (Some(2), Some(1)),
        },
        Case {
            // A gitlink entry makes status ask gix's submodule check (built only then).
            name: "submodule-clean",
            setup: |s, d| add_submodule(s, d, "submodule-clean-lib"),
            expect: |p| counts(p) == (0, 0, 0, 0) && (p.ahead, p.behind) == (Some(1), Some(0)),
        },
        Case {
            name: "submodule-new-commit",
            setup: |s, d| {
                add_submodule(s, d, "submodule-new-commit-lib");
                commit_file(
                    &d.join("vendor/lib"),
                    "more.txt",
                    "m\n",
                    "Submodule moves on",
                );
            },
            expect: |p| counts(p) == (0, 1, 0, 0),
        },
        Case {
            name: "upstream-gone",
            setup: |_, d| {
                git(d, &["switch", "--quiet", "-c", "topic"]);
                git(d, &["push", "--quiet", "-u", "origin", "topic"]);
                git(d, &["push", "--quiet", "origin", "--delete", "topic"]);
                git(d, &["fetch", "--quiet", "--prune"]);
            },
            expect: |p| p.upstream.as_deref() == Some("origin/topic") && p.ahead.is_none(),
        },
    ]
}

/// Adds origin `lib` as a submodule at `vendor/lib` of `dir` and commits it.
fn add_submodule(sandbox: &Sandbox, dir: &Path, lib: &str) {
    let origin = sandbox.create_origin(lib);
    git(
        dir,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "--quiet",
            path_str(&origin),
            "vendor/lib",
        ],
    );
    git(dir, &["commit", "--quiet", "-m", "Add the lib submodule"]);
}

/// Cases that need a repository without commits (no origin).
fn unborn_cases() -> Vec<Case> {
    vec![
        Case {
            name: "unborn",
            setup: |_, _| {},
            expect: |p| p.oid == "(initial)" && p.head == "main" && counts(p) == (0, 0, 0, 0),
        },
        Case {
            name: "unborn-with-staged-and-untracked",
            setup: |_, d| {
                write(d, "first.txt", "1\n");
                git(d, &["add", "first.txt"]);
                write(d, "scratch.txt", "s\n");
            },
            expect: |p| p.oid == "(initial)" && counts(p) == (1, 0, 1, 0),
        },
    ]
}

/// Differences between Relay's status and git's porcelain for one repository.
fn mismatches(status: &RepoStatus, git: &Porcelain) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, ours: String, theirs: String| {
        if ours != theirs {
            out.push(format!("{field}: relay {ours}, git {theirs}"));
        }
    };
    let branch = (git.head != "(detached)").then(|| git.head.clone());
    check(
        "branch",
        format!("{:?}", status.branch),
        format!("{branch:?}"),
    );
    let oid = (git.oid != "(initial)").then(|| git.oid.clone());
    check("head", format!("{:?}", status.head), format!("{oid:?}"));
    check(
        "upstream",
        format!("{:?}", status.upstream),
        format!("{:?}", git.upstream),
    );
    check(
        "ahead",
        format!("{:?}", status.ahead),
        format!("{:?}", git.ahead),
    );
    check(
        "behind",
        format!("{:?}", status.behind),
        format!("{:?}", git.behind),
    );
    check("staged", status.staged.to_string(), git.staged.to_string());
    check(
        "unstaged",
        status.unstaged.to_string(),
        git.unstaged.to_string(),
    );
    check(
        "untracked",
        status.untracked.to_string(),
        git.untracked.to_string(),
    );
    check(
        "conflicted",
        status.conflicted.to_string(),
        git.conflicted.to_string(),
    );
    check("error", format!("{:?}", status.error), "None".into());
    out
}

/// Differences between Relay's last commit and `git log -1`.
fn last_commit_mismatches(status: &RepoStatus, dir: &Path) -> Vec<String> {
    let unborn = !git_ok(dir, &["rev-parse", "--verify", "--quiet", "HEAD"]);
    match (&status.last_commit, unborn) {
        (None, true) => Vec::new(),
        (Some(c), true) => vec![format!("last_commit {c:?} in an unborn repository")],
        (None, false) => vec!["last_commit missing".into()],
        (Some(c), false) => {
            let log = git(dir, &["log", "-1", "--format=%H%n%s%n%an%n%aI"]);
            let expected: Vec<&str> = log.lines().collect();
            let ours = [
                c.sha.as_str(),
                c.summary.as_str(),
                c.author.as_str(),
                c.time.as_str(),
            ];
            if ours.as_slice() == expected.as_slice() {
                Vec::new()
            } else {
                vec![format!("last_commit: relay {ours:?}, git {expected:?}")]
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_matches_git_porcelain_in_every_state() {
    let sandbox = Sandbox::new();
    let mut yaml = String::from("repositories:\n");
    let mut all = Vec::new();
    for case in cases() {
        let dir = sandbox.repo(case.name);
        (case.setup)(&sandbox, &dir);
        yaml += &format!("  - name: {}\n", case.name);
        all.push(case);
    }
    for case in unborn_cases() {
        let dir = sandbox.root().join(case.name);
        git(
            &sandbox.root(),
            &["init", "--quiet", "-b", "main", case.name],
        );
        (case.setup)(&sandbox, &dir);
        yaml += &format!("  - name: {}\n", case.name);
        all.push(case);
    }
    yaml += "  - name: missing\n    path: not/cloned/yet\n";
    let graph = GitRepoGraph::new(sandbox.workspace(&yaml));

    // All at once (one thread per repository) first, before git refreshes any index.
    let statuses = graph.status(RepoSelection::All).await.unwrap();
    assert_eq!(statuses.len(), all.len() + 1);

    let mut failures = Vec::new();
    for case in &all {
        let status = statuses.iter().find(|s| s.name == case.name).unwrap();
        let dir = sandbox.root().join(case.name);
        assert_eq!(status.path, dir.canonicalize().unwrap());
        let git = porcelain(&dir);
        assert!(
            (case.expect)(&git),
            "setup of `{}` did not produce the intended state; git says:\n{}",
            case.name,
            git.raw
        );
        for m in mismatches(status, &git)
            .into_iter()
            .chain(last_commit_mismatches(status, &dir))
        {
            failures.push(format!("{}: {m}\n  git:\n{}", case.name, git.raw));
        }
        // One repository alone takes the other path (gix may use several threads); same answer.
        let alone = graph
            .status(RepoSelection::Named(vec![case.name.into()]))
            .await
            .unwrap();
        if alone[0] != *status {
            failures.push(format!(
                "{}: alone {:?} differs from all-at-once {:?}",
                case.name, alone[0], status
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "status differs from git:\n{}",
        failures.join("\n")
    );

    let missing = statuses.iter().find(|s| s.name == "missing").unwrap();
    let error = missing.error.as_deref().expect("missing repo has an error");
    assert!(
        error.contains("not cloned") && error.contains("relay sync --repo missing"),
        "{error}"
    );
    assert_eq!(
        (
            missing.branch.as_ref(),
            missing.head.as_ref(),
            missing.last_commit.as_ref()
        ),
        (None, None, None)
    );
    assert!(!missing.is_dirty());
}

#[tokio::test]
async fn status_is_in_dependency_order_and_selections_resolve() {
    let sandbox = Sandbox::new();
    for name in ["app", "lib", "core", "tool"] {
        sandbox.repo(name);
    }
    let graph = GitRepoGraph::new(sandbox.workspace(
        "repositories:\n  - name: app\n    dependencies: [lib]\n  - name: lib\n    dependencies: [core]\n  - name: core\n  - name: tool\n",
    ));
    let names = |s: Vec<RepoStatus>| s.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(
        names(graph.status(RepoSelection::All).await.unwrap()),
        ["core", "tool", "lib", "app"]
    );
    assert_eq!(
        names(
            graph
                .status(RepoSelection::Named(vec!["app".into(), "core".into()]))
                .await
                .unwrap()
        ),
        ["core", "app"]
    );
    assert_eq!(
        names(
            graph
                .status(RepoSelection::AffectedBy(vec!["lib".into()]))
                .await
                .unwrap()
        ),
        ["lib", "app"]
    );
    let err = graph
        .status(RepoSelection::Named(vec!["app".into(), "nope".into()]))
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::UnknownRepo { ref name, .. } if name == "nope"));
    let message = err.to_string();
    for known in ["app", "lib", "core", "tool"] {
        assert!(message.contains(known), "{message}");
    }
}

#[tokio::test]
async fn a_directory_that_is_not_a_repository_is_reported_not_fatal() {
    let sandbox = Sandbox::new();
    sandbox.repo("good");
    std::fs::create_dir_all(sandbox.root().join("plain")).unwrap();
    write(&sandbox.root(), "plain/file.txt", "not a repo\n");
    let graph =
        GitRepoGraph::new(sandbox.workspace("repositories:\n  - name: good\n  - name: plain\n"));
    let statuses = graph.status(RepoSelection::All).await.unwrap();
    let plain = statuses.iter().find(|s| s.name == "plain").unwrap();
    let error = plain.error.as_deref().unwrap();
    assert!(error.contains("not a git repository"), "{error}");
    let good = statuses.iter().find(|s| s.name == "good").unwrap();
    assert_eq!(good.error, None);
    assert_eq!(good.branch.as_deref(), Some("main"));
}
