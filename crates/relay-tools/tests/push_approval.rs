//! Pushing is hard to undo: `push_branches` and `commit_changes` with `push: true` run only after
//! a person approved the call, in real git repositories with bare origins. A commit without a
//! push asks nobody; sync and branch creation never discard work and ask nobody either.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use relay_core::approval::{
    AnswerSource, ApprovalAnswer, ApprovalDecision, ApprovalRequest, Approver,
};
use relay_core::tools::{ToolContext, ToolRegistry};
use relay_core::{RepoGraph, Workspace};
use relay_testkit::git::{git, write_workspace};
use relay_tools::ToolFamilies;
use serde_json::{Value, json};

/// Answers every request with `decision` as user "ann" and remembers the questions.
struct Recording {
    decision: ApprovalDecision,
    asked: Mutex<Vec<ApprovalRequest>>,
}

impl Recording {
    fn new(decision: ApprovalDecision) -> Arc<Self> {
        Arc::new(Recording {
            decision,
            asked: Mutex::new(Vec::new()),
        })
    }
    fn questions(&self) -> Vec<String> {
        let asked = self.asked.lock().unwrap();
        asked.iter().map(|r| r.question.clone()).collect()
    }
}

#[async_trait]
impl Approver for Recording {
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        self.asked.lock().unwrap().push(request);
        ApprovalAnswer::by("ann", self.decision, AnswerSource::Button)
    }
}

/// Two repositories (api <- web), each with a bare origin it tracks.
struct Repos {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Repos {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        write_workspace(&root, &[("api", &[]), ("web", &["api"])]);
        for name in ["api", "web"] {
            let repo = root.join(name);
            git(&repo, &["config", "user.name", "Test"]);
            git(&repo, &["config", "user.email", "test@example.com"]);
            let origin = root.join(format!("{name}.git"));
            git(&root, &["init", "-q", "--bare", origin.to_str().unwrap()]);
            git(
                &repo,
                &["remote", "add", "origin", origin.to_str().unwrap()],
            );
            git(&repo, &["push", "-q", "-u", "origin", "main"]);
        }
        Repos { _dir: dir, root }
    }

    fn registry(&self) -> ToolRegistry {
        let workspace = Workspace::load(self.root.join("relay.yaml")).unwrap();
        let graph: Arc<dyn RepoGraph> = Arc::new(relay_repos::GitRepoGraph::new(workspace));
        ToolRegistry::new().with_repo_tools(graph)
    }

