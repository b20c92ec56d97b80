//! Waiting for PVE worker tasks.
//!
//! A task is polled at `/nodes/{node}/tasks/{upid}/status` until it is `stopped`. The exit status
//! `OK` is success, `WARNINGS: n` success with warnings, anything else an error carrying the tail
//! of the task log.
//!
//! Polling adapts to what Relay has seen: it remembers how long each task type took on each node
//! (an exponentially weighted mean and mean deviation). When those are consistent, the task is
//! expected to end within mean ± `window_spread` deviations: Relay first polls at the start of
//! that window and spreads the requests it has saved up evenly over it. Without a history it
//! polls densely at first and backs off, since most PVE tasks (start, stop, snapshot) are short.
//! The history is read again before every poll, so a task learns from one of its type that
//! finished while it ran. `benches/task_notice.rs` compares this with fixed one-second polling.

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
/// Two regimes. When Relay can predict a task's length tightly (tasks of that type on that node
/// took consistent times: mean deviation at most a fifth of the mean), it sleeps until the
/// expected end window opens (the mean minus `window_spread` deviations; at most `max_interval`
/// while the history holds fewer than 3 tasks), spreads the requests its budget allows evenly
/// until the window closes (never closer than `min_interval`), then backs off from
/// `min_interval` to `blind_max`. A looser prediction, or any prediction with `window_spread` 0
/// (as in [`PollSchedule::fixed`]), only shapes the gap: `approach` times the distance to the
/// expected end, between `min_interval` and `max_interval` (see [`PollSchedule::next_interval`]),
/// and with the window on never sparser than the blind gap. Without a prediction the gap is
/// `blind_approach` times the elapsed time, between `blind_min` and `blind_max`, which keeps the
/// request rate near one per 250 ms. `benches/RESULTS-infra.md` has the numbers behind these
/// defaults.
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
    /// Half-width of the expected end window, in mean deviations of the task type's history;
    /// 0 turns the window off.
    pub window_spread: f64,
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
            window_spread: 2.0,
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
            window_spread: 0.0,
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

/// How long a task is expected to take: the mean of its type's history and the mean deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Prediction {
    pub(crate) mean: Duration,
    pub(crate) deviation: Duration,
    /// How many tasks of the type the history has seen.
    pub(crate) samples: u32,
}

/// Samples after which a prediction is trusted enough to sleep until its window opens; before,
/// the wait before the window is at most `max_interval`, since one task is a poor guess.
const TRUSTED_SAMPLES: u32 = 3;

/// Deviation relative to the mean under which the end window is used; looser predictions
/// (like a first guess) only shape the gap (`approach`, at most the blind gap), since a wrong
/// window start is costly.
const TIGHT: f64 = 0.2;

impl PollSchedule {
    /// The gap before the next poll, `elapsed` into a task predicted by `prediction`, when
    /// `saved(d)` requests of the budget will have accrued `d` from now.
    pub(crate) fn next_gap(
        &self,
        elapsed: Duration,
        prediction: Option<Prediction>,
        saved: impl Fn(Duration) -> f64,
    ) -> Duration {
        let Some(p) = prediction else {
            return self.next_interval(elapsed, None);
        };
        if self.window_spread <= 0.0 {
            return self.next_interval(elapsed, Some(p.mean));
        }
        if p.deviation > p.mean.mul_f64(TIGHT) {
            // A loose guess may be far off: it shapes the gap but never makes it sparser than
            // polling without a prediction.
            return self
                .next_interval(elapsed, Some(p.mean))
                .min(self.next_interval(elapsed, None));
        }
        let reach = p.deviation.mul_f64(self.window_spread);
        let (opens, closes) = (p.mean.saturating_sub(reach), p.mean + reach);
        if elapsed < opens {
            // Nothing to learn before the window: one request at its start.
            let until = opens - elapsed;
            return if p.samples < TRUSTED_SAMPLES {
                until.min(self.max_interval)
            } else {
                until
            };
        }
        if elapsed < closes {
            // Spend every request the budget will allow by the close evenly over the window.
            let left = closes - elapsed;
            return left.div_f64(saved(left).max(1.0)).max(self.min_interval);
        }
        // Later than any task of its type so far: back off as without a prediction.
        (elapsed - closes)
            .mul_f64(self.blind_approach)
            .clamp(self.min_interval, self.blind_max)
    }
}

/// Remembered task durations per node and task type: a weighted mean and mean deviation.
#[derive(Debug, Default)]
pub(crate) struct DurationModel {
    stats: Mutex<HashMap<(String, String), History>>,
}

/// One task type's history on one node, in seconds.
#[derive(Debug, Clone, Copy)]
struct History {
    mean: f64,
    deviation: f64,
    samples: u32,
}

/// Weight of the newest observation.
const ALPHA: f64 = 0.3;
/// Deviation relative to the mean under which a task type counts as predictable.
const PREDICTABLE: f64 = 0.35;

impl DurationModel {
    /// The expected duration, when tasks of this type have taken consistent times.
    #[cfg(test)]
    pub(crate) fn expected(&self, upid: &Upid) -> Option<Duration> {
        self.predict(upid).map(|p| p.mean)
    }

    /// The expected duration and its spread, when tasks of this type have taken consistent times.
    pub(crate) fn predict(&self, upid: &Upid) -> Option<Prediction> {
        let stats = self.stats.lock().expect("duration model lock");
        let History {
            mean,
            deviation,
            samples,
        } = *stats.get(&(upid.node.clone(), upid.task_type.clone()))?;
        (deviation <= PREDICTABLE * mean).then(|| Prediction {
            mean: Duration::from_secs_f64(mean),
            deviation: Duration::from_secs_f64(deviation),
            samples,
        })
    }

