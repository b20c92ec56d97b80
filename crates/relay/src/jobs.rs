//! Durable jobs: long operations recorded in the store with their events as they run, found
//! `interrupted` after their process died, resumed without redoing finished repositories, and
//! queued for workers (`relay run --detach`, `relay worker`).

use std::sync::Arc;
use std::time::Duration;

use relay_core::repo::{RepoSelection, SyncOptions};
use relay_core::store::{JobFilter, JobRecord, JobState, Store};
use relay_core::tools::Permission;
use relay_core::{Event, EventKind, Job, JobFailure, RepoOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{AgentChoice, AgentConfig, AgentOptions, Error, Relay};

/// How often a running job shows it is alive (and looks for a cancel request).
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A running job whose owner on another host gave no sign of life for this long is
/// interrupted.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

/// What a durable job does: enough to start it, resume it or hand it to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "snake_case")]
pub enum JobSpec {
    /// Sync these repositories (clone, fetch, fast-forward).
    Sync {
        /// The repositories, in dependency order.
        repos: Vec<String>,
    },
    /// Run a coding task in these repositories, in dependency order.
    AgentRun {
        /// The prompt (Claude Code) or command line (shell agent).
        task: String,
        /// `claude` or `shell`.
        agent: String,
        /// Claude Code's model, if chosen.
        model: Option<String>,
        /// Stop one repository's run after this many seconds.
        timeout_secs: Option<u64>,
        /// Run a repository even when a dependency failed.
        keep_going: bool,
        /// The repositories, in dependency order.
        repos: Vec<String>,
        /// Tools, permission mode and limits, so a resume runs as the start did.
        #[serde(default)]
        options: AgentOptions,
    },
    /// Act on an accepted GitHub webhook delivery (sync rules, notifications); queued by
    /// `relay serve` when it has a store.
    Webhook(relay_server::webhooks::DeliveryJob),
}

impl JobSpec {
    /// `sync` or `agent_run`.
    pub fn operation(&self) -> &'static str {
        match self {
            JobSpec::Sync { .. } => "sync",
            JobSpec::AgentRun { .. } => "agent_run",
            JobSpec::Webhook(_) => relay_server::webhooks::WEBHOOK_OPERATION,
        }
    }

    /// The repositories it covers.
    pub fn repos(&self) -> &[String] {
        match self {
            JobSpec::Sync { repos } | JobSpec::AgentRun { repos, .. } => repos,
            JobSpec::Webhook(job) => &job.repos,
        }
    }

    /// A sync of `selection` in `relay`'s workspace (`All`: the auto-synced repositories).
    pub fn sync(relay: &Relay, selection: &RepoSelection) -> Result<Self, Error> {
        let workspace = relay.require_graph()?.workspace().clone();
        let mut repos = selection.resolve(&workspace)?;
        if matches!(selection, RepoSelection::All) {
            repos.retain(|r| workspace.repo(r).is_some_and(|spec| spec.auto_sync));
        }
        Ok(JobSpec::Sync { repos })
    }

    /// An agent run of `task` by `config` over `selection`.
    pub fn agent_run(
        relay: &Relay,
        config: &AgentConfig,
        task: &str,
        selection: &RepoSelection,
        keep_going: bool,
    ) -> Result<Self, Error> {
        let workspace = relay.require_graph()?.workspace().clone();
        Ok(JobSpec::AgentRun {
            task: task.to_owned(),
            agent: config.choice().to_string(),
            model: config.model_name().map(str::to_owned),
            timeout_secs: config.timeout_duration().map(|d| d.as_secs()),
            keep_going,
            repos: selection.resolve(&workspace)?,
            options: config.kept_options(),
        })
    }
}

