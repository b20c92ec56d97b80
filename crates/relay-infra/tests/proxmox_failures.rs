//! Failure paths against the fake PVE server: races, locks, transient errors, task failures,
//! timeouts, limits, cancellation, and error text from reason phrases and `errors` objects.

mod common;

use std::time::{Duration, Instant};

use common::*;
use relay_core::infra::{EnvKind, EnvSpec, InfraError, InfraProvider, StopOptions};
use relay_infra::proxmox::{ProxmoxClient, ProxmoxProvider, ProxmoxSettings};
use relay_testkit::proxmox::GuestKind;

#[tokio::test]
async fn an_id_taken_by_a_parallel_create_is_retried_with_a_fresh_id() {
    let pve = fake().await;
    pve.race_next_ids(2);
    let (env, events) = run(provider(&pve).provision(EnvSpec::new("racer"))).await;
    let env = env.unwrap();
    assert_eq!(
        env.id, "102",
        "ids 100 and 101 were taken by the parallel client"
    );
    let said = messages(&events);
    assert!(
        said.contains(&"id 100 was taken by a parallel create; trying another".to_string()),
        "{said:?}"
    );
    assert!(
        said.contains(&"id 101 was taken by a parallel create; trying another".to_string()),
        "{said:?}"
    );
    let refused: Vec<_> = pve
        .requests()
        .into_iter()
        .filter(|r| r.path == "nodes/pve/lxc" && r.status == 500)
        .collect();
    assert_eq!(refused.len(), 2);
}

#[tokio::test]
async fn id_races_give_up_after_the_configured_attempts() {
    let pve = fake().await;
    pve.race_next_ids(10);
    let settings = settings(&pve).nextid_attempts(3).build().unwrap();
    let (env, _) = run(ProxmoxProvider::new(settings)
        .unwrap()
        .provision(EnvSpec::new("racer")))
    .await;
    let err = env.unwrap_err().to_string();
    assert!(err.contains("CT 102 already exists on node 'pve'"), "{err}");
}

#[tokio::test]
async fn a_locked_guest_is_retried_until_the_lock_goes() {
    let pve = fake().await;
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("busy")))
        .await
        .0
        .unwrap();
    pve.lock_guest(100, "backup", 2);
    let (snap, _) = run(provider.snapshot("busy", "s1")).await;
    snap.unwrap();
    let posts: Vec<u16> = pve
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "nodes/pve/lxc/100/snapshot")
        .map(|r| r.status)
        .collect();
    assert_eq!(posts, vec![500, 500, 200]);
}

#[tokio::test]
async fn a_lock_that_outlasts_the_retries_is_reported_plainly() {
    let pve = fake().await;
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("busy")))
        .await
        .0
        .unwrap();
    pve.lock_guest(100, "backup", 100);
    let (snap, _) = run(provider.snapshot("busy", "s1")).await;
    let err = snap.unwrap_err();
    assert_eq!(err.code(), "api");
    assert_eq!(
        err.to_string(),
        "Proxmox refused POST /nodes/pve/lxc/100/snapshot (500): CT 100 is locked (backup)\n  (gave up after 4 attempts)"
    );
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff() {
    for (status, reason) in [
        (500, "got no worker upid - start worker failed"),
        (
            500,
            "can't lock file '/var/lock/lxc/pve-config-100.lock' - got timeout",
        ),
        (503, "Service Unavailable"),
        (596, "Connection timed out"),
    ] {
        let pve = fake().await;
        let provider = provider(&pve);
        pve.fail_requests(Some("POST"), "/status/start", status, reason, 2);
        let started = Instant::now();
        let (env, _) = run(provider.provision(EnvSpec::new("flaky"))).await;
        env.unwrap_or_else(|e| panic!("{reason}: {e}"));
        assert!(
            started.elapsed() >= Duration::from_millis(15),
            "backoff waited"
        );
        let starts: Vec<u16> = pve
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("status/start"))
            .map(|r| r.status)
            .collect();
        assert_eq!(starts, vec![status, status, 200], "{reason}");
    }
}

