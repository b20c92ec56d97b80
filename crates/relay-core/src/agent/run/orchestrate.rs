//! Scheduling a task across repositories as one [`Job`].

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::mpsc;

use super::prompt::repo_context;
use super::{AgentRunOptions, RepoRun, RunError, RunReport};
use crate::RepoError;
use crate::agent::{AgentContext, AgentError, AgentOutcome, AgentTask, CodingAgent};
use crate::event::{EventKind, Progress, RepoOutcome};
use crate::job::{Job, JobContext};
use crate::repo::{RepoGraph, RepoSelection, RepoStatus};
use crate::words::plural;

/// Starts the run as a job named `agent_run`. Its events: `job_started` (with the number of
/// repositories), `progress` and `agent { repo, event }` while agents work, `repo_finished` per
/// repository, `job_finished`. The job's result is the [`RunReport`]; it is returned even when
/// repositories failed or the run was cancelled (their entries say so).
pub fn run_across_repos(
    graph: Arc<dyn RepoGraph>,
    agent: Arc<dyn CodingAgent>,
    options: AgentRunOptions,
) -> Job<RunReport, RunError> {
    let selected = options.repos.resolve(graph.workspace());
    let total = selected.as_ref().ok().map(|s| s.len() as u64);
    Job::spawn_with_total("agent_run", total, move |ctx| async move {
        let selected = selected?;
        orchestrate(graph, agent, options, selected, ctx).await
    })
}

async fn orchestrate(
    graph: Arc<dyn RepoGraph>,
    agent: Arc<dyn CodingAgent>,
    options: AgentRunOptions,
    selected: Vec<String>,
    ctx: JobContext,
) -> Result<RunReport, RunError> {
    let workspace = graph.workspace();
    let batches = workspace
        .graph()
        .batches_of(&selected)
        .map_err(|e| RepoError::InvalidRequest(e.to_string()))?;
    let statuses: HashMap<String, RepoStatus> = graph
        .status(RepoSelection::Named(selected.clone()))
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let jobs = match options.jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let total = selected.len() as u64;

    // Every event goes through one channel to the job, so agent events and `repo_finished` keep
    // their order; the forwarder applies the job's backpressure.
    let (tx, mut rx) = mpsc::unbounded_channel::<EventKind>();
    let forward_ctx = ctx.clone();
    let forwarder = tokio::spawn(async move {
        while let Some(kind) = rx.recv().await {
            forward_ctx.emit(kind).await;
        }
    });

    let mut results: HashMap<String, RepoRun> = HashMap::new();
    let mut done = 0u64;
    for batch in batches {
        let mut runnable = Vec::new();
        for name in batch {
            if ctx.is_cancelled() {
                let run = not_run(&name, RepoOutcome::Cancelled, "cancelled before it started");
                finished(&tx, &mut done, total, &run);
                results.insert(name.clone(), run);
                continue;
            }
            let blocking = workspace
                .graph()
                .dependencies(&name)
                .unwrap_or_default()
                .into_iter()
                .find(|dep| {
                    results
                        .get(dep)
                        .is_some_and(|r| r.outcome != RepoOutcome::Success)
                });
            match blocking {
                Some(dep) if !options.keep_going => {
                    let why = format!(
                        "skipped: dependency `{dep}` did not succeed ({}); use keep_going to run anyway",
                        outcome_word(results[&dep].outcome)
                    );
                    let run = not_run(&name, RepoOutcome::Skipped, &why);
                    finished(&tx, &mut done, total, &run);
                    results.insert(name.clone(), run);
                }
                _ => runnable.push(name),
            }
        }
        let started_at = done;
        let runs = runnable.into_iter().map(|name| {
            let status = statuses.get(&name).cloned();
            let graph = graph.clone();
            let agent = agent.clone();
            let tx = tx.clone();
            let options = &options;
            let selected = &selected;
            let ctx = &ctx;
            async move {
                let _ = tx.send(EventKind::Progress(
                    Progress::message(format!("running the {} agent in {name}", agent.name()))
                        .done(started_at)
                        .total(total)
                        .repo(name.clone()),
                ));
                let run =
                    run_one(&*graph, &*agent, options, selected, &name, status, ctx, &tx).await;
                (name, run)
            }
        });
        let mut stream = futures::stream::iter(runs).buffer_unordered(jobs);
        while let Some((name, run)) = stream.next().await {
            finished(&tx, &mut done, total, &run);
            results.insert(name, run);
        }
    }

    let report = RunReport {
        repos: selected
            .iter()
            .filter_map(|name| results.remove(name))
            .collect(),
    };
    drop(tx);
    let _ = forwarder.await;
    Ok(report)
}

/// Reports one repository's end: progress (for voice and bars) and `repo_finished`.
fn finished(tx: &mpsc::UnboundedSender<EventKind>, done: &mut u64, total: u64, run: &RepoRun) {
    *done += 1;
    let summary = summary(run);
    let _ = tx.send(EventKind::Progress(
        Progress::message(format!("{}: {summary}", run.name))
            .done(*done)
            .total(total)
            .repo(run.name.clone()),
    ));
    let _ = tx.send(EventKind::RepoFinished {
        repo: run.name.clone(),
        outcome: run.outcome,
        summary,
    });
}