/// `host:pid` of this process.
fn this_owner() -> String {
    format!("{}:{}", host_name(), std::process::id())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether the process `owner` (`host:pid`) is gone: on this host, no such live process; on
/// another, no heartbeat for [`STALE_AFTER`].
fn owner_is_gone(owner: Option<&str>, heartbeat_ms: u64) -> bool {
    let stale = relay_store::now_ms().saturating_sub(heartbeat_ms) > STALE_AFTER.as_millis() as u64;
    let Some((host, pid)) = owner.and_then(|o| o.rsplit_once(':')) else {
        return stale;
    };
    if host != host_name() {
        return stale;
    }
    if pid == std::process::id().to_string() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie has exited; it only waits for its parent.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        // No such process; without /proc (not Linux) only the heartbeat can tell.
        Err(_) => std::path::Path::new("/proc/self").exists() || stale,
    }
}

impl Relay {
    /// Creates the record of a new job for `spec`, `Running` by this process (or `Queued`).
    pub async fn create_job(&self, spec: &JobSpec, state: JobState) -> Result<JobRecord, Error> {
        let store = self.require_store()?;
        let now = relay_store::now_ms();
        let record = JobRecord {
            id: relay_store::token::random_id("job"),
            operation: spec.operation().to_owned(),
            user: self.caller().user.clone(),
            state,
            spec: serde_json::to_value(spec).unwrap_or(Value::Null),
            done: Vec::new(),
            resume: Default::default(),
            owner: (state == JobState::Running).then(this_owner),
            heartbeat_ms: now,
            cancel_requested: false,
            created_ms: now,
            updated_ms: now,
            message: None,
        };
        store.put_job(record.clone()).await?;
        Ok(record)
    }

    /// `inner` recorded as job `record`: each event is appended to the job's history as it
    /// happens, each repository that succeeds joins `done`, a heartbeat shows the process is
    /// alive, a cancel request from another process (`relay jobs cancel`) cancels it, and the
    /// final state is written at the end. The events pass through unchanged.
    pub fn recorded<T, E>(&self, record: JobRecord, inner: Job<T, E>) -> Job<T, E>
    where
        T: Send + 'static,
        E: From<JobFailure> + std::fmt::Display + Send + 'static,
    {
        let operation = record.operation.clone();
        self.recorded_as(record, operation, inner)
    }

    /// [`recorded`](Self::recorded), its `job_started` event naming `operation`.
    fn recorded_as<T, E>(&self, record: JobRecord, operation: String, inner: Job<T, E>) -> Job<T, E>
    where
        T: Send + 'static,
        E: From<JobFailure> + std::fmt::Display + Send + 'static,
    {
        let Some(store) = self.store() else {
            return inner;
        };
        Job::spawn(operation, move |ctx| async move {
            let recorder = Recorder::new(store, record);
            recorder.running().await;
            let heartbeat = tokio::spawn(recorder.clone().heartbeat(ctx.cancellation_token()));
            let mut inner = inner;
            loop {
                let event = tokio::select! {
                    event = inner.next_event() => event,
                    _ = ctx.cancelled() => {
                        inner.cancel();
                        inner.next_event().await
                    }
                };
                let Some(event) = event else { break };
                recorder.observe(&event).await;
                match event.kind {
                    EventKind::JobStarted { .. } | EventKind::JobFinished { .. } => {}
                    kind => ctx.emit(kind).await,
                }
            }
            heartbeat.abort();
            let result = inner.wait().await;
            let (state, message) = match &result {
                Ok(_) => (JobState::Succeeded, None),
                Err(_) if ctx.is_cancelled() => (JobState::Cancelled, None),
                Err(e) => (JobState::Failed, Some(e.to_string())),
            };
            recorder.finish(state, message).await;
            result
        })
    }

    /// Jobs matching `filter`, newest first; running jobs whose process died are marked
    /// `interrupted` first. Everyone's with the `team` permission, else the caller's own.
    pub async fn jobs(&self, mut filter: JobFilter) -> Result<Vec<JobRecord>, Error> {
        let store = self.require_store()?;
        if !self.caller().may(Permission::Team) {
            filter.user = Some(self.caller().user.clone());
        }
        let states = std::mem::take(&mut filter.states);
        let mut jobs = store.jobs(filter).await?;
        for job in &mut jobs {
            self.mark_if_interrupted(&*store, job).await?;
        }
        jobs.retain(|j| states.is_empty() || states.contains(&j.state));
        Ok(jobs)
    }

