//! One module per subcommand.

pub mod audit;
pub mod branch;
pub mod briefing;
pub mod chat;
pub mod commit;
pub mod demo;
pub mod env;
pub mod github;
pub mod graph;
pub mod impact;
pub mod issues;
pub mod jobs;
pub mod mcp;
pub mod pr;
pub mod push;
pub mod run;
pub mod serve;
pub mod serve_security;
pub mod sessions;
pub mod status;
pub mod summary;
pub mod sync;
pub mod team;
pub mod voice;
pub mod worker;

use relay::core::repo::RepoSelection;
use serde::Serialize;

use crate::error::{CliError, CliResult};
use crate::output::{ReportLine, Style, print_json, render_report};

/// Which repositories a multi-repository command works on.
#[derive(Debug, Clone, clap::Args)]
pub struct Scope {
    /// Only these repositories (comma-separated or repeated).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "A,B",
        conflicts_with = "affected_by"
    )]
    pub repos: Vec<String>,
    /// This repository and every repository depending on it (repeatable).
    #[arg(long, value_name = "REPO")]
    pub affected_by: Vec<String>,
}

impl Scope {
    /// The selection these flags describe; neither flag means every repository.
    pub fn selection(&self) -> Result<RepoSelection, CliError> {
        selection(&self.repos, &self.affected_by)
    }
}

/// Prints a multi-repository report (JSON or a table) and turns failures into exit code 1.
pub fn finish_report<R: Serialize>(
    report: &R,
    json: bool,
    lines: Vec<ReportLine>,
    failed: bool,
    style: Style,
) -> CliResult {
    if json {
        print_json(report);
    } else {
        print!("{}", render_report(&lines, style));
    }
    if failed {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

/// `--repos a,b` / `--affected-by X` as a selection; neither means every repository.
pub fn selection(repos: &[String], affected_by: &[String]) -> Result<RepoSelection, CliError> {
    match (repos.is_empty(), affected_by.is_empty()) {
        (true, true) => Ok(RepoSelection::All),
        (false, true) => Ok(RepoSelection::Named(repos.to_vec())),
        (true, false) => Ok(RepoSelection::AffectedBy(affected_by.to_vec())),
        (false, false) => Err(CliError::usage(
            "use either --repos or --affected-by, not both",
        )),
    }
}
