//! `relay branch`: create or switch to a branch across repositories.

use relay_core::{
    RepoGraph,
    repo::{BranchAction, BranchOptions},
};

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, ReportLine, print_json, render_report, short_sha};
use crate::progress::drive;

/// Arguments of `relay branch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The branch name.
    name: String,
    /// Only these repositories (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "A,B",
        conflicts_with = "affected_by"
    )]
    repos: Vec<String>,
    /// This repository and every repository depending on it.
    #[arg(long, value_name = "REPO")]
    affected_by: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let graph = g.graph()?;
    let selection = super::selection(&args.repos, &args.affected_by)?;
    let options = BranchOptions::new(&args.name).repos(selection).jobs(g.jobs);
    let report = drive(graph.branch(options), args.json).await?;
    if args.json {
        print_json(&report);
    } else {
        let lines: Vec<ReportLine> = report
            .repos
            .iter()
            .map(|r| {
                let (action, color) = match r.action {
                    BranchAction::Created => ("created", Color::Green),
                    BranchAction::Switched => ("switched", Color::Green),
                    BranchAction::AlreadyOn => ("already on", Color::Green),
                    BranchAction::Skipped => ("skipped", Color::Yellow),
                    BranchAction::Failed => ("failed", Color::Red),
                };
                let detail = r.reason.clone().unwrap_or_else(|| {
                    format!(
                        "{} at {}",
                        args.name,
                        r.head.as_deref().map(short_sha).unwrap_or("?")
                    )
                });
                ReportLine {
                    name: r.name.clone(),
                    action: action.into(),
                    color,
                    detail,
                }
            })
            .collect();
        print!("{}", render_report(&lines, g.style()));
    }
    if report
        .repos
        .iter()
        .any(|r| r.action == BranchAction::Failed)
    {
        return Err(CliError::reported_failure());
    }
    Ok(())
}