#[allow(clippy::too_many_arguments)]
async fn run_one(
    graph: &dyn RepoGraph,
    agent: &dyn CodingAgent,
    options: &AgentRunOptions,
    selected: &[String],
    name: &str,
    status: Option<RepoStatus>,
    ctx: &JobContext,
    tx: &mpsc::UnboundedSender<EventKind>,
) -> RepoRun {
    let workspace = graph.workspace();
    let Some(spec) = workspace.repo(name) else {
        return not_run(name, RepoOutcome::Failed, "not defined in the workspace");
    };
    if !spec.path.is_dir() {
        let why = format!(
            "not cloned at {}; run `relay sync --repo {name}` first",
            spec.path.display()
        );
        return not_run(name, RepoOutcome::Failed, &why);
    }
    let head_before = status.as_ref().and_then(|s| s.head.clone());
    let branch = status.as_ref().and_then(|s| s.branch.clone());
    let task = task_for(
        options,
        workspace,
        selected,
        name,
        branch.as_deref(),
        &spec.path,
    );

    let events_tx = tx.clone();
    let repo_name = name.to_string();
    let mut agent_ctx = AgentContext::new(move |event| {
        let _ = events_tx.send(EventKind::Agent {
            repo: Some(repo_name.clone()),
            event,
        });
    })
    .with_cancel_token(ctx.cancellation_token().child_token());
    if let Some(asker) = &options.asker {
        agent_ctx = agent_ctx.with_asker(asker.clone());
    }
    let before = dirty_files(graph, name, head_before.as_deref(), &spec.path).await;
    let result = agent.run(task, agent_ctx).await;
    let after = dirty_files(graph, name, head_before.as_deref(), &spec.path).await;
    repo_run(name, result, changed_by_run(&before, &after))
}

/// A file's identity for change detection: modification time and size (`None` when deleted).
type Stamp = Option<(std::time::SystemTime, u64)>;

/// Files differing from `since` (committed or not), with their stamps.
async fn dirty_files(
    graph: &dyn RepoGraph,
    name: &str,
    since: Option<&str>,
    root: &std::path::Path,
) -> HashMap<String, Stamp> {
    match graph.changed_files(name, since).await {
        Ok(files) => files
            .into_iter()
            .map(|file| {
                let stamp = std::fs::symlink_metadata(root.join(&file))
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())));
                (file, stamp)
            })
            .collect(),
        Err(e) => {
            tracing::warn!(repo = name, error = %e, "could not list changed files");
            HashMap::new()
        }
    }
}

/// The files the run changed: newly changed, changed again (new stamp), or restored (changed
/// before the run, clean after). Files already changed before and untouched are not the run's.
fn changed_by_run(before: &HashMap<String, Stamp>, after: &HashMap<String, Stamp>) -> Vec<String> {
    let mut files: Vec<String> = after
        .iter()
        .filter(|(file, stamp)| before.get(*file) != Some(*stamp))
        .map(|(file, _)| file.clone())
        .chain(before.keys().filter(|f| !after.contains_key(*f)).cloned())
        .collect();
    files.sort();
    files
}

fn task_for(
    options: &AgentRunOptions,
    workspace: &crate::config::Workspace,
    selected: &[String],
    name: &str,
    branch: Option<&str>,
    path: &std::path::Path,
) -> AgentTask {
    let mut task = options.template.clone();
    task.cwd = path.to_path_buf();
    task.repo = Some(name.to_string());
    for other in selected.iter().filter(|o| o.as_str() != name) {
        if let Some(spec) = workspace.repo(other)
            && !task.add_dirs.contains(&spec.path)
        {
            task.add_dirs.push(spec.path.clone());
        }
    }
    let context = repo_context(workspace, name, branch, selected, &options.template.prompt);
    task.append_system_prompt = Some(match &options.template.append_system_prompt {
        Some(extra) => format!("{context}\n{extra}"),
        None => context,
    });
    task
}

fn repo_run(
    name: &str,
    result: Result<AgentOutcome, AgentError>,
    changed_files: Vec<String>,
) -> RepoRun {
    match result {
        Ok(outcome) => RepoRun {
            name: name.to_string(),
            outcome: if outcome.is_success() {
                RepoOutcome::Success
            } else {
                RepoOutcome::Failed
            },
            session_id: outcome.session_id,
            num_turns: outcome.num_turns,
            cost_usd: outcome.cost_usd,
            changed_files,
            error: outcome.error,
        },
        Err(error) => RepoRun {
            name: name.to_string(),
            outcome: if matches!(error, AgentError::Cancelled) {
                RepoOutcome::Cancelled
            } else {
                RepoOutcome::Failed
            },
            session_id: None,
            num_turns: 0,
            cost_usd: 0.0,
            changed_files,
            error: Some(error.to_string()),
        },
    }
}

fn not_run(name: &str, outcome: RepoOutcome, why: &str) -> RepoRun {
    RepoRun {
        name: name.to_string(),
        outcome,
        session_id: None,
        num_turns: 0,
        cost_usd: 0.0,
        changed_files: Vec::new(),
        error: Some(why.to_string()),
    }
}

fn outcome_word(outcome: RepoOutcome) -> &'static str {
    match outcome {
        RepoOutcome::Success => "succeeded",
        RepoOutcome::Failed => "failed",
        RepoOutcome::Skipped => "skipped",
        RepoOutcome::Cancelled => "cancelled",
    }
}

fn summary(run: &RepoRun) -> String {
    match run.outcome {
        RepoOutcome::Success => format!(
            "done in {}, {} changed",
            plural(run.num_turns as usize, "turn", "turns"),
            plural(run.changed_files.len(), "file", "files")
        ),
        _ => run
            .error
            .clone()
            .unwrap_or_else(|| outcome_word(run.outcome).into()),
    }
}
