//! Waiting for PVE worker tasks.
//!
//! A task is polled at `/nodes/{node}/tasks/{upid}/status` until it is `stopped`. The exit status
//! `OK` is success, `WARNINGS: n` success with warnings, anything else an error carrying the tail
//! of the task log.
//!
//! Polling adapts to what Relay has seen: it remembers how long each task type took on each node
//! (an exponentially weighted mean) and polls sparsely while the task is far from its expected
//! end and densely near it. Without a history it polls densely at first and backs off, since most
//! PVE tasks (start, stop, snapshot) are short. `benches/task_notice.rs` compares this with fixed
//! one-second polling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use relay_core::infra::InfraError;
use relay_core::{JobContext, LogLevel};
use serde_json::Value;

use super::http::ProxmoxClient;
use super::upid::Upid;

/// How task status is polled.
///
/// Two regimes: when Relay can predict a task's length (it has seen tasks of that type on that
/// node take consistent times), the gap between polls is `approach` times the distance to the
/// expected end, between `min_interval` and `max_interval`: sparse far from the end, dense near
/// it. Otherwise the gap is `blind_approach` times the elapsed time, between `blind_min` and
/// `blind_max`, which keeps the request rate near one per 250 ms. `benches/RESULTS-infra.md`
/// has the numbers behind these defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    /// Shortest gap between two polls when the end is predictable.
    pub min_interval: Duration,
    /// Longest gap between two polls when the end is predictable.
    pub max_interval: Duration,
    /// Gap as a fraction of the distance to the expected end.
    pub approach: f64,
    /// Shortest gap when the end cannot be predicted.
    pub blind_min: Duration,
    /// Longest gap when the end cannot be predicted.
    pub blind_max: Duration,
    /// Gap as a fraction of the elapsed time when the end cannot be predicted.
    pub blind_approach: f64,
    /// Request budget per second of waiting: polls are delayed so that one wait never sends
    /// more than `budget_burst` plus this many requests per second on average.
    pub budget_per_sec: f64,
    /// Requests a wait may send before the budget has accrued.
    pub budget_burst: f64,
    /// Most unspent requests a wait can save up (spent near the expected end).
    pub budget_cap: f64,
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_millis(60),
            max_interval: Duration::from_secs(1),
            approach: 0.35,
            blind_min: Duration::from_millis(150),
            blind_max: Duration::from_millis(400),
            blind_approach: 0.3,
            budget_per_sec: 4.0,
            budget_burst: 2.0,
            budget_cap: 16.0,
        }
    }
}

impl PollSchedule {
    /// Fixed-interval polling (what proxmoxer's `Tasks.blocking_status` does with 1 s).
    pub fn fixed(interval: Duration) -> Self {
        Self {
            min_interval: interval,
            max_interval: interval,
            approach: 0.0,
            blind_min: interval,
            blind_max: interval,
            blind_approach: 0.0,
            budget_per_sec: f64::INFINITY,
            budget_burst: 1.0,
            budget_cap: f64::INFINITY,
        }
    }

    /// The gap before the next poll, `elapsed` into a task expected to take `expected`.
    pub fn next_interval(&self, elapsed: Duration, expected: Option<Duration>) -> Duration {
        match expected {
            Some(e) => e
                .abs_diff(elapsed)
                .mul_f64(self.approach)
                .clamp(self.min_interval, self.max_interval),
            None => elapsed
                .mul_f64(self.blind_approach)
                .clamp(self.blind_min, self.blind_max),
        }
    }
}

/// Remembered task durations per node and task type: a weighted mean and mean deviation.
#[derive(Debug, Default)]
pub(crate) struct DurationModel {
    stats: Mutex<HashMap<(String, String), (f64, f64)>>,
}

/// Weight of the newest observation.
const ALPHA: f64 = 0.3;
/// Deviation relative to the mean under which a task type counts as predictable.
const PREDICTABLE: f64 = 0.35;

impl DurationModel {
    /// The expected duration, when tasks of this type have taken consistent times.
    pub(crate) fn expected(&self, upid: &Upid) -> Option<Duration> {
        let stats = self.stats.lock().expect("duration model lock");
        let (mean, deviation) = *stats.get(&(upid.node.clone(), upid.task_type.clone()))?;
        (deviation <= PREDICTABLE * mean).then(|| Duration::from_secs_f64(mean))
    }

    pub(crate) fn record(&self, upid: &Upid, took: Duration) {
        let mut stats = self.stats.lock().expect("duration model lock");
        let key = (upid.node.clone(), upid.task_type.clone());
        let x = took.as_secs_f64();
        let next = match stats.get(&key) {
            // One sample is a guess: predictable at once, but one miss makes it unpredictable.
            None => (x, x * 0.3),
            Some(&(mean, deviation)) => (
                (1.0 - ALPHA) * mean + ALPHA * x,
                (1.0 - ALPHA) * deviation + ALPHA * (x - mean).abs(),
            ),
        };
        stats.insert(key, next);
    }
}