    /// The job `id` (marked `interrupted` when its process died).
    pub async fn job(&self, id: &str) -> Result<JobRecord, Error> {
        let store = self.require_store()?;
        let mut job = store
            .job(id)
            .await?
            .ok_or_else(|| Error::usage(format!("no job `{id}`; `relay jobs` lists them")))?;
        if job.user != self.caller().user {
            self.require(Permission::Team, &format!("see {}'s job {id}", job.user))?;
        }
        self.mark_if_interrupted(&*store, &mut job).await?;
        Ok(job)
    }

    /// The events job `id` recorded, in order.
    pub async fn job_events(&self, id: &str) -> Result<Vec<Value>, Error> {
        self.job(id).await?;
        Ok(self.require_store()?.job_events(id).await?)
    }

    /// Cancels job `id`: a queued or interrupted one at once, a running one by asking its
    /// process (it stops within a heartbeat).
    pub async fn cancel_job(&self, id: &str) -> Result<JobRecord, Error> {
        let mut job = self.job(id).await?;
        if job.state.is_final() {
            return Err(Error::usage(format!(
                "job {id} already {}; nothing to cancel",
                job.state.as_str()
            )));
        }
        if job.state == JobState::Running {
            job.cancel_requested = true;
        } else {
            job.state = JobState::Cancelled;
            job.message = Some(format!("cancelled by {}", self.caller().user));
        }
        job.updated_ms = relay_store::now_ms();
        self.require_store()?.put_job(job.clone()).await?;
        Ok(job)
    }

    /// Runs what is left of job `id` in this process: an `interrupted` or `failed` job (or a
    /// `queued` one) continues with the repositories not yet done; those done are not done
    /// again. A Claude run resumes the interrupted repository's session (`--resume`).
    pub async fn resume_job(&self, id: &str) -> Result<Job<Value, Error>, Error> {
        let mut record = self.job(id).await?;
        match record.state {
            JobState::Interrupted | JobState::Failed | JobState::Queued => {}
            JobState::Running => {
                return Err(Error::usage(format!(
                    "job {id} is still running ({}); cancel it first or wait",
                    record.owner.as_deref().unwrap_or("unknown process")
                )));
            }
            state => {
                return Err(Error::usage(format!(
                    "job {id} is {}; only an interrupted, failed or queued job can be resumed",
                    state.as_str()
                )));
            }
        }
        record.state = JobState::Running;
        record.owner = Some(this_owner());
        record.cancel_requested = false;
        self.run_record(record)
    }

    /// Starts `spec` as a new recorded job in this process.
    pub async fn start_job(&self, spec: &JobSpec) -> Result<(JobRecord, Job<Value, Error>), Error> {
        let record = self.create_job(spec, JobState::Running).await?;
        Ok((record.clone(), self.run_record(record)?))
    }

    /// Puts `spec` on the queue for a worker (`relay worker`).
    pub async fn enqueue_job(&self, spec: &JobSpec) -> Result<JobRecord, Error> {
        let record = self.create_job(spec, JobState::Queued).await?;
        self.require_store()?.enqueue(&record.id).await?;
        Ok(record)
    }

    /// Works the queue as `worker`: claims a job (a new one, or one whose worker died and whose
    /// lease of `lease` ran out), runs what is left of it, renews the lease while it runs and
    /// acknowledges it at the end; a cancelled or finished job is only acknowledged. Returns
    /// after one job (or when the queue is empty) with `once`, else runs until `stop` is
    /// cancelled. Returns the ids of the jobs it ran. See [`Worker`] for more options.
    pub async fn work(
        &self,
        worker: &str,
        lease: Duration,
        once: bool,
        stop: tokio_util::sync::CancellationToken,
    ) -> Result<Vec<String>, Error> {
        let mut ran = Vec::new();
        self.worker(worker, lease)
            .stop(stop)
            .until(if once {
                WorkUntil::OneJob
            } else {
                WorkUntil::Stopped
            })
            .run(|job| ran.push(job.id.clone()))
            .await?;
        Ok(ran)
    }

