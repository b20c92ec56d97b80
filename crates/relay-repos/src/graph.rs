//! [`GitRepoGraph`]: the [`RepoGraph`] implementation over real git repositories.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use relay_core::{
    Job, RepoError, RepoGraph, Workspace,
    config::{RepoSpec, RuleAction},
    repo::{
        BranchOptions, BranchReport, CommitOptions, CommitReport, PushOptions, PushReport,
        RepoSelection, RepoStatus, RepoSync, SyncAction, SyncOptions, SyncReport, TriggeredRule,
    },
};

use crate::parallel::{effective_jobs, run_batches};
use crate::{branch, changes, commit, push, status, sync};

/// The default [`RepoGraph`]: git repositories read with gix, ordered with petgraph.
///
/// Cheap to clone; clones share the workspace.
#[derive(Clone, Debug)]
pub struct GitRepoGraph {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    workspace: Workspace,
    /// Parallelism of read operations (status, changed_since); 0 = number of cores.
    jobs: usize,
}

impl GitRepoGraph {
    /// A graph over `workspace`'s repositories.
    pub fn new(workspace: Workspace) -> Self {
        Self::with_jobs(workspace, 0)
    }

    /// Like [`GitRepoGraph::new`], reading status and history of up to `jobs` repositories at once
    /// (0 = number of cores).
    pub fn with_jobs(workspace: Workspace, jobs: usize) -> Self {
        GitRepoGraph {
            inner: Arc::new(Inner { workspace, jobs }),
        }
    }

    fn specs(&self, names: &[String]) -> Vec<RepoSpec> {
        names
            .iter()
            .filter_map(|n| self.inner.workspace.repo(n).cloned())
            .collect()
    }

    /// The selected repositories grouped into dependency batches.
    fn batches(&self, selection: &RepoSelection) -> Result<Vec<Vec<RepoSpec>>, RepoError> {
        let names = selection.resolve(&self.inner.workspace)?;
        let batches = self
            .inner
            .workspace
            .graph()
            .batches_of(&names)
            .map_err(|e| RepoError::InvalidRequest(e.to_string()))?;
        Ok(batches.iter().map(|b| self.specs(b)).collect())
    }

