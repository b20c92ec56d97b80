//! `relay graph`: repositories, edges and batches.

use serde_json::json;

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, print_json};

/// Arguments of `relay graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let workspace = g.workspace()?;
    let graph = workspace.graph();
    if args.json {
        print_json(
            &json!({ "repos": graph.repos(), "edges": graph.edges(), "batches": graph.batches() }),
        );
        return Ok(());
    }
    let style = g.style();
    println!(
        "{}",
        style.paint(
            Color::Bold,
            &format!(
                "{} repositories, {} dependencies",
                graph.len(),
                graph.edges().len()
            )
        )
    );
    for name in graph.repos() {
        let deps = graph.dependencies(&name).unwrap_or_default();
        if deps.is_empty() {
            println!("  {}", style.paint(Color::Cyan, &name));
        } else {
            println!(
                "  {} -> {}",
                style.paint(Color::Cyan, &name),
                deps.join(", ")
            );
        }
    }
    println!(
        "\n{}",
        style.paint(Color::Bold, "Batches (each depends only on earlier ones):")
    );
    for (i, batch) in graph.batches().iter().enumerate() {
        println!("  {}. {}", i + 1, batch.join(", "));
    }
    Ok(())
}