#[tokio::test]
async fn permanent_errors_are_not_retried() {
    let pve = fake().await;
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("ct"))).await.0.unwrap();
    let (rolled, _) = run(provider.rollback("ct", "nope")).await;
    let err = rolled.unwrap_err().to_string();
    assert_eq!(
        err,
        "Proxmox refused POST /nodes/pve/lxc/100/snapshot/nope/rollback (500): snapshot 'nope' does not exist"
    );
    let attempts = pve
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/rollback"))
        .count();
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn parameter_errors_from_the_errors_object_reach_the_user() {
    let pve = fake().await;
    let client = ProxmoxClient::new(settings(&pve).build().unwrap()).unwrap();
    let err = client
        .create_guest(
            "pve",
            relay_infra::proxmox::GuestKind::Lxc,
            &[
                ("vmid", "12".to_string()),
                ("memory", "lots".to_string()),
                ("bogus", "1".to_string()),
            ],
        )
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "Proxmox refused POST /nodes/pve/lxc (400): Parameter verification failed.\n  \
         bogus: property is not defined in schema and the schema does not allow additional properties\n  \
         ostemplate: property is missing and it is not optional"
    );
}

#[tokio::test]
async fn reason_phrases_carry_pve_error_text() {
    let pve = fake().await;
    let settings = ProxmoxSettings::builder(pve.url(), "nosuchnode")
        .token(TOKEN_ID, TOKEN_SECRET)
        .trust(relay_infra::proxmox::TlsTrust::CaPem(
            pve.ca_pem().to_string(),
        ))
        .lxc_template(DEBIAN)
        .build()
        .unwrap();
    let (env, _) = run(ProxmoxProvider::new(settings)
        .unwrap()
        .provision(EnvSpec::new("x")))
    .await;
    let err = env.unwrap_err().to_string();
    assert!(
        err.contains("(500): hostname lookup 'nosuchnode' failed"),
        "{err}"
    );
}

#[tokio::test]
async fn a_failed_task_carries_its_log_tail_and_leaves_nothing_behind() {
    let pve = fake().await;
    pve.script_task_outcome(
        "vzstart",
        "startup for container '100' failed",
        &[
            "lxc-start: 100: conf.c: run_buffer: 322 Script exited with status 32",
            "lxc-start: 100: start.c: Failed to run lxc.hook.pre-start",
        ],
    );
    let (env, events) = run(provider(&pve).provision(EnvSpec::new("doomed"))).await;
    let err = env.unwrap_err();
    assert_eq!(err.code(), "task_failed");
    let text = err.to_string();
    assert!(
        text.starts_with("task vzstart 100 on pve failed: startup for container '100' failed"),
        "{text}"
    );
    assert!(text.contains("Failed to run lxc.hook.pre-start"), "{text}");
    assert!(
        text.contains("TASK ERROR: startup for container '100' failed"),
        "{text}"
    );
    assert!(
        messages(&events)
            .iter()
            .any(|m| m.contains("removing lxc 100"))
    );
    assert!(
        pve.guest_ids().is_empty(),
        "the half-made container was destroyed"
    );
}

#[tokio::test]
async fn a_failed_create_task_is_reported() {
    let pve = fake().await;
    pve.script_task_outcome(
        "vzcreate",
        "unable to create CT 100 - no space left on device",
        &["extracting archive failed"],
    );
    let (env, _) = run(provider(&pve).provision(EnvSpec::new("full-disk"))).await;
    let text = env.unwrap_err().to_string();
    assert!(text.contains("no space left on device"), "{text}");
    assert!(pve.guest_ids().is_empty());
}

#[tokio::test]
async fn warnings_are_success_and_are_shown() {
    let pve = fake().await;
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("warned")))
        .await
        .0
        .unwrap();
    pve.script_task_outcome(
        "vzsnapshot",
        "WARNINGS: 1",
        &["WARN: fsfreeze not supported; snapshot may be inconsistent"],
    );
    let (snap, events) = run(provider.snapshot("warned", "s1")).await;
    snap.unwrap();
    assert!(
        messages(&events)
            .iter()
            .any(|m| m.contains("fsfreeze not supported"))
    );
}

#[tokio::test]
async fn a_task_that_runs_too_long_times_out() {
    let pve = fake().await;
    pve.set_task_duration_for("vzcreate", Duration::from_secs(30));
    let settings = settings(&pve)
        .task_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let (env, _) = run(ProxmoxProvider::new(settings)
        .unwrap()
        .provision(EnvSpec::new("slow")))
    .await;
    let err = env.unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert!(
        err.to_string()
            .starts_with("task vzcreate 100 on pve did not finish within 0.4 s"),
        "{err}"
    );
}

