//! The [`RepoGraph`] trait: the repositories of a workspace, their state and the operations that
//! span many of them.
//!
//! Multi-repository operations are [`Job`]s: they stream per-repository progress and end in a
//! report with one entry per repository. One repository failing never stops or corrupts the others;
//! its entry says what happened.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::Workspace;
use crate::error::RepoError;
use crate::graph::{GraphError, Impact};
use crate::job::Job;

/// Which repositories an operation covers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", content = "repos", rename_all = "snake_case")]
pub enum RepoSelection {
    /// Every repository (for sync: every repository with `auto_sync: true`).
    #[default]
    All,
    /// Exactly these repositories.
    Named(Vec<String>),
    /// These repositories and everything that depends on them, directly or not.
    AffectedBy(Vec<String>),
}

impl RepoSelection {
    /// Resolves the selection to repository names in dependency order (dependencies first,
    /// workspace order inside a batch). Unknown names are an error that lists the known ones.
    pub fn resolve(&self, workspace: &Workspace) -> Result<Vec<String>, RepoError> {
        let graph = workspace.graph();
        let check = |names: &[String]| -> Result<(), RepoError> {
            for name in names {
                if !graph.contains(name) {
                    return Err(unknown_repo(workspace, name));
                }
            }
            Ok(())
        };
        let selected = match self {
            RepoSelection::All => graph.repos(),
            RepoSelection::Named(names) => {
                check(names)?;
                names.clone()
            }
            RepoSelection::AffectedBy(names) => {
                check(names)?;
                let impact = graph.impact(names).map_err(|e| graph_error(workspace, e))?;
                impact
                    .changed
                    .into_iter()
                    .chain(impact.transitive)
                    .collect()
            }
        };
        let batches = graph
            .batches_of(&selected)
            .map_err(|e| graph_error(workspace, e))?;
        Ok(batches.into_iter().flatten().collect())
    }
}

/// The error for a repository name the workspace does not define.
pub fn unknown_repo(workspace: &Workspace, name: &str) -> RepoError {
    RepoError::UnknownRepo {
        name: name.to_owned(),
        known: workspace.repos().iter().map(|r| r.name.clone()).collect(),
    }
}

fn graph_error(workspace: &Workspace, error: GraphError) -> RepoError {
    match error {
        GraphError::UnknownRepo(name) => unknown_repo(workspace, &name),
        GraphError::Cycle(_) => RepoError::InvalidRequest(error.to_string()),
    }
}

/// The state of one repository, with the numbers `git status --porcelain=v2 --branch` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoStatus {
    /// Repository name.
    pub name: String,
    /// Working tree path.
    pub path: PathBuf,
    /// Checked-out branch; `None` when HEAD is detached (or the repository is missing).
    pub branch: Option<String>,
    /// Full sha of HEAD; `None` for an unborn branch or a missing repository.
    pub head: Option<String>,
    /// Upstream of the branch, e.g. `origin/main`, when configured.
    pub upstream: Option<String>,
    /// Commits on the branch not on its upstream (`None` without an upstream).
    pub ahead: Option<u32>,
    /// Commits on the upstream not on the branch (`None` without an upstream).
    pub behind: Option<u32>,
    /// Paths with changes staged in the index.
    pub staged: u32,
    /// Paths with changes in the working tree not staged.
    pub unstaged: u32,
    /// Untracked paths (not ignored), counted like git: an untracked directory counts once.
    pub untracked: u32,
    /// Paths with unresolved merge conflicts.
    pub conflicted: u32,
    /// The commit HEAD points to.
    pub last_commit: Option<CommitInfo>,
    /// Why the status could not be read (e.g. not cloned yet); the other fields are then empty.
    pub error: Option<String>,
}

impl RepoStatus {
    /// Whether the working tree or index has any change (staged, unstaged, untracked or conflicted).
    pub fn is_dirty(&self) -> bool {
        self.staged + self.unstaged + self.untracked + self.conflicted > 0
    }
}

/// A commit as shown in briefings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full sha.
    pub sha: String,
    /// First line of the message.
    pub summary: String,
    /// Author name.
    pub author: String,
    /// Author time, RFC 3339 with the author's offset (like `git log --format=%aI`).
    pub time: String,
}

/// Options of [`RepoGraph::sync`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOptions {
    /// Which repositories; [`RepoSelection::All`] means those with `auto_sync: true`.
    pub repos: RepoSelection,
    /// Parallelism; 0 means the number of cores.
    pub jobs: usize,
}

