//! Driving a [`Job`] from the terminal: a progress bar on stderr when the work lasts over a
//! second and stderr is a terminal, and Ctrl-C cancelling the job cleanly.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use relay::core::{EventKind, Job, JobFailure};

/// Work shorter than this shows no bar.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Consumes `job`'s events, showing progress unless `quiet`, and returns its result. The first
/// Ctrl-C cancels the job; the job then finishes its cleanup and reports what it did.
pub async fn drive<T, E>(mut job: Job<T, E>, quiet: bool) -> Result<T, E>
where
    T: Send + 'static,
    E: From<JobFailure> + std::fmt::Display + Send + 'static,
{
    let started = Instant::now();
    let show = !quiet && std::io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    let mut total: Option<u64> = None;
    let mut last_message = String::new();
    let mut done = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    loop {
        tokio::select! {
            event = job.next() => {
                let Some(event) = event else { break };
                match event.kind {
                    EventKind::JobStarted { total: t, .. } => total = t,
                    EventKind::Progress(p) => {
                        done = done.max(p.done.unwrap_or(0));
                        total = p.total.or(total);
                        last_message = p.message;
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => {}
            result = &mut ctrl_c, if !interrupted => {
                if result.is_ok() {
                    interrupted = true;
                    eprintln!("\ninterrupted: cancelling (press Ctrl-C again to force)…");
                    job.cancel();
                    // A second Ctrl-C gets the default behaviour (terminate).
                    tokio::spawn(async { if tokio::signal::ctrl_c().await.is_ok() { std::process::exit(130) } });
                }
            }
        }
        if show && bar.is_none() && started.elapsed() >= SHOW_AFTER {
            let b = ProgressBar::new(total.unwrap_or(0));
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed}] {bar:30} {pos}/{len} {wide_msg}",
                )
                .expect("valid template"),
            );
            bar = Some(b);
        }
        if let Some(b) = &bar {
            if let Some(t) = total {
                b.set_length(t);
            }
            b.set_position(done);
            b.set_message(last_message.clone());
            b.tick();
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    job.wait().await
}