    /// A worker of the store's queue called `name`, holding each claim for `lease` (renewed
    /// while the job runs); configure it and [`Worker::run`] it.
    pub fn worker(&self, name: &str, lease: Duration) -> Worker<'_> {
        Worker {
            relay: self,
            name: name.to_owned(),
            lease,
            until: WorkUntil::Stopped,
            stop: tokio_util::sync::CancellationToken::new(),
            events: None,
        }
    }

    /// Runs one claimed job to its end (renewing the lease meanwhile) and acknowledges it;
    /// `None` when there was nothing to run.
    async fn work_claim(
        &self,
        store: &Arc<dyn Store>,
        claim: relay_core::store::Claim,
        lease: Duration,
        events: Option<&tokio::sync::broadcast::Sender<Event>>,
    ) -> Result<Option<JobRecord>, Error> {
        let Some(mut record) = store.job(&claim.job_id).await? else {
            tracing::warn!(job = %claim.job_id, "a queued job has no record; dropped");
            store.ack(&claim).await?;
            return Ok(None);
        };
        if record.state.is_final() {
            store.ack(&claim).await?;
            return Ok(None);
        }
        tracing::info!(job = %record.id, attempt = claim.attempts, worker = %claim.worker, "running a queued job");
        record.state = JobState::Running;
        record.owner = Some(this_owner());
        let mut job = self.run_record(record.clone())?;
        let renewer = {
            let store = store.clone();
            let claim = claim.clone();
            let cancel = job.cancellation_token();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    match store.renew(&claim, lease).await {
                        Ok(true) => {}
                        // Taken over: another worker runs it now; stop ours.
                        Ok(false) => {
                            cancel.cancel();
                            break;
                        }
                        Err(e) => tracing::warn!(error = %e, "lease renewal failed"),
                    }
                }
            })
        };
        if let Some(events) = events {
            while let Some(event) = job.next_event().await {
                // No subscriber is fine: the store keeps the events.
                let _ = events.send(event);
            }
        }
        let result = job.wait().await;
        renewer.abort();
        if let Err(e) = &result {
            tracing::warn!(job = %record.id, error = %e, "a queued job failed");
        }
        store.ack(&claim).await?;
        Ok(Some(store.job(&record.id).await?.unwrap_or(record)))
    }

    /// The job for `record`'s remaining repositories, recorded.
    fn run_record(&self, record: JobRecord) -> Result<Job<Value, Error>, Error> {
        let spec: JobSpec = serde_json::from_value(record.spec.clone()).map_err(|e| {
            Error::usage(format!(
                "job {} has a spec this Relay cannot read: {e}",
                record.id
            ))
        })?;
        let graph = self.require_graph()?;
        let remaining: Vec<String> = spec
            .repos()
            .iter()
            .filter(|r| !record.done.contains(r))
            .cloned()
            .collect();
        let selection = RepoSelection::Named(remaining.clone());
        let inner: Job<Value, Error> = match &spec {
            JobSpec::Webhook(delivery) => {
                let job = delivery.clone().run(graph.clone(), &record.done);
                Job::spawn("webhook", move |ctx| async move {
                    ctx.forward(job).await.map_err(|e| match e {
                        relay_server::webhooks::ActionError::Repo(e) => Error::Repo(e),
                        relay_server::webhooks::ActionError::Job(e) => Error::Job(e),
                    })?;
                    Ok(Value::Null)
                })
            }
            JobSpec::Sync { .. } => {
                let job = graph.sync(SyncOptions::new().repos(selection));
                Job::spawn("sync", move |ctx| async move {
                    let report = ctx.forward(job).await?;
                    Ok(serde_json::to_value(report).unwrap_or(Value::Null))
                })
            }
            JobSpec::AgentRun {
                task,
                agent,
                model,
                timeout_secs,
                keep_going,
                options,
                ..
            } => {
                let choice: AgentChoice = agent.parse()?;
                let mut config = AgentConfig::new(choice).with_kept_options(options);
                if let Some(m) = model {
                    config = config.model(m);
                }
                if let Some(t) = timeout_secs {
                    config = config.timeout(Duration::from_secs(*t));
                }
                // The repository the process died in resumes its own agent session.
                let interrupted = remaining
                    .iter()
                    .find(|r| record.resume.contains_key(*r))
                    .cloned();
                let resume = interrupted
                    .as_ref()
                    .and_then(|r| record.resume.get(r).cloned().map(|s| (r.clone(), s)));
                let task = task.clone();
                let keep_going = *keep_going;
                let graph = graph.clone();
                Job::spawn("agent run", move |ctx| async move {
                    let mut reports = Vec::new();
                    let mut rest = remaining;
                    if let Some((repo, session)) = resume
                        && choice == AgentChoice::Claude
                    {
                        let first = crate::agent_config::run_agent_resuming(
                            graph.clone(),
                            &config,
                            &task,
                            &repo,
                            &session,
                        )?;
                        reports.push(ctx.forward(first).await?);
                        rest.retain(|r| r != &repo);
                    }
                    if !rest.is_empty() {
                        let run = crate::AgentRun::new(task)
                            .repos(RepoSelection::Named(rest))
                            .keep_going(keep_going);
                        reports.push(ctx.forward(crate::run_agent(graph, &config, run)?).await?);
                    }
                    Ok(serde_json::to_value(reports).unwrap_or(Value::Null))
                })
            }
        };
        let label = match &spec {
            JobSpec::Webhook(delivery) => format!("webhook {}", delivery.event),
            other => other.operation().to_owned(),
        };
        Ok(self.recorded_as(record, label, inner))
    }

    async fn mark_if_interrupted(
        &self,
        store: &dyn Store,
        job: &mut JobRecord,
    ) -> Result<(), Error> {
        if job.state == JobState::Running && owner_is_gone(job.owner.as_deref(), job.heartbeat_ms) {
            let total = job
                .spec
                .get("repos")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            job.state = JobState::Interrupted;
            job.message = Some(format!(
                "its process ({}) stopped before the end; {} of {total} repositories finished ({}); `relay jobs resume {}` finishes the rest",
                job.owner.as_deref().unwrap_or("unknown"),
                job.done.len(),
                if job.done.is_empty() {
                    "none".into()
                } else {
                    job.done.join(", ")
                },
                job.id
            ));
            job.updated_ms = relay_store::now_ms();
            store.put_job(job.clone()).await?;
        }
        Ok(())
    }
}

