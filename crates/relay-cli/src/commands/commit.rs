//! `relay commit`: one message across repositories.

use relay::core::{
    RepoGraph,
    repo::{CommitAction, CommitOptions},
};

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, ReportLine, short_sha};
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
    #[command(flatten)]
    scope: super::Scope,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let graph = g.graph()?;
    let options = CommitOptions::new(&args.message)
        .repos(args.scope.selection()?)
        .all(args.all)
        .jobs(g.jobs);
    let report = drive(graph.commit(options), args.json).await?;
    let lines = report
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
    let failed = report
        .repos
        .iter()
        .any(|r| r.action == CommitAction::Failed);
    super::finish_report(&report, args.json, lines, failed, g.style())
}
