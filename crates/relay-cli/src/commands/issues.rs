//! `relay issues`: open GitHub issues assigned to you, urgent first.

use serde_json::json;

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, Table, print_json};

/// Arguments of `relay issues`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these repositories (comma-separated; workspace names or OWNER/NAME).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    repos: Vec<String>,
    /// Print JSON: `{"issues": [...]}` (docs/github.md).
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let (graph, github) = super::github::parts(g).await?;
    let slugs = super::github::slugs(graph.as_ref(), &args.repos)?;
    let overview = github
        .overview(&slugs.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>())
        .await?;
    let mut rows = Vec::new();
    for ((name, _), repo) in slugs.iter().zip(&overview.repos) {
        if let Some(e) = &repo.error {
            eprintln!("warning: {name}: {e}");
        }
        for issue in &repo.issues {
            rows.push((name.clone(), issue.clone()));
        }
    }
    rows.sort_by_key(|(_, i)| !i.urgent);
    if args.json {
        let issues: Vec<_> = rows
            .iter()
            .map(|(name, i)| {
                let mut v = json!(i);
                v["name"] = json!(name);
                v
            })
            .collect();
        print_json(&json!({ "viewer": overview.viewer, "issues": issues }));
        return Ok(());
    }
    let style = g.style();
    let mut table = Table::new(vec!["REPO", "#", "TITLE", "LABELS"]);
    for (name, i) in &rows {
        table.row(vec![
            (name.clone(), Color::Cyan),
            (i.number.to_string(), Color::Plain),
            (
                i.title.clone(),
                if i.urgent { Color::Red } else { Color::Plain },
            ),
            (i.labels.join(", "), Color::Dim),
        ]);
    }
    if rows.is_empty() {
        println!("No open issues are assigned to {}.", overview.viewer);
    } else {
        print!("{}", table.render(style));
    }
    Ok(())
}
