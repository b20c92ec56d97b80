//! Agent runs across repositories: one task run by a [`CodingAgent`](super::CodingAgent) in each
//! selected repository, in dependency order (parallel inside a batch, at most `jobs` at once).
//! A repository whose dependency did not succeed is skipped unless `keep_going`; each
//! repository's result lists the files changed (from git, after the run).
//!
//! ```no_run
//! # use std::sync::Arc;
//! # async fn demo(graph: Arc<dyn relay_core::RepoGraph>, agent: Arc<dyn relay_core::agent::CodingAgent>) {
//! use relay_core::agent::run::{AgentRunOptions, run_across_repos};
//! use relay_core::agent::AgentTask;
//! use relay_core::repo::RepoSelection;
//! let options = AgentRunOptions::new(AgentTask::builder("cargo test", ".").build())
//!     .repos(RepoSelection::AffectedBy(vec!["shared-api".into()]))
//!     .jobs(2);
//! let report = run_across_repos(graph, agent, options).wait().await.unwrap();
//! assert!(report.all_succeeded());
//! # }
//! ```

mod orchestrate;
mod prompt;

pub use orchestrate::run_across_repos;

use serde::{Deserialize, Serialize};

use crate::RepoError;
use crate::agent::AgentTask;
use crate::event::RepoOutcome;
use crate::job::JobFailure;
use crate::repo::RepoSelection;

/// What to run where.
#[derive(Clone)]
pub struct AgentRunOptions {
    /// The task and agent options; `cwd`, `repo`, `add_dirs` and the multi-repo part of the
    /// system prompt are filled in per repository.
    pub template: AgentTask,
    /// Which repositories.
    pub repos: RepoSelection,
    /// Most repositories worked on at once (0 = number of CPUs).
    pub jobs: usize,
    /// Run a repository even when one of its dependencies failed.
    pub keep_going: bool,
    /// Who answers the agent's permission questions (a person, through an approver), when the
    /// agent has no asker of its own.
    pub asker: Option<std::sync::Arc<dyn crate::agent::PermissionAsker>>,
}

impl std::fmt::Debug for AgentRunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRunOptions")
            .field("template", &self.template)
            .field("repos", &self.repos)
            .field("jobs", &self.jobs)
            .field("keep_going", &self.keep_going)
            .field("asker", &self.asker.is_some())
            .finish()
    }
}

impl AgentRunOptions {
    /// Runs `template` in every repository, one at a time, stopping dependents on failure.
    pub fn new(template: AgentTask) -> Self {
        Self {
            template,
            repos: RepoSelection::All,
            jobs: 1,
            keep_going: false,
            asker: None,
        }
    }
    /// Puts the agent's permission questions to `asker`.
    pub fn asker(mut self, asker: std::sync::Arc<dyn crate::agent::PermissionAsker>) -> Self {
        self.asker = Some(asker);
        self
    }
    /// Selects repositories.
    pub fn repos(mut self, repos: RepoSelection) -> Self {
        self.repos = repos;
        self
    }
    /// Sets the parallelism inside a dependency batch.
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }
    /// Keeps going past failed dependencies.
    pub fn keep_going(mut self, keep_going: bool) -> Self {
        self.keep_going = keep_going;
        self
    }
}

/// One repository's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoRun {
    /// Repository name.
    pub name: String,
    /// `success`, `failed`, `skipped` or `cancelled`.
    pub outcome: RepoOutcome,
    /// The agent session, usable to resume.
    pub session_id: Option<String>,
    /// Turns the agent used.
    pub num_turns: u32,
    /// Cost of this repository's run in USD.
    pub cost_usd: f64,
    /// Files changed by the run (committed or not), relative to the repository root.
    pub changed_files: Vec<String>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
}

/// The result of a run across repositories, in the order the repositories were scheduled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// One entry per selected repository.
    pub repos: Vec<RepoRun>,
}

impl RunReport {
    /// Whether every repository succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.repos.iter().all(|r| r.outcome == RepoOutcome::Success)
    }
    /// Total cost in USD.
    pub fn total_cost_usd(&self) -> f64 {
        self.repos.iter().map(|r| r.cost_usd).sum()
    }
}

/// Why a run across repositories could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The selection or the workspace is invalid.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The job was cancelled or crashed.
    #[error(transparent)]
    Job(#[from] JobFailure),
}
