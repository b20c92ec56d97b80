//! `relay commit`: one message across repositories.

use relay_core::{
    RepoGraph,
    repo::{CommitAction, CommitOptions},
};

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, ReportLine, print_json, render_report, short_sha};
use crate::progress::drive;

/// Arguments of `relay commit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commit message.
    #[arg(short, long)]
    message: String,
    /// Stage changes to tracked files first (like `git commit -a`).
    #[arg(short, long)]
    all: bool,
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
    let options = CommitOptions::new(&args.message)
        .repos(selection)
        .all(args.all)
        .jobs(g.jobs);
    let report = drive(graph.commit(options), args.json).await?;
    if args.json {
        print_json(&report);
    } else {
        let lines: Vec<ReportLine> = report
            .repos
            .iter()
            .map(|r| {
                let (action, color) = match r.action {
                    CommitAction::Committed => ("committed", Color::Green),
                    CommitAction::NothingToCommit => ("nothing to commit", Color::Dim),
                    CommitAction::Failed => ("failed", Color::Red),
                };
                let detail = r
                    .reason
                    .clone()
                    .or_else(|| r.sha.as_deref().map(|s| short_sha(s).to_owned()))
                    .unwrap_or_default();
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
        .any(|r| r.action == CommitAction::Failed)
    {
        return Err(CliError::reported_failure());
    }
    Ok(())
}
