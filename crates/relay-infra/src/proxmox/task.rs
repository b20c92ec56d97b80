//! Waiting for PVE worker tasks.
//!
//! A task is polled at `/nodes/{node}/tasks/{upid}/status` until it is `stopped`. The exit status
//! `OK` is success, `WARNINGS: n` success with warnings, anything else an error carrying the tail
//! of the task log.
//!
//! How often it is polled is decided by the adaptive model in `poll.rs` ([`PollSchedule`] and
//! the durations the client remembers).

use std::time::{Duration, Instant};

use relay_core::infra::InfraError;
use relay_core::{JobContext, LogLevel};
use serde_json::Value;

use super::http::ProxmoxClient;
use super::upid::Upid;

pub use super::poll::PollSchedule;

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
    fn exit_statuses_follow_pve_semantics() {
        assert_eq!(classify_exit("OK"), Ok(TaskExit::Ok));
        assert_eq!(classify_exit("WARNINGS: 3"), Ok(TaskExit::Warnings(3)));
        assert_eq!(
            classify_exit("command 'lxc-start -n 100' failed: exit code 1"),
            Err("command 'lxc-start -n 100' failed: exit code 1".to_string())
        );
        assert!(classify_exit("unexpected status").is_err());
    }
}
