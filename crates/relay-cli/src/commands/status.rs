//! `relay status`: the morning briefing.

use relay::core::{RepoGraph, repo::RepoStatus};
use serde_json::json;

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, Style, Table, print_json, short_sha};

/// Arguments of `relay status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these repositories (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    repos: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let graph = g.graph()?;
    let selection = super::selection(&args.repos, &[])?;
    let repos = graph.status(selection).await?;
    if args.json {
        print_json(&json!({ "workspace": graph.workspace().root(), "repos": repos }));
    } else {
        print!("{}", render(graph.workspace().root(), &repos, g.style()));
    }
    if repos.iter().any(|r| r.error.is_some()) {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

/// The status table with a heading line.
pub fn render(root: &std::path::Path, repos: &[RepoStatus], style: Style) -> String {
    let mut table = Table::new(vec!["REPO", "BRANCH", "SYNC", "CHANGES", "LAST COMMIT"]);
    for r in repos {
        if let Some(error) = &r.error {
            table.row(vec![
                (r.name.clone(), Color::Cyan),
                ("-".into(), Color::Dim),
                ("-".into(), Color::Dim),
                ("-".into(), Color::Dim),
                (error.clone(), Color::Red),
            ]);
            continue;
        }
        let branch = match (&r.branch, &r.head) {
            (Some(b), _) => (b.clone(), Color::Plain),
            (None, Some(h)) => (format!("(detached at {})", short_sha(h)), Color::Yellow),
            (None, None) => ("(none)".into(), Color::Dim),
        };
        table.row(vec![
            (r.name.clone(), Color::Cyan),
            branch,
            sync_cell(r),
            changes_cell(r),
            last_commit_cell(r),
        ]);
    }
    let heading = format!(
        "Workspace {} ({} repositories)\n\n",
        root.display(),
        repos.len()
    );
    format!(
        "{}{}",
        style.paint(Color::Bold, &heading),
        table.render(style)
    )
}

fn sync_cell(r: &RepoStatus) -> (String, Color) {
    match (&r.upstream, r.ahead, r.behind) {
        (None, _, _) => ("no upstream".into(), Color::Dim),
        (Some(up), None, None) => (format!("{up} (gone)"), Color::Yellow),
        (Some(up), Some(0), Some(0)) => (format!("= {up}"), Color::Green),
        (Some(up), ahead, behind) => {
            let mut parts = Vec::new();
            if let Some(a) = ahead.filter(|a| *a > 0) {
                parts.push(format!("↑{a}"));
            }
            if let Some(b) = behind.filter(|b| *b > 0) {
                parts.push(format!("↓{b}"));
            }
            let color = if behind.unwrap_or(0) > 0 && ahead.unwrap_or(0) > 0 {
                Color::Red
            } else {
                Color::Yellow
            };
            (format!("{} {up}", parts.join(" ")), color)
        }
    }
}

fn changes_cell(r: &RepoStatus) -> (String, Color) {
    if !r.is_dirty() {
        return ("clean".into(), Color::Green);
    }
    let mut parts = Vec::new();
    for (n, what) in [
        (r.conflicted, "conflicted"),
        (r.staged, "staged"),
        (r.unstaged, "unstaged"),
        (r.untracked, "untracked"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    (
        parts.join(", "),
        if r.conflicted > 0 {
            Color::Red
        } else {
            Color::Yellow
        },
    )
}

fn last_commit_cell(r: &RepoStatus) -> (String, Color) {
    match &r.last_commit {
        Some(c) => (
            format!(
                "{} {} ({}, {})",
                short_sha(&c.sha),
                c.summary,
                c.author,
                c.time
            ),
            Color::Plain,
        ),
        None => ("no commits yet".into(), Color::Dim),
    }
}
