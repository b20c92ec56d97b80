//! What deliveries make Relay do, on real git repositories: a push to a sync rule's trigger
//! syncs the dependents with `relay sync`'s safety, CI results on the default branch become
//! notifications with sentences, and pull requests, reviews and issues are announced.

mod support;

use relay_core::event::{CiConclusion, Notification};
use relay_core::{EventKind, JobStatus, RepoOutcome, RuleAction};
use relay_testkit::git::git;
use relay_testkit::webhooks::{OctokitWebhooks, set};
use serde_json::{Value, json};
use support::*;

fn finished_ok(job: &[relay_core::Event]) {
    match &job.last().unwrap().kind {
        EventKind::JobFinished { status, error } => {
            assert_eq!((*status, error), (JobStatus::Succeeded, &None), "{job:#?}");
        }
        other => panic!("a job ends with job_finished, not {other:?}"),
    }
}

#[tokio::test]
async fn a_push_to_the_trigger_branch_syncs_the_dependents_and_leaves_dirty_work_alone() {
    let s = Sandbox::new();
    for name in ["shared-api", "backend", "frontend", "mobile", "docs"] {
        s.repo(name);
    }
    let api_after = s.push_upstream("shared-api", "api.txt");
    let backend_after = s.push_upstream("backend", "bump.txt");
    let frontend_after = s.push_upstream("frontend", "bump.txt");
    s.push_upstream("mobile", "bump.txt");
    s.push_upstream("docs", "docs.txt");
    // Someone is working in mobile: uncommitted changes.
    let mobile = s.root().join("mobile");
    std::fs::write(mobile.join("README.md"), "# work in progress\n").unwrap();
    std::fs::write(mobile.join("notes.txt"), "untracked\n").unwrap();
    let mobile_before = fingerprint(&mobile);
    let docs_before = fingerprint(&s.root().join("docs"));

    let ws = s.workspace(&format!(
        "repositories:\n{}{}{}{}{}sync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend, frontend, mobile]\n",
        repo_yaml("shared-api", &[]),
        repo_yaml("backend", &["shared-api"]),
        repo_yaml("frontend", &["shared-api"]),
        repo_yaml("mobile", &["shared-api"]),
        repo_yaml("docs", &[]),
    ));
    let mut server = start(ws).await;
    let a = server
        .deliver(
            "push",
            &delivery_id(),
            &push_payload("shared-api", "main", &api_after),
        )
        .await;
    assert_eq!(a.status, 202, "{a:?}");
    let job = server.next_job().await;
    assert_eq!(operation(&job), "webhook push");
    finished_ok(&job);

    // The trigger and the dependents were synced like `relay sync --repo ...`.
    assert_eq!(head(&s.root().join("shared-api")), api_after);
    assert_eq!(head(&s.root().join("backend")), backend_after);
    assert_eq!(head(&s.root().join("frontend")), frontend_after);
    // Dirty work is untouched, byte for byte; a repository outside the rule is not synced.
    assert_eq!(fingerprint(&mobile), mobile_before);
    assert_eq!(fingerprint(&s.root().join("docs")), docs_before);

    // The job's stream tells each repository's outcome and ends with the rule's notification.
    let finished: Vec<(String, RepoOutcome)> = job
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RepoFinished { repo, outcome, .. } => Some((repo.clone(), *outcome)),
            _ => None,
        })
        .collect();
    assert!(
        finished.contains(&("mobile".into(), RepoOutcome::Skipped)),
        "{finished:?}"
    );
    assert!(
        finished.contains(&("backend".into(), RepoOutcome::Success)),
        "{finished:?}"
    );
    assert!(!finished.iter().any(|(r, _)| r == "docs"), "{finished:?}");
    let said = notifications(&job);
    let [
        Notification::SyncRule {
            trigger,
            action,
            repos,
            updated,
            skipped,
            failed,
        },
    ] = &said[..]
    else {
        panic!("one sync rule notification, got {said:?}");
    };
    assert_eq!(
        (trigger.as_str(), *action),
        ("shared-api:main", RuleAction::UpdateDependents)
    );
    assert_eq!(repos, &["backend", "frontend", "mobile"]);
    assert_eq!(updated, &["backend", "frontend"]);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped, &["mobile (uncommitted changes)"]);
    assert!(failed.is_empty());
    let sentence = said[0].sentence();
    assert_eq!(
        sentence,
        "shared-api's main changed on GitHub: updated backend and frontend; skipped mobile (uncommitted changes)."
    );
    // The full reason is in the job's stream.
    assert!(
        job.iter().any(
            |e| matches!(&e.kind, EventKind::RepoFinished { repo, summary, .. }
        if repo == "mobile" && summary.contains("commit or stash them"))
        ),
        "{job:#?}"
    );
}

