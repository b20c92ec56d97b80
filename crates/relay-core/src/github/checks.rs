//! Checks combined the way `gh pr checks` combines them: check runs and commit statuses become one
//! list, each in one of four buckets, and the list one overall state.

use serde::{Deserialize, Serialize};

/// The state of one check, or of a set of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Passed (a check run that succeeded or was neutral; a status `success`).
    Success,
    /// Failed (failure, timed out, cancelled, action required, startup failure, stale; a status
    /// `error` or `failure`).
    Failure,
    /// Not finished (queued, in progress, waiting; a status `pending`).
    Pending,
    /// Skipped.
    Skipped,
    /// No checks at all.
    None,
}

impl CheckState {
    /// Lower-case word, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Success => "success",
            CheckState::Failure => "failure",
            CheckState::Pending => "pending",
            CheckState::Skipped => "skipped",
            CheckState::None => "none",
        }
    }
}

/// One check: a check run (GitHub Actions and apps) or a commit status (older CI integrations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// The check run's name or the status's context.
    pub name: String,
    /// Its bucket.
    pub state: CheckState,
    /// Where to see it, when GitHub says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl CheckItem {
    /// A check run from its `status` (queued, in_progress, completed, waiting, requested,
    /// pending) and `conclusion` (REST lower case or GraphQL upper case).
    pub fn from_check_run(name: impl Into<String>, status: &str, conclusion: Option<&str>) -> Self {
        let state = if !status.eq_ignore_ascii_case("completed") {
            CheckState::Pending
        } else {
            match conclusion.map(str::to_ascii_lowercase).as_deref() {
                Some("success" | "neutral") => CheckState::Success,
                Some("skipped") => CheckState::Skipped,
                None => CheckState::Pending,
                Some(_) => CheckState::Failure,
            }
        };
        Self {
            name: name.into(),
            state,
            url: None,
        }
    }

    /// A commit status from its `state` (success, failure, error, pending; GraphQL also
    /// `EXPECTED`).
    pub fn from_status(context: impl Into<String>, state: &str) -> Self {
        let state = match state.to_ascii_lowercase().as_str() {
            "success" => CheckState::Success,
            "failure" | "error" => CheckState::Failure,
            _ => CheckState::Pending,
        };
        Self {
            name: context.into(),
            state,
            url: None,
        }
    }

    /// The same check with its link.
    pub fn with_url(mut self, url: Option<String>) -> Self {
        self.url = url;
        self
    }
}

/// The checks of one commit, combined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksSummary {
    /// Overall: failure when any failed, else pending when any is running, else success when
    /// any passed, else skipped when all were skipped, else none.
    pub state: CheckState,
    /// How many checks passed.
    pub passed: u32,
    /// How many failed.
    pub failed: u32,
    /// How many are not finished.
    pub pending: u32,
    /// How many were skipped.
    pub skipped: u32,
    /// Names of the failed checks, in order.
    pub failing: Vec<String>,
    /// Every check, by name (one per name: a re-run replaces the earlier one).
    pub checks: Vec<CheckItem>,
}

impl Default for ChecksSummary {
    fn default() -> Self {
        Self::combine(Vec::new())
    }
}

impl ChecksSummary {
    /// Combines check runs and statuses. A name seen twice keeps its first entry (GitHub lists
    /// the newest first), as `gh pr checks` does.
    pub fn combine(items: impl IntoIterator<Item = CheckItem>) -> Self {
        let mut checks: Vec<CheckItem> = Vec::new();
        for item in items {
            if !checks.iter().any(|c| c.name == item.name) {
                checks.push(item);
            }
        }
        let count = |s: CheckState| checks.iter().filter(|c| c.state == s).count() as u32;
        let (passed, failed, pending, skipped) = (
            count(CheckState::Success),
            count(CheckState::Failure),
            count(CheckState::Pending),
            count(CheckState::Skipped),
        );
        let state = if failed > 0 {
            CheckState::Failure
        } else if pending > 0 {
            CheckState::Pending
        } else if passed > 0 {
            CheckState::Success
        } else if skipped > 0 {
            CheckState::Skipped
        } else {
            CheckState::None
        };
        let failing = checks
            .iter()
            .filter(|c| c.state == CheckState::Failure)
            .map(|c| c.name.clone())
            .collect();
        Self {
            state,
            passed,
            failed,
            pending,
            skipped,
            failing,
            checks,
        }
    }

    /// A short spoken form: "2 of 3 checks failing: test, lint", "all 4 checks passing", ...
    pub fn describe(&self) -> String {
        let total = self.checks.len();
        match self.state {
            CheckState::None => "no checks".into(),
            CheckState::Failure => format!(
                "{} of {total} checks failing: {}",
                self.failed,
                self.failing.join(", ")
            ),
            CheckState::Pending => format!("{} of {total} checks still running", self.pending),
            CheckState::Success if self.skipped > 0 => {
                format!("{} checks passing, {} skipped", self.passed, self.skipped)
            }
            CheckState::Success => format!("all {total} checks passing"),
            CheckState::Skipped => format!("all {total} checks skipped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_runs_and_statuses_fall_into_gh_buckets() {
        let s = ChecksSummary::combine([
            CheckItem::from_check_run("build", "completed", Some("success")),
            CheckItem::from_check_run("lint", "completed", Some("NEUTRAL")),
            CheckItem::from_check_run("docs", "completed", Some("skipped")),
            CheckItem::from_check_run("e2e", "in_progress", None),
            CheckItem::from_status("ci/legacy", "error"),
            CheckItem::from_check_run("test", "COMPLETED", Some("TIMED_OUT")),
            CheckItem::from_check_run("test", "completed", Some("success")),
        ]);
        assert_eq!(s.state, CheckState::Failure);
        assert_eq!((s.passed, s.failed, s.pending, s.skipped), (2, 2, 1, 1));
        assert_eq!(s.failing, ["ci/legacy", "test"]);
        assert_eq!(s.checks.len(), 6);
        assert_eq!(s.describe(), "2 of 6 checks failing: ci/legacy, test");
    }

    #[test]
    fn overall_state_follows_gh() {
        let pending = ChecksSummary::combine([
            CheckItem::from_check_run("a", "completed", Some("success")),
            CheckItem::from_status("b", "pending"),
        ]);
        assert_eq!(pending.state, CheckState::Pending);
        let skipped =
            ChecksSummary::combine([CheckItem::from_check_run("a", "completed", Some("skipped"))]);
        assert_eq!(skipped.state, CheckState::Skipped);
        assert_eq!(ChecksSummary::default().state, CheckState::None);
        let green = ChecksSummary::combine([CheckItem::from_status("ci", "success")]);
        assert_eq!(green.describe(), "all 1 checks passing");
    }
}
