//! `relay sync`: clone, fetch and fast-forward where it is safe.

use relay::core::{
    RuleAction,
    repo::{RepoSync, SyncAction, SyncOptions, SyncReport},
};

use relay::JobSpec;
use relay::core::store::JobState;

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, ReportLine, Style, print_json, render_report, short_sha};
use crate::progress::drive;

/// Arguments of `relay sync`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this repository (repeatable); named repositories are synced even with auto_sync off.
    #[arg(long = "repo", value_name = "NAME")]
    repos: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.relay().store(g.store_choice()?).build().await?;
    let graph = relay.require_graph()?;
    let selection = super::selection(&args.repos, &[])?;
    // Recorded as it runs: after a crash `relay jobs resume ID` finishes the rest.
    let record = relay
        .create_job(&JobSpec::sync(&relay, &selection)?, JobState::Running)
        .await?;
    let job = relay.recorded(
        record,
        graph.sync(SyncOptions::new().repos(selection).jobs(g.jobs)),
    );
    let report = drive(job, args.json).await?;
    if args.json {
        print_json(&report);
    } else {
        print!("{}", render(&report, g.style()));
    }
    if report.has_failures() {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

/// The sync report as a table, followed by the sync rules that fired.
pub fn render(report: &SyncReport, style: Style) -> String {
    let lines: Vec<ReportLine> = report.repos.iter().map(line).collect();
    let mut out = render_report(&lines, style);
    for rule in &report.triggered_rules {
        let what = match rule.action {
            RuleAction::UpdateDependents => "updated",
            RuleAction::Notify => "affected",
        };
        out.push_str(&format!(
            "\nsync rule {}: {what}: {}\n",
            rule.trigger,
            rule.notify.join(", ")
        ));
    }
    out
}

fn line(r: &RepoSync) -> ReportLine {
    let (action, color) = match r.action {
        SyncAction::Cloned => ("cloned", Color::Green),
        SyncAction::Fetched => ("fetched", Color::Plain),
        SyncAction::FastForwarded => ("fast-forwarded", Color::Green),
        SyncAction::UpToDate => ("up to date", Color::Green),
        SyncAction::Skipped => ("skipped", Color::Yellow),
        SyncAction::Failed => ("failed", Color::Red),
    };
    let mut detail = String::new();
    if let (Some(before), Some(after)) = (&r.before, &r.after)
        && before != after
    {
        detail.push_str(&format!("{}..{} ", short_sha(before), short_sha(after)));
    }
    if let Some(reason) = &r.reason {
        detail.push_str(reason);
    }
    ReportLine {
        name: r.name.clone(),
        action: action.into(),
        color,
        detail: detail.trim_end().to_owned(),
    }
}