#[tokio::test]
async fn a_notify_rule_only_notifies() {
    let s = Sandbox::new();
    s.repo("shared-api");
    let backend = s.repo("backend");
    let api_after = s.push_upstream("shared-api", "api.txt");
    s.push_upstream("backend", "bump.txt");
    let api_before = fingerprint(&s.root().join("shared-api"));
    let backend_before = fingerprint(&backend);
    let ws = s.workspace(&format!(
        "repositories:\n{}{}sync_rules:\n  - trigger: \"shared-api:main\"\n    action: notify\n    notify: [backend]\n",
        repo_yaml("shared-api", &[]),
        repo_yaml("backend", &["shared-api"]),
    ));
    let mut server = start(ws).await;
    let a = server
        .deliver(
            "push",
            &delivery_id(),
            &push_payload("shared-api", "main", &api_after),
        )
        .await;
    assert_eq!(a.status, 202);
    let job = server.next_job().await;
    finished_ok(&job);
    let said = notifications(&job);
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(
        said[0].sentence(),
        "shared-api's main changed on GitHub; backend is affected."
    );
    assert_eq!(fingerprint(&s.root().join("shared-api")), api_before);
    assert_eq!(fingerprint(&backend), backend_before);
    git(&backend, &["status"]);
}

fn workspace_of_two() -> (Sandbox, relay_core::Workspace) {
    let s = Sandbox::new();
    s.repo("backend");
    s.repo("frontend");
    let ws = s.workspace(&format!(
        "repositories:\n{}{}",
        repo_yaml("backend", &[]),
        repo_yaml("frontend", &["backend"]),
    ));
    (s, ws)
}

#[tokio::test]
async fn ci_failure_then_success_on_the_default_branch_is_green_again() {
    let (_s, ws) = workspace_of_two();
    let mut server = start(ws).await;
    let mut said = Vec::new();
    for (branch, conclusion) in [
        ("main", "failure"),
        ("feature", "success"),
        ("main", "success"),
    ] {
        let body = check_suite_payload("backend", branch, conclusion);
        assert_eq!(
            server
                .deliver("check_suite", &delivery_id(), &body)
                .await
                .status,
            202
        );
    }
    // The feature branch is not watched: two jobs, not three.
    for _ in 0..2 {
        let job = server.next_job().await;
        assert_eq!(operation(&job), "webhook check_suite");
        finished_ok(&job);
        said.extend(notifications(&job));
    }
    let conclusions: Vec<(CiConclusion, Option<CiConclusion>)> = said
        .iter()
        .map(|n| match n {
            Notification::Ci {
                repo,
                branch,
                name,
                conclusion,
                previous,
                ..
            } => {
                assert_eq!(
                    (repo.as_str(), branch.as_str(), name.as_str()),
                    ("backend", "main", "GitHub Actions")
                );
                (*conclusion, *previous)
            }
            other => panic!("a CI notification, not {other:?}"),
        })
        .collect();
    assert_eq!(
        conclusions,
        [
            (CiConclusion::Failure, None),
            (CiConclusion::Success, Some(CiConclusion::Failure))
        ]
    );
    let sentences: Vec<String> = said.iter().map(Notification::sentence).collect();
    assert_eq!(
        sentences,
        [
            "CI on backend failed on main (GitHub Actions).",
            "CI on backend is green again."
        ]
    );
    // The event stream carries them as typed, tagged JSON.
    let json = serde_json::to_value(EventKind::Notification(said[1].clone())).unwrap();
    assert_eq!(
        (json["type"].as_str(), json["kind"].as_str()),
        (Some("notification"), Some("ci"))
    );
}