/// How a successful task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskExit {
    /// `OK`.
    Ok,
    /// `WARNINGS: n`: done, with `n` warnings in the log.
    Warnings(u32),
}

/// A finished task.
#[derive(Debug, Clone)]
pub struct TaskResult {
    /// The task.
    pub upid: Upid,
    /// How it ended.
    pub exit: TaskExit,
    /// Warning lines from the log (only read when there were warnings).
    pub warnings: Vec<String>,
    /// How many status requests were made.
    pub polls: u32,
}

/// Reads the exit status of a stopped task.
pub fn classify_exit(exit_status: &str) -> Result<TaskExit, String> {
    if exit_status == "OK" {
        return Ok(TaskExit::Ok);
    }
    if let Some(n) = exit_status.strip_prefix("WARNINGS:") {
        return Ok(TaskExit::Warnings(n.trim().parse().unwrap_or(1)));
    }
    Err(exit_status.to_string())
}

impl ProxmoxClient {
    /// Waits until the task stops, up to the configured task timeout.
    ///
    /// With a job context, new task log lines are emitted as log events about once a second, and
    /// cancelling the job stops the task on the server (`DELETE .../tasks/{upid}`).
    pub async fn wait_task(
        &self,
        upid: &Upid,
        ctx: Option<&JobContext>,
    ) -> Result<TaskResult, InfraError> {
        self.wait_task_with(
            upid,
            ctx,
            self.inner.settings.task_timeout,
            self.inner.settings.poll,
        )
        .await
    }