    fn repo(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The commit `branch` points at in `name`'s origin, if the branch is there.
    fn origin_head(&self, name: &str, branch: &str) -> Option<String> {
        let origin = self.root.join(format!("{name}.git"));
        let out = std::process::Command::new("git")
            .args(["rev-parse", "--verify", "-q", branch])
            .current_dir(&origin)
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn change(&self, name: &str, text: &str) {
        std::fs::write(self.repo(name).join("README"), text).unwrap();
    }
}

fn head(repo: &Path) -> String {
    git(repo, &["rev-parse", "HEAD"]).trim().to_owned()
}

fn ctx() -> ToolContext {
    ToolContext::default()
}

async fn call(registry: &ToolRegistry, name: &str, args: Value) -> relay_core::tools::ToolOutput {
    registry.invoke(name, &args.to_string(), ctx()).await
}

#[tokio::test]
async fn a_commit_without_push_asks_nobody_and_publishes_nothing() {
    let repos = Repos::new();
    let before = repos.origin_head("api", "main");
    repos.change("api", "api v2");
    let out = call(
        &repos.registry(),
        "commit_changes",
        json!({"message": "v2", "all": true, "repos": ["api"]}),
    )
    .await;
    assert!(out.ok, "{out:?}");
    assert_eq!(out.value.get("pushed"), None);
    assert_ne!(Some(head(&repos.repo("api"))), before, "committed locally");
    assert_eq!(repos.origin_head("api", "main"), before, "nothing pushed");
}

#[tokio::test]
async fn commit_and_push_is_refused_without_an_approver_and_nothing_changes() {
    let repos = Repos::new();
    let local = head(&repos.repo("api"));
    repos.change("api", "api v2");
    let out = call(
        &repos.registry(),
        "commit_changes",
        json!({"message": "v2", "all": true, "push": true, "repos": ["api"]}),
    )
    .await;
    assert!(!out.ok);
    assert_eq!(
        out.value["error"],
        "`commit_changes` was not run: it needs a person's approval and nobody can be asked here"
    );
    assert_eq!(head(&repos.repo("api")), local, "not even the commit ran");
    assert_eq!(repos.origin_head("api", "main"), Some(local));
}

#[tokio::test]
async fn commit_and_push_asks_and_a_no_leaves_the_repositories_alone() {
    let repos = Repos::new();
    let local = head(&repos.repo("api"));
    repos.change("api", "api v2");
    let approver = Recording::new(ApprovalDecision::Deny);
    let registry = repos.registry().with_approver(approver.clone());
    let out = call(
        &registry,
        "commit_changes",
        json!({"message": "v2", "all": true, "push": true, "repos": ["api"]}),
    )
    .await;
    assert_eq!(
        out.value["error"],
        "`commit_changes` was not run: the user (ann) said no"
    );
    assert_eq!(
        approver.questions(),
        ["Commit \"v2\" and push the branches of api to their remotes? Allow it?"]
    );
    assert_eq!(head(&repos.repo("api")), local);
    assert_eq!(repos.origin_head("api", "main"), Some(local));
}

#[tokio::test]
async fn commit_and_push_runs_both_after_a_yes() {
    let repos = Repos::new();
    repos.change("api", "api v2");
    repos.change("web", "web v2");
    let approver = Recording::new(ApprovalDecision::Allow);
    let registry = repos.registry().with_approver(approver.clone());
    let out = call(
        &registry,
        "commit_changes",
        json!({"message": "v2", "all": true, "push": true, "repos": ["api", "web"]}),
    )
    .await;
    assert!(out.ok, "{out:?}");
    assert_eq!(approver.questions().len(), 1, "one question for the call");
    for name in ["api", "web"] {
        assert_eq!(
            repos.origin_head(name, "main"),
            Some(head(&repos.repo(name))),
            "{name} pushed"
        );
    }
    let pushed: Vec<(&str, &str)> = out.value["pushed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["action"].as_str().unwrap()))
        .collect();
    assert_eq!(pushed, [("api", "pushed"), ("web", "pushed")]);
    // A commit without push on the same registry asks nothing more.
    repos.change("api", "api v3");
    let out = call(
        &registry,
        "commit_changes",
        json!({"message": "v3", "all": true, "repos": ["api"]}),
    )
    .await;
    assert!(out.ok, "{out:?}");
    assert_eq!(approver.questions().len(), 1);
}

#[tokio::test]
async fn push_branches_always_asks_and_publishes_a_new_branch_only_after_a_yes() {
    let repos = Repos::new();
    let web = repos.repo("web");
    git(&web, &["switch", "-q", "-c", "feature/login"]);
    repos.change("web", "login");
    git(&web, &["commit", "-q", "-am", "login"]);

    let spec = repos.registry().spec("push_branches").unwrap();
    assert!(spec.needs_approval);
    let out = call(
        &repos.registry(),
        "push_branches",
        json!({"repos": ["web"]}),
    )
    .await;
    assert!(
        out.value["error"]
            .as_str()
            .unwrap()
            .contains("needs a person's approval")
    );

    let no = Recording::new(ApprovalDecision::Deny);
    let out = call(
        &repos.registry().with_approver(no.clone()),
        "push_branches",
        json!({"repos": ["web"]}),
    )
    .await;
    assert!(!out.ok);
    assert_eq!(
        no.questions(),
        ["Push the checked-out branches of web to their remotes? Allow it?"]
    );
    assert_eq!(repos.origin_head("web", "feature/login"), None);

    let yes = Recording::new(ApprovalDecision::Allow);
    let out = call(
        &repos.registry().with_approver(yes.clone()),
        "push_branches",
        json!({}),
    )
    .await;
    assert!(out.ok, "{out:?}");
    assert!(
        yes.questions()[0].contains("of the primary project and its related repositories"),
        "{:?}",
        yes.questions()
    );
    assert_eq!(
        repos.origin_head("web", "feature/login"),
        Some(head(&web)),
        "the new branch is on the remote"
    );
    assert_eq!(
        git(&web, &["rev-parse", "--abbrev-ref", "@{upstream}"]).trim(),
        "origin/feature/login"
    );
}

#[tokio::test]
async fn sync_and_branch_creation_ask_nobody_and_keep_local_work() {
    let repos = Repos::new();
    repos.change("api", "uncommitted work");
    let registry = repos.registry();
    for (tool, args) in [
        ("sync_repos", json!({"repos": ["api"]})),
        (
            "create_branch",
            json!({"name": "feature/x", "repos": ["api"]}),
        ),
    ] {
        assert!(!registry.spec(tool).unwrap().needs_approval, "{tool}");
        let out = call(&registry, tool, args).await;
        assert!(out.ok, "{tool}: {out:?}");
        assert_eq!(
            std::fs::read_to_string(repos.repo("api").join("README")).unwrap(),
            "uncommitted work",
            "{tool} kept the local change"
        );
    }
}
