//! Running one blocking git operation per repository with bounded parallelism, in dependency
//! batches when order matters, reporting progress as each repository starts and finishes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use relay_core::{JobContext, RepoOutcome, config::RepoSpec};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A per-repository result that can say how it ended.
pub(crate) trait RepoStep: Send + 'static {
    /// Outcome and a one-line human summary.
    fn outcome(&self) -> (RepoOutcome, String);
    /// The result for a repository that was not started because the job was cancelled.
    fn cancelled(spec: &RepoSpec) -> Self;
    /// The result for a repository whose operation panicked.
    fn crashed(spec: &RepoSpec, message: String) -> Self;
}

/// A one-line summary: the action word, then the reason when there is one.
pub(crate) fn summary(what: &str, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("{what}: {reason}"),
        None => what.to_owned(),
    }
}

/// The effective parallelism: `jobs`, or the number of cores when 0.
pub(crate) fn effective_jobs(jobs: usize) -> usize {
    if jobs > 0 {
        jobs
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

/// Runs `op` for each batch of repositories in turn, up to `jobs` at once inside a batch. Results
/// come back in the order of the input (batches flattened). `verb` phrases progress ("syncing").
pub(crate) async fn run_batches<R, F>(
    ctx: &JobContext,
    batches: Vec<Vec<RepoSpec>>,
    jobs: usize,
    verb: &str,
    op: F,
) -> Vec<R>
where
    R: RepoStep,
    F: Fn(&RepoSpec, &AtomicBool) -> R + Send + Sync + 'static,
{
    let total = batches.iter().map(Vec::len).sum::<usize>() as u64;
    let op = Arc::new(op);
    let permits = Arc::new(Semaphore::new(effective_jobs(jobs)));
    // gix polls a flag to interrupt long transfers; mirror the job's cancellation into it.
    let interrupt = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (ctx, interrupt) = (ctx.clone(), interrupt.clone());
        tokio::spawn(async move {
            ctx.cancelled().await;
            interrupt.store(true, Ordering::SeqCst);
        })
    };
    let mut results: Vec<Option<R>> = (0..total).map(|_| None).collect();
    let done = Arc::new(AtomicU64::new(0));
    let mut offset = 0usize;
    for batch in batches {
        let batch_len = batch.len();
        let mut set = JoinSet::new();
        for (i, spec) in batch.into_iter().enumerate() {
            let (op, permits, interrupt, ctx, done) = (
                op.clone(),
                permits.clone(),
                interrupt.clone(),
                ctx.clone(),
                done.clone(),
            );
            let verb = verb.to_owned();
            set.spawn(async move {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .expect("semaphore is never closed");
                if ctx.is_cancelled() {
                    return (offset + i, spec.name.clone(), R::cancelled(&spec));
                }
                ctx.progress(
                    done.load(Ordering::SeqCst),
                    Some(total),
                    Some(&spec.name),
                    format!("{verb} {}", spec.name),
                )
                .await;
                let name = spec.name.clone();
                let result = match tokio::task::spawn_blocking({
                    let spec = spec.clone();
                    move || op(&spec, &interrupt)
                })
                .await
                {
                    Ok(r) => r,
                    Err(e) => R::crashed(&spec, e.to_string()),
                };
                (offset + i, name, result)
            });
        }
        while let Some(joined) = set.join_next().await {
            let (index, name, result) = joined.expect("the task itself never panics");
            let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
            let (outcome, summary) = result.outcome();
            ctx.repo_finished(&name, outcome, summary.clone()).await;
            ctx.progress(
                finished,
                Some(total),
                Some(&name),
                format!("{name}: {summary}"),
            )
            .await;
            results[index] = Some(result);
        }
        offset += batch_len;
    }
    watcher.abort();
    results
        .into_iter()
        .map(|r| r.expect("every repository has a result"))
        .collect()
}