    pub(crate) fn record(&self, upid: &Upid, took: Duration) {
        let mut stats = self.stats.lock().expect("duration model lock");
        let key = (upid.node.clone(), upid.task_type.clone());
        let x = took.as_secs_f64();
        let next = match stats.get(&key) {
            // One sample is a guess: predictable at once, but one miss makes it unpredictable.
            None => History {
                mean: x,
                deviation: x * 0.3,
                samples: 1,
            },
            Some(h) => History {
                mean: (1.0 - ALPHA) * h.mean + ALPHA * x,
                deviation: (1.0 - ALPHA) * h.deviation + ALPHA * (x - h.mean).abs(),
                samples: h.samples.saturating_add(1),
            },
        };
        stats.insert(key, next);
    }
}

/// How often new task log lines are streamed to a job while it waits.
const LOG_EVERY: Duration = Duration::from_secs(1);

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
        let mut polls = 0;
        let mut log_lines_seen = 0usize;
        let mut last_log_read = Instant::now();
        let mut budget = schedule.budget_burst;
        let mut last_poll = started;
        loop {
            let elapsed = started.elapsed();
            // Read again each time: a task of the same type may have finished meanwhile.
            let prediction = self.inner.durations.predict(upid);
            let accrued = |d: Duration| {
                (budget + schedule.budget_per_sec * (last_poll.elapsed() + d).as_secs_f64())
                    .min(schedule.budget_cap)
            };
            let mut wait = schedule.next_gap(elapsed, prediction, accrued);
            // Keep within the request budget: wait until a whole request has accrued.
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
                    // A wait may sleep for long before an expected end window: the log still
                    // streams about once a second meanwhile (log reads are not status polls).
                    let wake = Instant::now() + wait;
                    loop {
                        let now = Instant::now();
                        if now >= wake {
                            break;
                        }
                        let log_due = (last_log_read + LOG_EVERY).max(now);
                        let until = log_due.min(wake);
                        tokio::select! {
                            _ = tokio::time::sleep_until(until.into()) => {}
                            _ = ctx.cancelled() => {
                                self.stop_task(upid).await;
                                return Err(relay_core::JobFailure::Cancelled.into());
                            }
                        }
                        if until < wake {
                            last_log_read = Instant::now();
                            self.stream_log(upid, ctx, &mut log_lines_seen).await;
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
                && last_log_read.elapsed() >= LOG_EVERY
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
    fn predicted_tasks_are_polled_across_their_end_window() {
        let s = PollSchedule::default();
        let p = Some(Prediction {
            mean: Duration::from_secs(6),
            deviation: Duration::from_millis(600),
            samples: 5,
        });
        let budget = |saved: f64| move |d: Duration| saved + 4.0 * d.as_secs_f64();
        // Before the window (6 s ± 1.2 s): one request at its start.
        assert_eq!(
            s.next_gap(Duration::from_secs(1), p, budget(2.0)),
            Duration::from_millis(3800)
        );
        // In the window: the 16 saved requests plus 4 per second, spread evenly to its close.
        assert_eq!(
            s.next_gap(Duration::from_millis(4800), p, |_| 16.0 + 4.0 * 2.4),
            Duration::from_millis(2400).div_f64(16.0 + 4.0 * 2.4)
        );
        // Never closer than min_interval, even with a large budget.
        assert_eq!(
            s.next_gap(Duration::from_millis(7150), p, |_| 16.0),
            Duration::from_millis(60)
        );
        // Past the window: backing off from min_interval up to blind_max.
        assert_eq!(
            s.next_gap(Duration::from_millis(7300), p, budget(0.0)),
            Duration::from_millis(60)
        );
        assert_eq!(
            s.next_gap(Duration::from_secs(20), p, budget(0.0)),
            Duration::from_millis(400)
        );
        // No prediction: the blind schedule; fixed polling ignores predictions.
        assert_eq!(
            s.next_gap(Duration::ZERO, None, budget(2.0)),
            Duration::from_millis(150)
        );
        // A history of one task is a guess: the wait before the window is at most max_interval.
        let guess = p.map(|p| Prediction { samples: 1, ..p });
        assert_eq!(
            s.next_gap(Duration::from_secs(1), guess, budget(2.0)),
            Duration::from_secs(1)
        );
        // A loose prediction (deviation over a fifth of the mean) only shapes the gap, never
        // sparser than without a prediction.
        let loose = Some(Prediction {
            mean: Duration::from_secs(6),
            deviation: Duration::from_secs(2),
            samples: 5,
        });
        assert_eq!(
            s.next_gap(Duration::from_secs(1), loose, budget(2.0)),
            Duration::from_millis(300)
        );
        assert_eq!(
            s.next_gap(Duration::from_millis(5900), loose, budget(2.0)),
            Duration::from_millis(60)
        );
        let fixed = PollSchedule::fixed(Duration::from_secs(1));
        assert_eq!(
            fixed.next_gap(Duration::from_millis(4800), p, budget(2.0)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn predictions_carry_the_spread_of_the_history() {
        let model = DurationModel::default();
        let start: Upid = "UPID:pve:1:2:3:vzstart:100:root@pam:".parse().unwrap();
        assert_eq!(model.predict(&start), None);
        model.record(&start, Duration::from_millis(1000));
        assert_eq!(
            model.predict(&start),
            Some(Prediction {
                mean: Duration::from_millis(1000),
                deviation: Duration::from_millis(300),
                samples: 1,
            }),
            "one sample: a guess with a wide window"
        );
        for _ in 0..10 {
            model.record(&start, Duration::from_millis(1000));
        }
        let p = model.predict(&start).unwrap();
        assert!(p.deviation < Duration::from_millis(10), "{p:?}");
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
