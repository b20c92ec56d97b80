//! `relay push`: publish the checked-out branch of repositories.

use relay::core::{
    RepoGraph,
    repo::{PushAction, PushOptions},
};

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, ReportLine};
use crate::progress::drive;

/// Arguments of `relay push`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    scope: super::Scope,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let graph = g.graph()?;
    let options = PushOptions {
        repos: args.scope.selection()?,
        jobs: g.jobs,
        ..PushOptions::default()
    };
    let report = drive(graph.push(options), args.json).await?;
    let lines = report
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
    let failed = report.repos.iter().any(|r| r.action == PushAction::Failed);
    super::finish_report(&report, args.json, lines, failed, g.style())
}