    /// Like [`ProxmoxClient::wait_task`] with an explicit timeout and schedule.
    pub async fn wait_task_with(
        &self,
        upid: &Upid,
        ctx: Option<&JobContext>,
        timeout: Duration,
        schedule: PollSchedule,
    ) -> Result<TaskResult, InfraError> {
        let status_path = format!("/nodes/{}/tasks/{}/status", upid.node, encode_upid(upid));
        let started = Instant::now();
        let expected = self.inner.durations.expected(upid);
        let mut polls = 0;
        let mut log_lines_seen = 0usize;
        let mut last_log_read = Instant::now();
        let mut budget = schedule.budget_burst;
        let mut last_poll = started;
        loop {
            let elapsed = started.elapsed();
            let mut wait = schedule.next_interval(elapsed, expected);
            // Keep within the request budget: wait until a whole request has accrued.
            let accrued = |d: Duration| {
                (budget + schedule.budget_per_sec * (last_poll.elapsed() + d).as_secs_f64())
                    .min(schedule.budget_cap)
            };
            if accrued(wait) < 1.0 {
                let missing = 1.0 - accrued(wait);
                wait += Duration::from_secs_f64(missing / schedule.budget_per_sec);
            }
            if elapsed + wait > timeout {
                let remaining = timeout.saturating_sub(elapsed);
                tokio::time::sleep(remaining).await;
                if self.is_stopped(&status_path).await?.is_none() {
                    return Err(InfraError::Timeout {
                        operation: upid.describe(),
                        secs: timeout.as_secs_f64(),
                        advice: format!(
                            "it may still be running: see `Tasks` on node {} in the PVE web UI, or raise infra.proxmox.task_timeout_secs",
                            upid.node
                        ),
                    });
                }
            }
            match ctx {
                Some(ctx) => {
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = ctx.cancelled() => {
                            self.stop_task(upid).await;
                            return Err(relay_core::JobFailure::Cancelled.into());
                        }
                    }
                }
                None => tokio::time::sleep(wait).await,
            }
            polls += 1;
            budget = accrued(Duration::ZERO) - 1.0;
            last_poll = Instant::now();
            if let Some(exit_status) = self.is_stopped(&status_path).await? {
                self.inner.durations.record(upid, started.elapsed());
                if let Some(ctx) = ctx {
                    self.stream_log(upid, ctx, &mut log_lines_seen).await;
                }
                return match classify_exit(&exit_status) {
                    Ok(TaskExit::Ok) => Ok(TaskResult {
                        upid: upid.clone(),
                        exit: TaskExit::Ok,
                        warnings: Vec::new(),
                        polls,
                    }),
                    Ok(TaskExit::Warnings(n)) => {
                        let log = self.task_log(upid, 0, 500).await.unwrap_or_default();
                        let warnings: Vec<String> =
                            log.into_iter().filter(|l| l.starts_with("WARN")).collect();
                        for w in &warnings {
                            tracing::warn!(task = %upid.describe(), "{w}");
                        }
                        Ok(TaskResult {
                            upid: upid.clone(),
                            exit: TaskExit::Warnings(n),
                            warnings,
                            polls,
                        })
                    }
                    Err(exit_status) => {
                        let log = self.task_log(upid, 0, 500).await.unwrap_or_default();
                        let tail_start = log.len().saturating_sub(10);
                        Err(InfraError::TaskFailed {
                            task: upid.describe(),
                            exit_status,
                            log_tail: log[tail_start..].to_vec(),
                        })
                    }
                };
            }
            if let Some(ctx) = ctx
                && last_log_read.elapsed() >= Duration::from_secs(1)
            {
                last_log_read = Instant::now();
                self.stream_log(upid, ctx, &mut log_lines_seen).await;
            }
        }
    }

    /// `Some(exitstatus)` once the task has stopped.
    async fn is_stopped(&self, status_path: &str) -> Result<Option<String>, InfraError> {
        let status = self.get(status_path, &[]).await?;
        if status.get("status").and_then(Value::as_str) == Some("stopped") {
            let exit = status
                .get("exitstatus")
                .and_then(Value::as_str)
                .unwrap_or("unknown exit status")
                .to_string();
            return Ok(Some(exit));
        }
        Ok(None)
    }

    /// Lines of the task log from line `start` (0-based).
    pub async fn task_log(
        &self,
        upid: &Upid,
        start: usize,
        limit: usize,
    ) -> Result<Vec<String>, InfraError> {
        let path = format!("/nodes/{}/tasks/{}/log", upid.node, encode_upid(upid));
        let data = self
            .get(
                &path,
                &[("start", start.to_string()), ("limit", limit.to_string())],
            )
            .await?;
        Ok(data
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| l.get("t").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn stream_log(&self, upid: &Upid, ctx: &JobContext, seen: &mut usize) {
        let Ok(lines) = self.task_log(upid, *seen, 500).await else {
            return;
        };
        *seen += lines.len();
        for line in lines {
            let level = if line.starts_with("TASK ERROR") {
                LogLevel::Error
            } else if line.starts_with("WARN") {
                LogLevel::Warn
            } else {
                LogLevel::Info
            };
            ctx.log(None, level, line).await;
        }
    }

    /// Asks PVE to stop a running task (best effort, used on cancellation).
    pub async fn stop_task(&self, upid: &Upid) {
        let path = format!("/nodes/{}/tasks/{}", upid.node, encode_upid(upid));
        if let Err(e) = self.delete(&path, &[]).await {
            tracing::warn!(task = %upid.describe(), error = %e, "could not stop the task after cancellation");
        }
    }
}

/// UPIDs go into paths verbatim except for characters a path segment cannot hold.
fn encode_upid(upid: &Upid) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'/')
        .add(b'?')
        .add(b'#')
        .add(b'%');
    percent_encoding::utf8_percent_encode(upid.as_str(), SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_consistent_task_types_are_predicted() {
        let model = DurationModel::default();
        let start: Upid = "UPID:pve:1:2:3:vzstart:100:root@pam:".parse().unwrap();
        let create: Upid = "UPID:pve:1:2:3:vzcreate:100:root@pam:".parse().unwrap();
        assert_eq!(model.expected(&start), None);
        model.record(&start, Duration::from_millis(1000));
        assert_eq!(
            model.expected(&start),
            Some(Duration::from_millis(1000)),
            "a first guess"
        );
        for ms in [1050, 980, 1020] {
            model.record(&start, Duration::from_millis(ms));
        }
        let e = model.expected(&start).unwrap();
        assert!(
            e > Duration::from_millis(980) && e < Duration::from_millis(1050),
            "{e:?}"
        );
        for ms in [300, 6000, 900, 4000, 200] {
            model.record(&create, Duration::from_millis(ms));
        }
        assert_eq!(
            model.expected(&create),
            None,
            "erratic durations are not predicted"
        );
    }

    #[test]
    fn exit_statuses_follow_pve_semantics() {
        assert_eq!(classify_exit("OK"), Ok(TaskExit::Ok));
        assert_eq!(classify_exit("WARNINGS: 3"), Ok(TaskExit::Warnings(3)));
        assert_eq!(
            classify_exit("command 'lxc-start -n 100' failed: exit code 1"),
            Err("command 'lxc-start -n 100' failed: exit code 1".to_string())
        );
        assert!(classify_exit("unexpected status").is_err());
    }

    #[test]
    fn polls_densely_near_the_expected_end() {
        let s = PollSchedule::default();
        let far = s.next_interval(Duration::ZERO, Some(Duration::from_secs(8)));
        let near = s.next_interval(Duration::from_millis(7900), Some(Duration::from_secs(8)));
        assert_eq!(far, Duration::from_secs(1));
        assert_eq!(near, Duration::from_millis(60));
        // Without a prediction: 150 ms first, backing off to 400 ms.
        assert_eq!(
            s.next_interval(Duration::ZERO, None),
            Duration::from_millis(150)
        );
        assert_eq!(
            s.next_interval(Duration::from_secs(1), None),
            Duration::from_millis(300)
        );
        assert_eq!(
            s.next_interval(Duration::from_secs(9), None),
            Duration::from_millis(400)
        );
        assert_eq!(
            PollSchedule::fixed(Duration::from_secs(1)).next_interval(Duration::ZERO, None),
            Duration::from_secs(1)
        );
    }
}
