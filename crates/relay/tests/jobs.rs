//! Durable jobs through the facade: an interrupted sync (its process gone) is found
//! `interrupted` and resumed without touching the repositories it finished; a cancel request
//! from another handle stops a running job; a queued job is run by a worker.

use std::time::Duration;

use relay::core::repo::RepoSelection;
use relay::core::store::{JobFilter, JobState};
use relay::{AgentChoice, AgentConfig, JobSpec, Relay, StoreChoice};

async fn relay_at(ws: &std::path::Path) -> Relay {
    Relay::builder()
        .workspace(ws)
        .store(StoreChoice::Configured)
        .user("ann")
        .build()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_sync_resumes_with_only_the_repositories_left() {
    let dir = tempfile::tempdir().unwrap();
    let sample = relay::repos::demo::create_sample_workspace(&dir.path().join("acme")).unwrap();
    let relay = relay_at(&sample.workspace).await;
    let spec = JobSpec::sync(&relay, &RepoSelection::All).unwrap();
    assert_eq!(spec.repos().len(), 4);
    let first = spec.repos()[0].clone();

    // A sync whose process died after finishing the first repository: its owner is a process
    // that does not exist on this host.
    let mut record = relay.create_job(&spec, JobState::Running).await.unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    record.owner = Some(format!("{}:4194304", host.trim()));
    record.done = vec![first.clone()];
    relay
        .store()
        .unwrap()
        .put_job(record.clone())
        .await
        .unwrap();

    let later = relay_at(&sample.workspace).await;
    let jobs = later.jobs(JobFilter::default()).await.unwrap();
    assert_eq!(jobs[0].state, JobState::Interrupted);
    assert!(
        jobs[0]
            .message
            .as_deref()
            .unwrap()
            .contains("1 of 4 repositories finished")
    );

    let result = later
        .resume_job(&record.id)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let synced: Vec<&str> = result["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(synced.len(), 3, "{result}");
    assert!(
        !synced.contains(&first.as_str()),
        "the finished repository is not synced again"
    );
    let root = sample.workspace.clone();
    assert!(!root.join(&first).exists(), "{first} was not cloned again");
    for repo in &synced {
        assert!(root.join(repo).join(".git").exists(), "{repo} cloned");
    }
    let done = later.job(&record.id).await.unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.done.len(), 4);
    assert!(!later.job_events(&record.id).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_request_from_elsewhere_stops_a_running_job_and_a_worker_runs_queued_ones() {
    let dir = tempfile::tempdir().unwrap();
    let sample = relay::repos::demo::create_sample_workspace(&dir.path().join("acme")).unwrap();
    let relay = relay_at(&sample.workspace).await;
    relay
        .require_graph()
        .unwrap()
        .sync(Default::default())
        .wait()
        .await
        .unwrap();
    let config = AgentConfig::new(AgentChoice::Shell);
    let spec = JobSpec::agent_run(
        &relay,
        &config,
        "sleep 60",
        &RepoSelection::Named(vec!["shared-api".into()]),
        false,
    )
    .unwrap();
    let (record, job) = relay.start_job(&spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let other = relay_at(&sample.workspace).await;
    let asked = other.cancel_job(&record.id).await.unwrap();
    assert!(asked.cancel_requested);
    assert!(job.wait().await.is_err());
    assert_eq!(
        other.job(&record.id).await.unwrap().state,
        JobState::Cancelled
    );
    assert!(
        other
            .cancel_job(&record.id)
            .await
            .unwrap_err()
            .to_string()
            .contains("already cancelled")
    );

    // Queued: a cancelled one is skipped, the other runs once.
    let marker = dir.path().join("ran");
    let run = JobSpec::agent_run(
        &relay,
        &config,
        &format!("touch {}", marker.display()),
        &RepoSelection::Named(vec!["shared-api".into()]),
        false,
    )
    .unwrap();
    let skipped = relay.enqueue_job(&run).await.unwrap();
    relay.cancel_job(&skipped.id).await.unwrap();
    let queued = relay.enqueue_job(&run).await.unwrap();
    let ran = relay
        .work("w1", Duration::from_secs(30), true, Default::default())
        .await
        .unwrap();
    assert_eq!(ran, vec![queued.id.clone()]);
    assert!(
        relay
            .work("w1", Duration::from_secs(30), true, Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        relay.job(&queued.id).await.unwrap().state,
        JobState::Succeeded
    );
    assert_eq!(
        relay.job(&skipped.id).await.unwrap().state,
        JobState::Cancelled
    );
    assert!(marker.exists());
    assert_eq!(relay.store().unwrap().queue_len().await.unwrap(), 0);
}
