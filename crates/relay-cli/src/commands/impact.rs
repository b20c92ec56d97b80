//! `relay impact`: what a change affects.

use relay::core::{Impact, RepoGraph};

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, Style, print_json};

/// Arguments of `relay impact`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The changed repositories.
    #[arg(
        value_name = "REPO",
        required_unless_present = "changed_since",
        conflicts_with = "changed_since"
    )]
    repos: Vec<String>,
    /// Instead of naming repositories: those with commits not in REV (a branch, tag or
    /// remote-tracking ref such as origin/main, resolved in each repository) or with uncommitted
    /// changes.
    #[arg(long, value_name = "REV")]
    changed_since: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let graph = g.graph()?;
    let changed = match &args.changed_since {
        Some(rev) => graph.changed_since(rev).await?,
        None => args.repos.clone(),
    };
    let impact = graph.impact(&changed)?;
    if args.json {
        print_json(&impact);
    } else {
        print!(
            "{}",
            render(&impact, args.changed_since.as_deref(), g.style())
        );
    }
    Ok(())
}

/// Impact as text.
pub fn render(impact: &Impact, since: Option<&str>, style: Style) -> String {
    let mut out = String::new();
    if impact.changed.is_empty() {
        let since = since.map(|s| format!(" since {s}")).unwrap_or_default();
        out.push_str(&format!(
            "Nothing changed{since}: no repository is affected.\n"
        ));
        return out;
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    out.push_str(&format!(
        "{} {}\n",
        style.paint(Color::Bold, "Changed:   "),
        list(&impact.changed)
    ));
    out.push_str(&format!(
        "{} {}\n",
        style.paint(Color::Bold, "Direct:    "),
        list(&impact.direct)
    ));
    out.push_str(&format!(
        "{} {}\n",
        style.paint(Color::Bold, "Transitive:"),
        list(&impact.transitive)
    ));
    out.push_str(&style.paint(Color::Bold, "Order:\n"));
    for (i, batch) in impact.batches.iter().enumerate() {
        out.push_str(&format!("  {}. {}\n", i + 1, batch.join(", ")));
    }
    out
}
