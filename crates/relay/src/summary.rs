//! The plan's summaries from memory: what happened (commits, branches, syncs, agent runs,
//! environments, denials), per repository, from the audit log and the durable jobs.

use std::collections::BTreeMap;

use relay_core::store::{AuditFilter, AuditOutcome, JobFilter, JobState};
use relay_core::tools::Permission;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, Relay};

/// Counts of one kind of action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    /// Succeeded.
    pub ok: u64,
    /// Failed.
    pub failed: u64,
    /// Refused (role or limits).
    pub denied: u64,
}

/// What happened in one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoActivity {
    /// Commits made (`commit` tool, `relay commit`).
    pub commits: u64,
    /// Branches created or switched (`create_branch`, `relay branch`).
    pub branches: u64,
    /// Pushes (`relay push`).
    pub pushes: u64,
    /// Syncs (`sync_repos`, `relay sync`).
    pub syncs: u64,
    /// Agent runs that finished here.
    pub agent_runs: u64,
    /// Agent runs that did not finish here (failed, interrupted, cancelled).
    pub agent_runs_unfinished: u64,
}

/// The end-of-day summary, or the briefing since the user's last session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// From (ms since the epoch).
    pub since_ms: u64,
    /// Whose activity: one user, or everyone (`None`, for team leads).
    pub user: Option<String>,
    /// Every audited action by name.
    pub actions: BTreeMap<String, Outcomes>,
    /// Per repository (`*` for commands over every repository).
    pub repos: BTreeMap<String, RepoActivity>,
    /// Jobs by state.
    pub jobs: BTreeMap<String, u64>,
    /// Environments created.
    pub environments_created: Vec<String>,
    /// Environments destroyed.
    pub environments_destroyed: Vec<String>,
    /// Refused actions.
    pub denied: u64,
    /// The session this briefing starts after, when `since` came from it.
    pub last_session: Option<String>,
}

impl Relay {
    /// What happened since `since_ms` (default: the end of the caller's last saved session,
    /// else the last 8 hours): the caller's own activity, or everyone's with the `team`
    /// permission.
    pub async fn summary(&self, since_ms: Option<u64>) -> Result<Summary, Error> {
        let store = self.require_store()?;
        let user = (!self.caller().may(Permission::Team)).then(|| self.caller().user.clone());
        let mut last_session = None;
        let since_ms = match since_ms {
            Some(s) => s,
            None => {
                let mine = self
                    .sessions()
                    .await?
                    .into_iter()
                    .find(|s| s.user == self.caller().user);
                match mine {
                    Some(s) => {
                        last_session = Some(s.id.clone());
                        s.updated_ms
                    }
                    None => relay_store::now_ms().saturating_sub(8 * 3600 * 1000),
                }
            }
        };
        let mut summary = Summary {
            since_ms,
            user: user.clone(),
            last_session,
            ..Default::default()
        };
        let records = store
            .audit(AuditFilter {
                since_ms: Some(since_ms),
                user: user.clone(),
            })
            .await?;
        for record in &records {
            let e = &record.entry;
            let counts = summary.actions.entry(e.action.clone()).or_default();
            match e.outcome {
                AuditOutcome::Ok => counts.ok += 1,
                AuditOutcome::Failed => counts.failed += 1,
                AuditOutcome::Denied => {
                    counts.denied += 1;
                    summary.denied += 1;
                }
            }
            if e.outcome != AuditOutcome::Ok {
                continue;
            }
            let action = e.action.trim_start_matches("relay ");
            if matches!(action, "env_up" | "env_down") {
                let name = e.args["name"].as_str().unwrap_or_default().to_owned();
                if action == "env_up" {
                    summary.environments_created.push(name);
                } else if e.args["stop_only"] != Value::Bool(true) {
                    summary.environments_destroyed.push(name);
                }
                continue;
            }
            for repo in repos_of(&e.args) {
                let activity = summary.repos.entry(repo).or_default();
                match action {
                    "commit" => activity.commits += 1,
                    "create_branch" | "branch" => activity.branches += 1,
                    "push" => activity.pushes += 1,
                    "sync_repos" | "sync" => activity.syncs += 1,
                    _ => {}
                }
            }
        }
        let jobs = self
            .jobs(JobFilter {
                since_ms: Some(since_ms),
                user,
                ..Default::default()
            })
            .await?;
        for job in &jobs {
            *summary
                .jobs
                .entry(job.state.as_str().to_owned())
                .or_default() += 1;
            if job.operation != "agent_run" {
                continue;
            }
            let repos = job.spec["repos"].as_array().cloned().unwrap_or_default();
            for repo in repos.iter().filter_map(Value::as_str) {
                let activity = summary.repos.entry(repo.to_owned()).or_default();
                if job.done.iter().any(|d| d == repo) {
                    activity.agent_runs += 1;
                } else if job.state != JobState::Running && job.state != JobState::Queued {
                    activity.agent_runs_unfinished += 1;
                }
            }
        }
        summary.repos.retain(|_, a| *a != RepoActivity::default());
        Ok(summary)
    }
}

/// The repositories an audited call names: a tool's `repos`/`repo` argument, a command's
/// `--repos a,b` / `--repo a` options; `*` when it names none (every repository).
fn repos_of(args: &Value) -> Vec<String> {
    if let Some(list) = args["repos"].as_array() {
        return list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    if let Some(repo) = args["repo"].as_str() {
        return vec![repo.to_owned()];
    }
    if let Some(argv) = args["argv"].as_array() {
        let argv: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
        let mut repos = Vec::new();
        for (i, arg) in argv.iter().enumerate() {
            let value = match arg.split_once('=') {
                Some((flag, v)) if flag == "--repos" || flag == "--repo" => Some(v),
                None if *arg == "--repos" || *arg == "--repo" => argv.get(i + 1).copied(),
                _ => None,
            };
            if let Some(v) = value {
                repos.extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned));
            }
        }
        if !repos.is_empty() {
            return repos;
        }
    }
    vec!["*".to_owned()]
}
