//! Task polling against the fake PVE server: running → stopped, the request budget, and UPIDs.

mod common;

use std::time::{Duration, Instant};

use common::*;
use relay_core::infra::InfraError;
use relay_core::{EventKind, Job};
use relay_infra::proxmox::{PollSchedule, ProxmoxClient, TaskExit, Upid};

#[tokio::test]
async fn polling_follows_a_task_from_running_to_stopped_within_its_request_budget() {
    let pve = fake().await;
    let client = ProxmoxClient::new(settings(&pve).build().unwrap()).unwrap();
    let schedule = PollSchedule::default();
    for _ in 0..4 {
        let text = pve.start_bench_task("vzsnapshot", Duration::from_millis(900));
        let upid: Upid = text.parse().unwrap();
        assert_eq!(
            (upid.node.as_str(), upid.task_type.as_str()),
            ("pve", "vzsnapshot")
        );
        let started = Instant::now();
        let result = client.wait_task(&upid, None).await.unwrap();
        let waited = started.elapsed().as_secs_f64();
        assert_eq!(result.exit, TaskExit::Ok);
        assert!(
            Instant::now() >= pve.task_end(&text).unwrap(),
            "noticed only after the task stopped"
        );
        let polls = pve.task_status_polls(&text);
        assert_eq!(polls, result.polls);
        let allowed = schedule.budget_burst + schedule.budget_per_sec * waited;
        assert!(
            f64::from(polls) <= allowed,
            "{polls} polls in {waited:.2} s exceed the budget {allowed:.1}"
        );
    }
}

#[tokio::test]
async fn fixed_polling_asks_once_per_interval() {
    let pve = fake().await;
    let client = ProxmoxClient::new(settings(&pve).build().unwrap()).unwrap();
    let text = pve.start_bench_task("vzstart", Duration::from_millis(450));
    let upid: Upid = text.parse().unwrap();
    let result = client
        .wait_task_with(
            &upid,
            None,
            Duration::from_secs(10),
            PollSchedule::fixed(Duration::from_millis(200)),
        )
        .await
        .unwrap();
    assert_eq!(
        result.polls, 3,
        "polls at 200, 400 and 600 ms; the task stopped at 450 ms"
    );
}

#[tokio::test]
async fn a_job_gets_log_lines_while_the_wait_sleeps_until_the_expected_end() {
    let pve = fake().await;
    let client = ProxmoxClient::new(settings(&pve).build().unwrap()).unwrap();
    let length = Duration::from_secs(3);
    // Three vzcreate tasks of the same length make the type predictable: the next wait sleeps
    // until the expected end window opens (about 2 s in) before asking for the status.
    let teach = |_| {
        let (pve, client) = (&pve, client.clone());
        async move {
            let upid: Upid = pve.start_bench_task("vzcreate", length).parse().unwrap();
            client.wait_task(&upid, None).await.unwrap();
        }
    };
    futures::future::join_all((0..3).map(teach)).await;

    let steps: Vec<String> = (1..=30)
        .map(|i| format!("extracting part {i}/30"))
        .collect();
    let step_refs: Vec<&str> = steps.iter().map(String::as_str).collect();
    pve.script_task_outcome("vzcreate", "OK", &step_refs);
    let text = pve.start_bench_task("vzcreate", length);
    let upid: Upid = text.parse().unwrap();
    let waiter = client.clone();
    let mut job: Job<u32, InfraError> = Job::spawn("wait", move |ctx| async move {
        Ok(waiter.wait_task(&upid, Some(&ctx)).await?.polls)
    });
    let mut lines = Vec::new();
    let mut polls_at_first_line = None;
    while let Some(event) = job.next_event().await {
        if let EventKind::Log { line, .. } = event.kind {
            polls_at_first_line.get_or_insert_with(|| pve.task_status_polls(&text));
            lines.push(line);
        }
    }
    let polls = job.wait().await.unwrap();
    assert_eq!(
        polls_at_first_line,
        Some(0),
        "log lines streamed before the first status request"
    );
    assert_eq!(polls, pve.task_status_polls(&text));
    let mut expected: Vec<String> = vec!["working".into()];
    expected.extend(steps);
    expected.push("TASK OK".into());
    assert_eq!(lines, expected, "every log line once, in order");
}
