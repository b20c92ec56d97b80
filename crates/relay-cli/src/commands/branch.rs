//! `relay branch`: create or switch to a branch across repositories.

use relay::core::{
    RepoGraph,
    repo::{BranchAction, BranchOptions},
};

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, ReportLine, short_sha};
use crate::progress::drive;

/// Arguments of `relay branch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The branch name.
    name: String,
    #[command(flatten)]
    scope: super::Scope,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let graph = g.graph()?;
    let options = BranchOptions::new(&args.name)
        .repos(args.scope.selection()?)
        .jobs(g.jobs);
    let report = drive(graph.branch(options), args.json).await?;
    let lines = report
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
    let failed = report
        .repos
        .iter()
        .any(|r| r.action == BranchAction::Failed);
    super::finish_report(&report, args.json, lines, failed, g.style())
}