#[tokio::test]
async fn a_guest_that_ignores_shutdown_is_stopped() {
    let pve = fake().await;
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("stubborn")))
        .await
        .0
        .unwrap();
    pve.ignore_shutdown(100);
    let (env, events) = run(provider.stop(
        "stubborn",
        StopOptions {
            timeout: Duration::from_secs(2),
            force: false,
        },
    ))
    .await;
    assert_eq!(env.unwrap().status, relay_core::infra::EnvStatus::Stopped);
    let said = messages(&events);
    assert!(
        said.iter()
            .any(|m| m.contains("clean shutdown failed") && m.contains("container did not stop")),
        "{said:?}"
    );
    assert!(said.contains(&"stopping stubborn".to_string()));
    assert!(!pve.guest(100).unwrap().running);
}

#[tokio::test]
async fn operations_per_node_are_limited() {
    let pve = fake().await;
    let settings = settings(&pve).max_parallel_per_node(2).build().unwrap();
    let provider = ProxmoxProvider::new(settings).unwrap();
    let jobs: Vec<_> = (0..5)
        .map(|i| provider.provision(EnvSpec::new(format!("env-{i}"))))
        .collect();
    for result in futures::future::join_all(jobs.into_iter().map(|j| j.wait())).await {
        result.unwrap();
    }
    assert_eq!(pve.guest_ids().len(), 5);
    assert_eq!(pve.max_concurrent_tasks("pve"), 2);
}

#[tokio::test]
async fn cancelling_a_provision_stops_the_task_and_removes_the_guest() {
    let pve = fake().await;
    pve.set_task_duration_for("vzcreate", Duration::from_secs(30));
    let provider = provider(&pve);
    let mut job = provider.provision(EnvSpec::new("cancel-me"));
    // Wait until the create task runs, then cancel.
    while pve.task_upids().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    job.cancel();
    let events: Vec<_> = futures::StreamExt::collect::<Vec<_>>(&mut job).await;
    let err = job.wait().await.unwrap_err();
    assert!(
        matches!(err, InfraError::Job(relay_core::JobFailure::Cancelled)),
        "{err}"
    );
    assert!(!events.is_empty());
    assert!(
        pve.requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.starts_with("nodes/pve/tasks/UPID:pve:"))
    );
    assert!(
        pve.guest_ids().is_empty(),
        "the interrupted create leaves nothing"
    );
}

#[tokio::test]
async fn bad_requests_are_explained() {
    let pve = fake().await;
    let provider = provider(&pve);
    let (env, _) = run(provider.provision(EnvSpec::new("x").profile("huge"))).await;
    let err = env.unwrap_err().to_string();
    assert!(
        err.contains("unknown profile `huge`; known profiles: developer, team_lead"),
        "{err}"
    );
    let (env, _) = run(provider.provision(EnvSpec::new("Bad_Name"))).await;
    assert!(
        env.unwrap_err()
            .to_string()
            .contains("not a valid environment name")
    );
    let (env, _) = run(provider.provision(EnvSpec::new("vm").kind(EnvKind::Qemu))).await;
    assert!(env.unwrap_err().to_string().contains("no QEMU template"));
    run(provider.provision(EnvSpec::new("twice")))
        .await
        .0
        .unwrap();
    let (env, _) = run(provider.provision(EnvSpec::new("twice"))).await;
    let err = env.unwrap_err();
    assert_eq!(err.code(), "already_exists");
    let (snap, _) = run(provider.snapshot("twice", "1bad")).await;
    assert!(
        snap.unwrap_err()
            .to_string()
            .contains("not a valid snapshot name")
    );
    let (snap, _) = run(provider.snapshot("nobody", "ok")).await;
    assert_eq!(snap.unwrap_err().code(), "not_found");
    pve.add_guest(GuestKind::Lxc, 500, "not-ours", false);
    assert_eq!(
        provider.status("not-ours").await.unwrap_err().code(),
        "not_found",
        "untagged guests are not Relay's"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    let pve = fake().await;
    let url = pve.url().to_string();
    let ca = pve.ca_pem().to_string();
    drop(pve);
    let settings = ProxmoxSettings::builder(url.clone(), "pve")
        .token(TOKEN_ID, TOKEN_SECRET)
        .trust(relay_infra::proxmox::TlsTrust::CaPem(ca))
        .retries(2, Duration::from_millis(5), Duration::from_millis(5))
        .build()
        .unwrap();
    let err = ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "connect");
    assert!(
        err.to_string().starts_with(&format!("cannot reach {url}")),
        "{err}"
    );
}
