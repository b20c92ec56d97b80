//! The local provider with a real workspace of git repositories cloned through GitRepoGraph.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{messages, run};
use relay_core::infra::{EnvKind, EnvSpec, EnvStatus, ExecRequest, InfraProvider, StopOptions};
use relay_core::{EventKind, Workspace};
use relay_infra::LocalProvider;
use relay_repos::GitRepoGraph;
use relay_testkit::git::git;

fn make_repo(path: &Path, file: &str, content: &str, message: &str) {
    std::fs::create_dir_all(path).unwrap();
    git(path, &["init", "-q", "-b", "main"]);
    std::fs::write(path.join(file), content).unwrap();
    git(path, &["add", "."]);
    git(path, &["commit", "-q", "-m", message]);
}

/// A workspace with `shared-api` and `backend` (depending on it), and a provider under it.
fn workspace(missing_repo: bool) -> (tempfile::TempDir, LocalProvider, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    make_repo(
        &ws.join("repos/shared-api"),
        "API.md",
        "v1 api\n",
        "api: first",
    );
    if !missing_repo {
        make_repo(
            &ws.join("repos/backend"),
            "main.py",
            "print('hi')\n",
            "backend: first",
        );
    }
    std::fs::write(
        ws.join("relay.yaml"),
        "repositories:\n  - name: shared-api\n    path: repos/shared-api\n  - name: backend\n    path: repos/backend\n    dependencies: [shared-api]\n",
    )
    .unwrap();
    let workspace = Workspace::load(ws.join("relay.yaml")).unwrap();
    let root = ws.join(".relay/envs");
    let provider = LocalProvider::builder(&root)
        .repos(Arc::new(GitRepoGraph::new(workspace)))
        .build()
        .unwrap();
    (dir, provider, root)
}

#[tokio::test]
async fn a_local_environment_through_its_whole_life() {
    let (_dir, provider, root) = workspace(false);
    let (env, events) = run(provider.provision(EnvSpec::new("feature-x"))).await;
    let env = env.unwrap();
    assert_eq!((env.kind, env.status), (EnvKind::Local, EnvStatus::Running));
    assert_eq!(env.memory_mb, Some(6144));
    let work = root.join("feature-x/work");
    assert_eq!(env.id, work.display().to_string());
    assert_eq!(
        std::fs::read_to_string(work.join("repos/shared-api/API.md")).unwrap(),
        "v1 api\n"
    );
    assert!(
        work.join("repos/backend/.git").exists(),
        "repositories are real clones"
    );
    let repos_done: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RepoFinished { repo, .. } => Some(repo.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        repos_done,
        vec!["shared-api", "backend"],
        "dependencies first"
    );
    assert!(
        messages(&events)
            .iter()
            .any(|m| m.starts_with("feature-x is ready in"))
    );

    let listed = provider.list().await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        vec!["feature-x"]
    );

    let out = provider
        .exec(
            "feature-x",
            ExecRequest::new(["git", "log", "--format=%s"]).cwd("repos/backend"),
        )
        .await
        .unwrap();
    assert_eq!(
        (out.exit_code, out.stdout.as_str()),
        (Some(0), "backend: first\n")
    );
    let out = provider
        .exec(
            "feature-x",
            ExecRequest::new(["sh", "-c", "cat; echo err >&2; exit 4"]).stdin("piped"),
        )
        .await
        .unwrap();
    assert_eq!(
        (out.exit_code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(4), "piped", "err\n")
    );
    let out = provider
        .exec(
            "feature-x",
            ExecRequest::new(["sh", "-c", "echo $RELAY_ENV"]),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout, "feature-x\n");

    let (snap, _) = run(provider.snapshot("feature-x", "clean")).await;
    assert_eq!(snap.unwrap().name, "clean");
    provider
        .exec(
            "feature-x",
            ExecRequest::new([
                "sh",
                "-c",
                "echo broken > repos/shared-api/API.md; touch junk",
            ]),
        )
        .await
        .unwrap();
    let (snap2, _) = run(provider.snapshot("feature-x", "broken")).await;
    assert_eq!(snap2.unwrap().parent.as_deref(), Some("clean"));
    let names: Vec<String> = provider
        .snapshots("feature-x")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["clean", "broken"]);
    let (rolled, _) = run(provider.rollback("feature-x", "clean")).await;
    rolled.unwrap();
    assert_eq!(
        std::fs::read_to_string(work.join("repos/shared-api/API.md")).unwrap(),
        "v1 api\n"
    );
    assert!(!work.join("junk").exists());
    let out = provider
        .exec(
            "feature-x",
            ExecRequest::new(["git", "status", "--porcelain"]).cwd("repos/shared-api"),
        )
        .await
        .unwrap();
    assert_eq!(
        out.stdout, "",
        "the git repository is intact after the rollback"
    );
    let (deleted, _) = run(provider.delete_snapshot("feature-x", "clean")).await;
    deleted.unwrap();
    let snaps = provider.snapshots("feature-x").await.unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(
        snaps[0].parent, None,
        "the child of a deleted snapshot is re-parented"
    );

    let (stopped, _) = run(provider.stop("feature-x", StopOptions::default())).await;
    assert_eq!(stopped.unwrap().status, EnvStatus::Stopped);
    let err = provider
        .exec("feature-x", ExecRequest::new(["true"]))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is stopped; start it with `relay env up feature-x`"),
        "{err}"
    );
    let (started, _) = run(provider.start("feature-x")).await;
    assert_eq!(started.unwrap().status, EnvStatus::Running);

    let (destroyed, _) = run(provider.destroy("feature-x")).await;
    destroyed.unwrap();
    assert!(
        std::fs::read_dir(&root).unwrap().next().is_none(),
        "nothing is left under the root"
    );
    assert_eq!(
        provider.status("feature-x").await.unwrap_err().code(),
        "not_found"
    );
}

