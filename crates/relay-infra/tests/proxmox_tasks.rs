//! Task polling against the fake PVE server: running → stopped, the request budget, and UPIDs.

mod common;

use std::time::{Duration, Instant};

use common::*;
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
