//! `relay summary [--since 8h] [--json]`: the end-of-day summary (or the briefing since your
//! last session) from the audit log and the jobs.

use relay::core::words::parse_duration;

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, Table, print_json};

/// Arguments of `relay summary`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cover the last DURATION (8h, 1d); default: since your last saved session, else 8h.
    #[arg(long, value_name = "DURATION")]
    since: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.remember().await?;
    let since_ms = match &args.since {
        Some(text) => {
            let d = parse_duration(text).map_err(CliError::usage)?;
            Some(relay::store::now_ms().saturating_sub(d.as_millis() as u64))
        }
        None => None,
    };
    let summary = relay.summary(since_ms).await?;
    if args.json {
        print_json(&summary);
        return Ok(());
    }
    let style = g.style();
    let who = summary.user.clone().unwrap_or_else(|| "the team".into());
    match &summary.last_session {
        Some(s) => println!(
            "Since your last session `{s}` ({}), {who}:",
            relay::store::format_time(summary.since_ms)
        ),
        None => println!(
            "Since {}, {who}:",
            relay::store::format_time(summary.since_ms)
        ),
    }
    if summary.actions.is_empty() && summary.jobs.is_empty() {
        println!("  nothing recorded");
        return Ok(());
    }
    if !summary.repos.is_empty() {
        let mut table = Table::new(vec![
            "REPO",
            "COMMITS",
            "BRANCHES",
            "PUSHES",
            "SYNCS",
            "AGENT RUNS",
        ]);
        for (repo, a) in &summary.repos {
            let agent = if a.agent_runs_unfinished > 0 {
                format!("{} ({} unfinished)", a.agent_runs, a.agent_runs_unfinished)
            } else {
                a.agent_runs.to_string()
            };
            let name = if repo == "*" {
                "(all)".to_owned()
            } else {
                repo.clone()
            };
            table.row(vec![
                (name, Color::Cyan),
                (a.commits.to_string(), Color::Plain),
                (a.branches.to_string(), Color::Plain),
                (a.pushes.to_string(), Color::Plain),
                (a.syncs.to_string(), Color::Plain),
                (agent, Color::Plain),
            ]);
        }
        print!("{}", table.render(style));
    }
    if !summary.jobs.is_empty() {
        let jobs: Vec<String> = summary
            .jobs
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        println!("jobs: {}", jobs.join(", "));
    }
    if !summary.environments_created.is_empty() || !summary.environments_destroyed.is_empty() {
        println!(
            "environments: created {}; destroyed {}",
            list(&summary.environments_created),
            list(&summary.environments_destroyed)
        );
    }
    if summary.denied > 0 {
        println!("{} action(s) refused (see `relay audit`)", summary.denied);
    }
    Ok(())
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