#[tokio::test]
async fn commands_run_with_resource_limits() {
    let (_dir, provider, _) = workspace(false);
    run(provider.provision(EnvSpec::new("limited")))
        .await
        .0
        .unwrap();
    let out = provider
        .exec(
            "limited",
            ExecRequest::new(["sh", "-c", "ulimit -d; ulimit -c"]),
        )
        .await
        .unwrap();
    assert_eq!(
        out.stdout,
        format!("{}\n0\n", 6144 * 1024),
        "data limit in KiB, no core dumps"
    );
    let out = provider
        .exec(
            "limited",
            ExecRequest::new(["python3", "-c", "bytearray(8 * 1024**3)"]),
        )
        .await
        .unwrap();
    assert_eq!(
        out.exit_code,
        Some(1),
        "allocating 8 GiB beyond the 6 GiB profile fails"
    );
    assert!(out.stderr.contains("MemoryError"), "{}", out.stderr);
}

/// Alive and not a zombie (an orphan killed here may wait for a reaper that is slow to come).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_command_that_runs_too_long_is_killed_with_its_children() {
    let (_dir, provider, root) = workspace(false);
    run(provider.provision(EnvSpec::new("slow")))
        .await
        .0
        .unwrap();
    let request = ExecRequest::new(["sh", "-c", "sleep 30 & echo $! > bg.pid; sleep 30"])
        .timeout(Duration::from_millis(500));
    let err = provider.exec("slow", request).await.unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert!(
        err.to_string().contains("killed with its child processes"),
        "{err}"
    );
    let pid: i32 = std::fs::read_to_string(root.join("slow/work/bg.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut gone = false;
    for _ in 0..50 {
        if !alive(pid) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the background child {pid} was killed too");
}

#[tokio::test]
async fn a_failed_clone_leaves_nothing_behind() {
    let (_dir, provider, root) = workspace(true);
    let (env, _) = run(provider.provision(EnvSpec::new("partial"))).await;
    let err = env.unwrap_err();
    assert_eq!(err.code(), "repos");
    assert!(err.to_string().contains("backend"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
    assert!(
        left.is_empty(),
        "no environment and no staging directory remain: {left:?}"
    );
}

#[tokio::test]
async fn bad_requests_are_explained() {
    let (_dir, provider, _) = workspace(false);
    run(provider.provision(EnvSpec::new("one")))
        .await
        .0
        .unwrap();
    let (dup, _) = run(provider.provision(EnvSpec::new("one"))).await;
    assert_eq!(dup.unwrap_err().code(), "already_exists");
    let (lxc, _) = run(provider.provision(EnvSpec::new("two").kind(EnvKind::Lxc))).await;
    assert!(lxc.unwrap_err().to_string().contains("not lxc guests"));
    let (tmpl, _) = run(provider.provision(EnvSpec::new("two").template("9000"))).await;
    assert!(tmpl.unwrap_err().to_string().contains("no templates"));
    let (profile, _) = run(provider.provision(EnvSpec::new("two").profile("huge"))).await;
    assert!(
        profile
            .unwrap_err()
            .to_string()
            .contains("known profiles: developer, team_lead")
    );
    let err = provider
        .exec("one", ExecRequest::new(["true"]).cwd("/etc"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("must be relative"), "{err}");
    let err = provider
        .exec("one", ExecRequest::new(["true"]).cwd("../.."))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("without `..`"), "{err}");
    let err = provider
        .exec("one", ExecRequest::new(["/no/such/binary"]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot run `/no/such/binary`"),
        "{err}"
    );
    let (rb, _) = run(provider.rollback("one", "never")).await;
    assert!(
        rb.unwrap_err()
            .to_string()
            .contains("has no snapshot `never`")
    );
    run(provider.snapshot("one", "s")).await.0.unwrap();
    let (again, _) = run(provider.snapshot("one", "s")).await;
    assert!(
        again
            .unwrap_err()
            .to_string()
            .contains("already has a snapshot `s`")
    );
    assert_eq!(
        provider.status("nobody").await.unwrap_err().code(),
        "not_found"
    );
}
