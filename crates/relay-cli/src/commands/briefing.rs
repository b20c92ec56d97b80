//! `relay briefing`: the morning briefing, local status and GitHub, most urgent first.

use relay::github::briefing;
use serde_json::Value;

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, print_json};

/// Arguments of `relay briefing`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON: `{"repos": [...], "highlights": [...]}` (docs/github.md).
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.relay().github_if_available().build().await?;
    let graph = relay.require_graph()?;
    let github = relay.github();
    let b = briefing(graph.as_ref(), github.as_deref()).await?;
    if args.json {
        print_json(&b);
    } else {
        let style = g.style();
        let statuses: Vec<_> = b.repos.iter().map(|r| r.status.clone()).collect();
        print!(
            "{}",
            super::status::render(graph.workspace().root(), &statuses, style)
        );
        println!();
        if b.highlights.is_empty() && b.github_error.is_none() {
            println!(
                "{}",
                style.paint(Color::Green, "Nothing on GitHub needs you.")
            );
        }
        for h in &b.highlights {
            let color = match serde_json::to_value(h.kind)
                .ok()
                .as_ref()
                .and_then(Value::as_str)
            {
                Some("failing_checks") | Some("unreadable") => Color::Red,
                Some("review_requested") | Some("urgent_issue") => Color::Yellow,
                _ => Color::Plain,
            };
            println!("{}", style.paint(color, &format!("• {}", h.text)));
        }
    }
    match (&b.github_error, github.is_some()) {
        (Some(e), true) => Err(CliError {
            code: crate::error::EXIT_FAILED,
            message: format!("GitHub was not read: {e}"),
        }),
        (Some(e), false) => {
            eprintln!("note: {e}");
            Ok(())
        }
        (None, _) => Ok(()),
    }
}