impl SyncOptions {
    /// Sync every auto-synced repository.
    pub fn new() -> Self {
        Self::default()
    }
    /// Restrict to a selection.
    pub fn repos(mut self, repos: RepoSelection) -> Self {
        self.repos = repos;
        self
    }
    /// Set the parallelism (0 = number of cores).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }
}

/// What sync did to one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncAction {
    /// It was missing and was cloned.
    Cloned,
    /// Fetched; no local branch was moved (see `reason`).
    Fetched,
    /// Fetched and fast-forwarded.
    FastForwarded,
    /// Fetched; already up to date.
    UpToDate,
    /// Left untouched on purpose (dirty, diverged, detached, auto_sync off); see `reason`.
    Skipped,
    /// An error stopped the sync of this repository; see `reason`. Nothing was changed.
    Failed,
}

/// One repository's line of a [`SyncReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSync {
    /// Repository name.
    pub name: String,
    /// What happened.
    pub action: SyncAction,
    /// Why, for anything but a plain success.
    pub reason: Option<String>,
    /// The local branch this entry is about: the one fast-forwarded, found up to date, dirty or
    /// diverged, or checked out by a clone. `None` when sync never got to a branch (failures,
    /// detached HEAD, auto_sync off). Sync rules (`REPO:BRANCH`) fire on this field.
    #[serde(default)]
    pub branch: Option<String>,
    /// The updated branch's sha before (None when cloned or unborn).
    pub before: Option<String>,
    /// The updated branch's sha after.
    pub after: Option<String>,
}

/// The result of [`RepoGraph::sync`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// One entry per repository, in dependency order.
    pub repos: Vec<RepoSync>,
    /// Sync rules whose trigger branch moved during this sync.
    pub triggered_rules: Vec<TriggeredRule>,
}

impl SyncReport {
    /// Whether any repository failed.
    pub fn has_failures(&self) -> bool {
        self.repos.iter().any(|r| r.action == SyncAction::Failed)
    }
}

/// A sync rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggeredRule {
    /// `REPO:BRANCH` as written in `relay.yaml`.
    pub trigger: String,
    /// The rule's action.
    pub action: crate::config::RuleAction,
    /// The repositories the rule names.
    pub notify: Vec<String>,
}

/// Options of [`RepoGraph::branch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchOptions {
    /// Branch name.
    pub name: String,
    /// Which repositories.
    pub repos: RepoSelection,
    /// Parallelism; 0 means the number of cores.
    pub jobs: usize,
}

impl BranchOptions {
    /// Create or switch to `name` in every repository.
    pub fn new(name: impl Into<String>) -> Self {
        BranchOptions {
            name: name.into(),
            repos: RepoSelection::All,
            jobs: 0,
        }
    }
    /// Restrict to a selection.
    pub fn repos(mut self, repos: RepoSelection) -> Self {
        self.repos = repos;
        self
    }
    /// Set the parallelism (0 = number of cores).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }
}

/// What [`RepoGraph::branch`] did in one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchAction {
    /// Created at HEAD and checked out.
    Created,
    /// It existed and is now checked out.
    Switched,
    /// It was already checked out.
    AlreadyOn,
    /// Left untouched; see `reason`.
    Skipped,
    /// Failed; see `reason`. Nothing was changed.
    Failed,
}

/// One repository's line of a [`BranchReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoBranch {
    /// Repository name.
    pub name: String,
    /// What happened.
    pub action: BranchAction,
    /// Why, for skips and failures.
    pub reason: Option<String>,
    /// HEAD after the operation.
    pub head: Option<String>,
}

/// The result of [`RepoGraph::branch`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchReport {
    /// One entry per repository, in dependency order.
    pub repos: Vec<RepoBranch>,
}

/// Options of [`RepoGraph::commit`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitOptions {
    /// The commit message, the same in every repository.
    pub message: String,
    /// Which repositories; repositories with nothing to commit are reported, not failed.
    pub repos: RepoSelection,
    /// Stage changes to tracked files first (like `git commit -a`).
    pub all: bool,
    /// Parallelism; 0 means the number of cores.
    pub jobs: usize,
}