fn payload(key: &str, edits: &[(&str, Value)]) -> Vec<u8> {
    let gh = OctokitWebhooks::load();
    let mut p = gh.instance(key);
    for (pointer, value) in edits {
        set(&mut p, pointer, value.clone());
    }
    gh.assert_valid(key, &p);
    serde_json::to_vec(&p).unwrap()
}

fn repo_edits(name: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("/repository/full_name", json!(format!("acme/{name}"))),
        (
            "/repository/clone_url",
            json!(format!("https://github.com/acme/{name}.git")),
        ),
        (
            "/repository/ssh_url",
            json!(format!("git@github.com:acme/{name}.git")),
        ),
        ("/repository/default_branch", json!("main")),
    ]
}

#[tokio::test]
async fn workflow_runs_pull_requests_reviews_and_issues_are_announced() {
    let (_s, ws) = workspace_of_two();
    let mut server = start(ws).await;
    let mut edits = repo_edits("frontend");
    edits.extend([
        ("/action", json!("completed")),
        ("/workflow_run/name", json!("tests")),
        ("/workflow_run/head_branch", json!("main")),
        ("/workflow_run/status", json!("completed")),
        ("/workflow_run/conclusion", json!("failure")),
        (
            "/workflow_run/html_url",
            json!("https://github.com/acme/frontend/actions/runs/1"),
        ),
    ]);
    let deliveries = [
        ("workflow_run", payload("workflow-run-completed", &edits)),
        ("pull_request", {
            let mut e = repo_edits("frontend");
            e.extend([
                ("/action", json!("opened")),
                ("/number", json!(12)),
                ("/pull_request/number", json!(12)),
                ("/pull_request/title", json!("Add login")),
                ("/pull_request/draft", json!(false)),
                ("/pull_request/user/login", json!("maria")),
            ]);
            payload("pull-request-opened", &e)
        }),
        ("pull_request_review", {
            let mut e = repo_edits("frontend");
            e.extend([
                ("/action", json!("submitted")),
                ("/pull_request/number", json!(12)),
                ("/review/state", json!("approved")),
                ("/review/user/login", json!("sam")),
            ]);
            payload("pull-request-review-submitted", &e)
        }),
        ("issues", {
            let mut e = repo_edits("backend");
            e.extend([
                ("/action", json!("opened")),
                ("/issue/number", json!(7)),
                ("/issue/title", json!("Login fails")),
            ]);
            let mut p: Value = serde_json::from_slice(&payload("issues-opened", &e)).unwrap();
            let label = json!({"id": 1, "node_id": "L", "url": "https://api.github.com/l", "name": "urgent",
                "color": "ff0000", "default": false, "description": null});
            set(&mut p, "/issue/labels", json!([label]));
            OctokitWebhooks::load().assert_valid("issues-opened", &p);
            serde_json::to_vec(&p).unwrap()
        }),
    ];
    for (event, body) in &deliveries {
        let a = server.deliver(event, &delivery_id(), body).await;
        assert_eq!(a.status, 202, "{event}: {a:?}");
    }
    let mut sentences = Vec::new();
    for (event, _) in &deliveries {
        let job = server.next_job().await;
        assert_eq!(operation(&job), format!("webhook {event}"));
        finished_ok(&job);
        sentences.extend(notifications(&job).iter().map(Notification::sentence));
    }
    assert_eq!(
        sentences,
        [
            "CI on frontend failed on main (tests).",
            "New pull request in frontend from maria: Add login (#12).",
            "sam approved pull request 12 in frontend.",
            "New issue in backend: Login fails (#7), marked urgent.",
        ]
    );
}
