//! `relay sessions [--json]`: the saved conversations, most recent first.

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, Table, print_json};

/// Arguments of `relay sessions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.remember().await?;
    let sessions = relay.sessions().await?;
    if args.json {
        print_json(&sessions);
        return Ok(());
    }
    if sessions.is_empty() {
        println!("no saved sessions; start one with `relay chat --session NAME`");
        return Ok(());
    }
    let mut table = Table::new(vec![
        "SESSION", "USER", "TURNS", "PRIMARY", "SAVED", "EXPIRES",
    ]);
    for s in &sessions {
        table.row(vec![
            (s.id.clone(), Color::Cyan),
            (s.user.clone(), Color::Plain),
            (s.turns.to_string(), Color::Plain),
            (
                s.primary.clone().unwrap_or_else(|| "-".into()),
                Color::Plain,
            ),
            (relay::store::format_time(s.updated_ms), Color::Dim),
            (relay::store::format_time(s.expires_ms), Color::Dim),
        ]);
    }
    print!("{}", table.render(g.style()));
    Ok(())
}