impl CommitOptions {
    /// Commit what is staged, in every repository, with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        CommitOptions {
            message: message.into(),
            repos: RepoSelection::All,
            all: false,
            jobs: 0,
        }
    }
    /// Restrict to a selection.
    pub fn repos(mut self, repos: RepoSelection) -> Self {
        self.repos = repos;
        self
    }
    /// Stage tracked changes first.
    pub fn all(mut self, all: bool) -> Self {
        self.all = all;
        self
    }
    /// Set the parallelism (0 = number of cores).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }
}

/// What [`RepoGraph::commit`] did in one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitAction {
    /// A commit was made.
    Committed,
    /// Nothing was staged.
    NothingToCommit,
    /// Failed (a hook refused, a conflict is unresolved, ...); see `reason`.
    Failed,
}

/// One repository's line of a [`CommitReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoCommit {
    /// Repository name.
    pub name: String,
    /// What happened.
    pub action: CommitAction,
    /// Why, for failures.
    pub reason: Option<String>,
    /// The new commit.
    pub sha: Option<String>,
}

/// The result of [`RepoGraph::commit`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitReport {
    /// One entry per repository, in dependency order.
    pub repos: Vec<RepoCommit>,
}

/// Options of [`RepoGraph::push`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOptions {
    /// Which repositories.
    pub repos: RepoSelection,
    /// Set the upstream of branches that have none (`git push -u origin BRANCH`).
    pub set_upstream: bool,
    /// Parallelism; 0 means the number of cores.
    pub jobs: usize,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            repos: RepoSelection::All,
            set_upstream: true,
            jobs: 0,
        }
    }
}

/// What [`RepoGraph::push`] did in one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushAction {
    /// Commits were pushed.
    Pushed,
    /// The remote already had everything.
    UpToDate,
    /// Not pushed on purpose (detached HEAD, no remote); see `reason`.
    Skipped,
    /// The push was refused or failed; see `reason`.
    Failed,
}

/// One repository's line of a [`PushReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoPush {
    /// Repository name.
    pub name: String,
    /// What happened.
    pub action: PushAction,
    /// Why, for skips and failures.
    pub reason: Option<String>,
}

/// The result of [`RepoGraph::push`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReport {
    /// One entry per repository, in dependency order.
    pub repos: Vec<RepoPush>,
}

/// The repositories of a workspace, their dependency graph and the operations across them.
///
/// The default implementation is `relay_repos::GitRepoGraph` (gix + petgraph).
#[async_trait]
pub trait RepoGraph: Send + Sync {
    /// The workspace this graph serves.
    fn workspace(&self) -> &Workspace;

    /// Status of the selected repositories, in dependency order. A repository whose status cannot
    /// be read has `error` set; the others are unaffected.
    async fn status(&self, repos: RepoSelection) -> Result<Vec<RepoStatus>, RepoError>;

    /// The repositories with commits not reachable from `rev`, or with uncommitted changes. `rev`
    /// is resolved in each repository (a branch, tag, or remote-tracking ref such as `origin/main`);
    /// a repository where it does not resolve is an error naming it.
    async fn changed_since(&self, rev: &str) -> Result<Vec<String>, RepoError>;

    /// Paths changed in `repo` since commit `since` (committed or not, untracked included),
    /// relative to the repository root, sorted. With `since = None`, uncommitted changes only.
    async fn changed_files(
        &self,
        repo: &str,
        since: Option<&str>,
    ) -> Result<Vec<String>, RepoError>;

    /// Clones missing repositories, fetches the others and fast-forwards them according to their
    /// `sync_strategy`. Dirty or diverged repositories are reported and left untouched.
    fn sync(&self, options: SyncOptions) -> Job<SyncReport, RepoError>;

    /// Creates (at HEAD) or switches to a branch in the selected repositories.
    fn branch(&self, options: BranchOptions) -> Job<BranchReport, RepoError>;

    /// Commits in the selected repositories with one message.
    fn commit(&self, options: CommitOptions) -> Job<CommitReport, RepoError>;

    /// Pushes the checked-out branch of the selected repositories to `origin`.
    fn push(&self, options: PushOptions) -> Job<PushReport, RepoError>;

    /// Clones the selected repositories from their working copies into `dest`, keeping each
    /// repository's path relative to the workspace root (used to populate environments).
    fn clone_into(&self, dest: PathBuf, repos: RepoSelection) -> Job<SyncReport, RepoError>;

    /// What a change to `changed` affects.
    fn impact(&self, changed: &[String]) -> Result<Impact, RepoError> {
        let workspace = self.workspace();
        workspace
            .graph()
            .impact(changed)
            .map_err(|e| graph_error(workspace, e))
    }
}
