//! The `run_agent_task` result: per-repository outcomes for the model to read and one short
//! summary for it to say.

use serde_json::{Value, json};

use relay_core::agent::run::{RepoRun, RunReport};
use relay_core::event::RepoOutcome;
use relay_core::words::plural;

/// Most changed files named in a repository's line (all are in `changed_files`).
const FILES_IN_LINE: usize = 5;

/// The tool's JSON result.
pub(super) fn report_json(task: &str, agent: &str, report: &RunReport) -> Value {
    let count = |o: RepoOutcome| report.repos.iter().filter(|r| r.outcome == o).count();
    let files_changed: usize = report.repos.iter().map(|r| r.changed_files.len()).sum();
    json!({
        "summary": summary(report, files_changed),
        "task": task,
        "agent": agent,
        "all_succeeded": report.all_succeeded(),
        "counts": {
            "succeeded": count(RepoOutcome::Success),
            "failed": count(RepoOutcome::Failed),
            "skipped": count(RepoOutcome::Skipped),
            "cancelled": count(RepoOutcome::Cancelled),
        },
        "files_changed": files_changed,
        "total_cost_usd": report.total_cost_usd(),
        "repositories": report.repos.iter().map(|r| json!({
            "name": r.name,
            "outcome": r.outcome,
            "line": line(r),
            "changed_files": r.changed_files,
            "cost_usd": r.cost_usd,
            "num_turns": r.num_turns,
            "session_id": r.session_id,
            "error": r.error,
        })).collect::<Vec<_>>(),
    })
}

/// One line per repository: "api: succeeded, 2 files changed (a.rs, b.rs)".
fn line(r: &RepoRun) -> String {
    match r.outcome {
        RepoOutcome::Success => {
            let files = match r.changed_files.len() {
                0 => "no files changed".to_string(),
                n => {
                    let mut shown = r.changed_files[..n.min(FILES_IN_LINE)].join(", ");
                    if n > FILES_IN_LINE {
                        shown.push_str(&format!(" and {} more", n - FILES_IN_LINE));
                    }
                    format!("{} changed ({shown})", plural(n, "file", "files"))
                }
            };
            format!("{}: succeeded, {files}", r.name)
        }
        outcome => {
            let word = match outcome {
                RepoOutcome::Failed => "failed",
                RepoOutcome::Skipped => "skipped",
                _ => "cancelled",
            };
            match r.error.as_deref().map(brief) {
                // The skip reason already starts with "skipped: ...".
                Some(why) if why.starts_with(word) => format!("{}: {why}", r.name),
                Some(why) => format!("{}: {word}: {why}", r.name),
                None => format!("{}: {word}", r.name),
            }
        }
    }
}

/// An error in one line: its first line and, when there is more (a stderr tail), its last.
fn brief(error: &str) -> String {
    let clip = |s: &str| -> String {
        if s.chars().count() > 200 {
            format!("{}…", s.chars().take(200).collect::<String>())
        } else {
            s.to_string()
        }
    };
    let mut lines = error.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    let head = first.strip_suffix("; stderr ends with:").unwrap_or(first);
    match lines.next_back() {
        Some(last) => format!("{} ({})", clip(head), clip(last)),
        None => clip(head),
    }
}

/// A sentence for the voice model: who succeeded, who did not, files and cost.
fn summary(report: &RunReport, files_changed: usize) -> String {
    let total = report.repos.len();
    if total == 0 {
        return "No repositories were selected, so nothing ran.".into();
    }
    let named = |o: RepoOutcome| -> Vec<&str> {
        report
            .repos
            .iter()
            .filter(|r| r.outcome == o)
            .map(|r| r.name.as_str())
            .collect()
    };
    let ok = named(RepoOutcome::Success);
    let mut text = if ok.len() == total {
        format!(
            "The task succeeded in {} ({})",
            if total == 1 {
                "the repository".to_string()
            } else {
                format!("all {total} repositories")
            },
            ok.join(", ")
        )
    } else if ok.is_empty() {
        format!(
            "The task succeeded in none of the {}",
            plural(total, "repository", "repositories")
        )
    } else {
        format!(
            "The task succeeded in {} of {total} repositories ({})",
            ok.len(),
            ok.join(", ")
        )
    };
    for (outcome, word) in [
        (RepoOutcome::Failed, "failed in"),
        (RepoOutcome::Skipped, "skipped"),
        (RepoOutcome::Cancelled, "cancelled in"),
    ] {
        let names = named(outcome);
        if !names.is_empty() {
            text.push_str(&format!("; {word} {}", names.join(", ")));
            if outcome == RepoOutcome::Skipped {
                text.push_str(" because a dependency did not succeed");
            }
        }
    }
    text.push_str(&format!(
        ". {} changed.",
        plural(files_changed, "file", "files")
    ));
    let cost = report.total_cost_usd();
    if cost > 0.0 {
        text.push_str(&format!(" Cost ${cost:.4}."));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, outcome: RepoOutcome, files: &[&str], error: Option<&str>) -> RepoRun {
        RepoRun {
            name: name.into(),
            outcome,
            session_id: None,
            num_turns: 1,
            cost_usd: 0.0,
            changed_files: files.iter().map(|f| f.to_string()).collect(),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn summary_names_each_outcome_and_counts_files() {
        let report = RunReport {
            repos: vec![
                run("api", RepoOutcome::Success, &["a.rs", "b.rs"], None),
                run(
                    "web",
                    RepoOutcome::Failed,
                    &[],
                    Some("`npm test` exited with code 1; stderr ends with:\nboom"),
                ),
                run(
                    "docs",
                    RepoOutcome::Skipped,
                    &[],
                    Some("skipped: dependency `web` did not succeed (failed)"),
                ),
            ],
        };
        let v = report_json("npm test", "shell", &report);
        assert_eq!(
            v["summary"],
            "The task succeeded in 1 of 3 repositories (api); failed in web; skipped docs \
             because a dependency did not succeed. 2 files changed."
        );
        assert_eq!(
            v["repositories"][0]["line"],
            "api: succeeded, 2 files changed (a.rs, b.rs)"
        );
        assert_eq!(
            v["repositories"][1]["line"],
            "web: failed: `npm test` exited with code 1 (boom)"
        );
        assert_eq!(
            v["repositories"][2]["line"],
            "docs: skipped: dependency `web` did not succeed (failed)"
        );
        assert_eq!(v["counts"]["skipped"], 1);
        assert_eq!(v["all_succeeded"], false);
    }

    #[test]
    fn all_succeeded_and_empty_runs_read_naturally() {
        let mut one = run("api", RepoOutcome::Success, &[], None);
        one.cost_usd = 0.25;
        let v = report_json("t", "claude", &RunReport { repos: vec![one] });
        assert_eq!(
            v["summary"],
            "The task succeeded in the repository (api). 0 files changed. Cost $0.2500."
        );
        let v = report_json("t", "claude", &RunReport::default());
        assert_eq!(
            v["summary"],
            "No repositories were selected, so nothing ran."
        );
    }
}