/// When a [`Worker`] stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkUntil {
    /// After one job, or at once when the queue is empty.
    OneJob,
    /// When the queue is empty (`relay worker --drain`).
    Drained,
    /// When its stop token is cancelled; idle, it waits for the store's queue signal.
    Stopped,
}

/// A worker of the store's queue, made by [`Relay::worker`]. Idle, it waits for the store's
/// [`QueueSignal`](relay_core::store::QueueSignal) (an enqueue wakes it at once where the store
/// can tell: the same process for SQLite, any process for Redis) and otherwise looks at the
/// queue every `poll` of that signal.
#[must_use]
pub struct Worker<'a> {
    relay: &'a Relay,
    name: String,
    lease: Duration,
    until: WorkUntil,
    stop: tokio_util::sync::CancellationToken,
    events: Option<tokio::sync::broadcast::Sender<Event>>,
}

impl std::fmt::Debug for Worker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("name", &self.name)
            .field("lease", &self.lease)
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

impl Worker<'_> {
    /// When to stop (default: when `stop` is cancelled).
    pub fn until(mut self, until: WorkUntil) -> Self {
        self.until = until;
        self
    }

    /// Stops (between jobs) when `stop` is cancelled.
    pub fn stop(mut self, stop: tokio_util::sync::CancellationToken) -> Self {
        self.stop = stop;
        self
    }

    /// Sends every event of the jobs it runs to `events` too (e.g.
    /// `relay_server::webhooks::Webhooks::publisher`).
    pub fn events(mut self, events: tokio::sync::broadcast::Sender<Event>) -> Self {
        self.events = Some(events);
        self
    }

    /// Works the queue; `finished` gets each job's record after it ran.
    pub async fn run(self, mut finished: impl FnMut(&JobRecord)) -> Result<(), Error> {
        let store = self.relay.require_store()?;
        let signal = store.queue_signal();
        while !self.stop.is_cancelled() {
            // Armed before looking, so an enqueue between the look and the wait is not missed.
            let enqueued = signal.notify.notified();
            tokio::pin!(enqueued);
            enqueued.as_mut().enable();
            let Some(claim) = store.claim(&self.name, self.lease).await? else {
                if self.until != WorkUntil::Stopped {
                    break;
                }
                tokio::select! {
                    _ = &mut enqueued => {}
                    _ = tokio::time::sleep(signal.poll) => {}
                    _ = self.stop.cancelled() => {}
                }
                continue;
            };
            if let Some(record) = self
                .relay
                .work_claim(&store, claim, self.lease, self.events.as_ref())
                .await?
            {
                finished(&record);
                if self.until == WorkUntil::OneJob {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Writes one job's record as its events arrive.
#[derive(Clone)]
struct Recorder {
    store: Arc<dyn Store>,
    record: Arc<tokio::sync::Mutex<JobRecord>>,
}

impl Recorder {
    fn new(store: Arc<dyn Store>, record: JobRecord) -> Self {
        Recorder {
            store,
            record: Arc::new(tokio::sync::Mutex::new(record)),
        }
    }

    async fn save(&self, record: &JobRecord) {
        if let Err(e) = self.store.put_job(record.clone()).await {
            tracing::error!(job = %record.id, error = %e, "the job record could not be saved");
        }
    }

    async fn running(&self) {
        let mut r = self.record.lock().await;
        r.state = JobState::Running;
        r.owner = Some(this_owner());
        r.heartbeat_ms = relay_store::now_ms();
        r.updated_ms = r.heartbeat_ms;
        r.message = None;
        self.save(&r).await;
    }

    async fn observe(&self, event: &Event) {
        let id = self.record.lock().await.id.clone();
        if let Err(e) = self
            .store
            .append_job_event(&id, serde_json::to_value(event).unwrap_or(Value::Null))
            .await
        {
            tracing::error!(job = %id, error = %e, "a job event could not be recorded");
        }
        let changed = match &event.kind {
            EventKind::RepoFinished {
                repo,
                outcome: RepoOutcome::Success,
                ..
            } => {
                let mut r = self.record.lock().await;
                if !r.done.contains(repo) {
                    r.done.push(repo.clone());
                }
                r.resume.remove(repo);
                true
            }
            EventKind::Agent {
                repo: Some(repo),
                event: relay_core::agent::AgentEvent::SessionStarted { session_id, .. },
            } => {
                let mut r = self.record.lock().await;
                r.resume.insert(repo.clone(), session_id.clone());
                true
            }
            _ => false,
        };
        if changed {
            let mut r = self.record.lock().await;
            r.updated_ms = relay_store::now_ms();
            r.heartbeat_ms = r.updated_ms;
            self.save(&r).await;
        }
    }

    /// Beats until aborted; cancels `token` when someone asked to cancel the job.
    async fn heartbeat(self, token: tokio_util::sync::CancellationToken) {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let id = self.record.lock().await.id.clone();
            let cancel =
                matches!(self.store.job(&id).await, Ok(Some(stored)) if stored.cancel_requested);
            let mut r = self.record.lock().await;
            if cancel {
                r.cancel_requested = true;
                token.cancel();
            }
            r.heartbeat_ms = relay_store::now_ms();
            self.save(&r).await;
        }
    }

    async fn finish(&self, state: JobState, message: Option<String>) {
        let mut r = self.record.lock().await;
        r.state = state;
        r.message = message;
        r.owner = None;
        r.cancel_requested = false;
        r.updated_ms = relay_store::now_ms();
        self.save(&r).await;
        let _ = self.store.notify("jobs", &r.id).await;
    }
}
