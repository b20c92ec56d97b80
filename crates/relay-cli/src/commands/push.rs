//! `relay push`: publish the checked-out branch of repositories.

use relay_core::{
    RepoGraph,
    repo::{PushAction, PushOptions},
};

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, ReportLine, print_json, render_report};
use crate::progress::drive;

/// Arguments of `relay push`.
#[derive(Debug, clap::Args)]
pub struct Args {
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
    let options = PushOptions {
        repos: selection,
        jobs: g.jobs,
        ..PushOptions::default()
    };
    let report = drive(graph.push(options), args.json).await?;
    if args.json {
        print_json(&report);
    } else {
        let lines: Vec<ReportLine> = report
            .repos
            .iter()
            .map(|r| {
                let (action, color) = match r.action {
                    PushAction::Pushed => ("pushed", Color::Green),
                    PushAction::UpToDate => ("up to date", Color::Green),
                    PushAction::Skipped => ("skipped", Color::Yellow),
                    PushAction::Failed => ("failed", Color::Red),
                };
                ReportLine {
                    name: r.name.clone(),
                    action: action.into(),
                    color,
                    detail: r.reason.clone().unwrap_or_default(),
                }
            })
            .collect();
        print!("{}", render_report(&lines, g.style()));
    }
    if report.repos.iter().any(|r| r.action == PushAction::Failed) {
        return Err(CliError::reported_failure());
    }
    Ok(())
}