    /// Runs a blocking per-repository read for every name with bounded parallelism; results in
    /// input order.
    async fn read_each<T, F>(&self, names: Vec<String>, read: F) -> Vec<T>
    where
        T: Send + 'static,
        F: Fn(&RepoSpec) -> T + Send + Sync + 'static,
    {
        let jobs = effective_jobs(self.inner.jobs);
        let specs = self.specs(&names);
        // Many repositories at once: one thread each; a single repository: let gix use them all.
        let read = Arc::new(read);
        let chunks: Vec<Vec<(usize, RepoSpec)>> = {
            let mut chunks: Vec<Vec<(usize, RepoSpec)>> = (0..jobs.min(specs.len()).max(1))
                .map(|_| Vec::new())
                .collect();
            for (i, spec) in specs.into_iter().enumerate() {
                let n = chunks.len();
                chunks[i % n].push((i, spec));
            }
            chunks
        };
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let read = read.clone();
                tokio::task::spawn_blocking(move || {
                    chunk
                        .into_iter()
                        .map(|(i, s)| (i, read(&s)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut results: Vec<(usize, T)> = Vec::with_capacity(names.len());
        for handle in handles {
            results.extend(handle.await.expect("repository reads do not panic"));
        }
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, t)| t).collect()
    }
}

#[async_trait]
impl RepoGraph for GitRepoGraph {
    fn workspace(&self) -> &Workspace {
        &self.inner.workspace
    }

    async fn status(&self, repos: RepoSelection) -> Result<Vec<RepoStatus>, RepoError> {
        let names = repos.resolve(&self.inner.workspace)?;
        let threads = if names.len() > 1 { Some(1) } else { None };
        Ok(self
            .read_each(names, move |spec| status::repo_status(spec, threads))
            .await)
    }

    async fn changed_since(&self, rev: &str) -> Result<Vec<String>, RepoError> {
        let names = RepoSelection::All.resolve(&self.inner.workspace)?;
        let rev = rev.to_owned();
        let results = self
            .read_each(names.clone(), move |spec| {
                if !spec.path.exists() {
                    tracing::warn!(repo = %spec.name, "not cloned; treated as unchanged");
                    return Ok(false);
                }
                changes::changed_since(spec, &rev)
            })
            .await;
        let mut changed = Vec::new();
        for (name, result) in names.into_iter().zip(results) {
            if result? {
                changed.push(name);
            }
        }
        Ok(changed)
    }

    async fn changed_files(
        &self,
        repo: &str,
        since: Option<&str>,
    ) -> Result<Vec<String>, RepoError> {
        let spec = self
            .inner
            .workspace
            .repo(repo)
            .cloned()
            .ok_or_else(|| relay_core::repo::unknown_repo(&self.inner.workspace, repo))?;
        let since = since.map(str::to_owned);
        tokio::task::spawn_blocking(move || changes::changed_files(&spec, since.as_deref()))
            .await
            .map_err(|e| RepoError::InvalidRequest(format!("internal error: {e}")))?
    }

    fn sync(&self, options: SyncOptions) -> Job<SyncReport, RepoError> {
        let this = self.clone();
        let planned = self.batches(&options.repos);
        let total = planned
            .as_ref()
            .map(|b| b.iter().map(Vec::len).sum::<usize>() as u64)
            .ok();
        Job::spawn_with_total("sync", total, move |ctx| async move {
            let batches = planned?;
            let root = this.inner.workspace.root().to_path_buf();
            let explicit = !matches!(options.repos, RepoSelection::All);
            // Repositories with auto_sync off are only synced when named (or by a sync rule).
            let mut auto_sync_off: Vec<RepoSpec> = Vec::new();
            let batches: Vec<Vec<RepoSpec>> = batches
                .into_iter()
                .map(|batch| {
                    let (keep, off): (Vec<_>, Vec<_>) =
                        batch.into_iter().partition(|s| explicit || s.auto_sync);
                    auto_sync_off.extend(off);
                    keep
                })
                .collect();
            let run = |batches: Vec<Vec<RepoSpec>>| {
                let root = root.clone();
                run_batches(
                    &ctx,
                    batches,
                    options.jobs,
                    "syncing",
                    move |spec, interrupt| sync::sync_repo(spec, &root, interrupt),
                )
            };
            let mut report = SyncReport {
                repos: run(batches).await,
                triggered_rules: Vec::new(),
            };

            // Sync rules fire when sync moved the trigger branch of the trigger repo. A first clone
            // does not fire them: nothing that dependents built against has changed.
            let mut follow_up: Vec<String> = Vec::new();
            for rule in this.inner.workspace.sync_rules() {
                let fired = report.repos.iter().any(|r| {
                    r.name == rule.repo
                        && r.action == SyncAction::FastForwarded
                        && r.branch.as_deref() == Some(rule.branch.as_str())
                });
                if !fired {
                    continue;
                }
                report.triggered_rules.push(TriggeredRule {
                    trigger: format!("{}:{}", rule.repo, rule.branch),
                    action: rule.action,
                    notify: rule.notify.clone(),
                });
                if rule.action == RuleAction::UpdateDependents {
                    for name in &rule.notify {
                        let synced = report.repos.iter().any(|r| &r.name == name);
                        if !synced && !follow_up.contains(name) {
                            follow_up.push(name.clone());
                        }
                    }
                }
            }
            if !follow_up.is_empty() && !ctx.is_cancelled() {
                auto_sync_off.retain(|s| !follow_up.contains(&s.name));
                let batches = this.batches(&RepoSelection::Named(follow_up))?;
                report.repos.extend(run(batches).await);
            }
            for spec in auto_sync_off {
                ctx.repo_finished(
                    &spec.name,
                    relay_core::RepoOutcome::Skipped,
                    "skipped: auto_sync is off",
                )
                .await;
                report.repos.push(RepoSync {
                    name: spec.name.clone(),
                    action: SyncAction::Skipped,
                    reason: Some(format!(
                        "auto_sync is off; run `relay sync --repo {}` to sync it",
                        spec.name
                    )),
                    branch: None,
                    before: None,
                    after: None,
                });
            }
            // One entry per repository, in dependency order.
            let names = report.repos.iter().map(|r| r.name.clone()).collect();
            let order = RepoSelection::Named(names).resolve(&this.inner.workspace)?;
            report
                .repos
                .sort_by_key(|r| order.iter().position(|n| *n == r.name));
            Ok(report)
        })
    }

    fn branch(&self, options: BranchOptions) -> Job<BranchReport, RepoError> {
        let planned = branch::validate_branch_name(&options.name)
            .and_then(|b| Ok((b, self.batches(&options.repos)?)));
        Job::spawn("branch", move |ctx| async move {
            let (branch, batches) = planned?;
            let repos = run_batches(&ctx, batches, options.jobs, "branching", move |spec, _| {
                branch::branch_repo(spec, &branch)
            })
            .await;
            Ok(BranchReport { repos })
        })
    }

    fn commit(&self, options: CommitOptions) -> Job<CommitReport, RepoError> {
        let planned = if options.message.trim().is_empty() {
            Err(RepoError::InvalidRequest(
                "the commit message is empty; pass one with -m MESSAGE".into(),
            ))
        } else {
            self.batches(&options.repos)
        };
        Job::spawn("commit", move |ctx| async move {
            let batches = planned?;
            let (message, all) = (options.message.clone(), options.all);
            let repos = run_batches(&ctx, batches, options.jobs, "committing", move |spec, _| {
                commit::commit_repo(spec, &message, all)
            })
            .await;
            Ok(CommitReport { repos })
        })
    }

    fn push(&self, options: PushOptions) -> Job<PushReport, RepoError> {
        let planned = self.batches(&options.repos);
        Job::spawn("push", move |ctx| async move {
            let batches = planned?;
            let set_upstream = options.set_upstream;
            let repos = run_batches(&ctx, batches, options.jobs, "pushing", move |spec, _| {
                push::push_repo(spec, set_upstream)
            })
            .await;
            Ok(PushReport { repos })
        })
    }

    fn clone_into(&self, dest: PathBuf, repos: RepoSelection) -> Job<SyncReport, RepoError> {
        let planned = self.batches(&repos);
        let root = self.inner.workspace.root().to_path_buf();
        Job::spawn("clone_into", move |ctx| async move {
            let batches = planned?;
            let repos = run_batches(&ctx, batches, 0, "cloning", move |spec, interrupt| {
                let relative = spec
                    .path
                    .strip_prefix(&root)
                    .unwrap_or(&spec.path)
                    .to_path_buf();
                let target = dest.join(relative);
                let source = spec.path.to_string_lossy().into_owned();
                match sync::clone_to(spec, &source, &target, interrupt) {
                    Ok((branch, head)) => RepoSync {
                        name: spec.name.clone(),
                        action: SyncAction::Cloned,
                        reason: None,
                        branch,
                        before: None,
                        after: head,
                    },
                    Err(e) => RepoSync {
                        name: spec.name.clone(),
                        action: SyncAction::Failed,
                        reason: Some(e.to_string()),
                        branch: None,
                        before: None,
                        after: None,
                    },
                }
            })
            .await;
            Ok(SyncReport {
                repos,
                triggered_rules: Vec::new(),
            })
        })
    }
}
