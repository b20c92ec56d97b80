//! Turns a [`Job`]'s events into tool progress.

use crate::event::{EventKind, Progress};
use crate::job::Job;
use crate::tools::ToolContext;

/// Runs `job` to completion, reporting its progress and per-repository results to `ctx` — the
/// way a long tool (sync, an agent run, an environment provision) turns its [`Job`] into spoken
/// progress.
pub async fn follow_job<T, E>(mut job: Job<T, E>, ctx: &ToolContext) -> Result<T, E>
where
    E: From<crate::job::JobFailure>,
{
    // Jobs often announce a repository's end both as progress and as `repo_finished` with the
    // same words; saying it twice helps nobody.
    let mut last = String::new();
    while let Some(event) = job.next_event().await {
        let progress = match event.kind {
            EventKind::Progress(progress) => progress,
            EventKind::RepoFinished { repo, summary, .. } => {
                Progress::message(format!("{repo}: {summary}")).repo(repo)
            }
            _ => continue,
        };
        if progress.message != last {
            last.clone_from(&progress.message);
            ctx.progress.report(progress);
        }
    }
    job.wait().await
}
