//! `relay chat`: the offline REPL on the text transport.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use relay::core::tools::SessionContext;
use relay::{AgentChoice, TransportKind, VoiceConfig};

use super::voice::{ToolArgs, registry, wait_reply};
use crate::context::Global;
use crate::error::CliResult;

/// Arguments of `relay chat`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print every event as one JSON object per line.
    #[arg(long)]
    json: bool,
    // The agent defaults to shell here: chat is the offline REPL.
    #[command(flatten)]
    tools: ToolArgs,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    // SIGINT, SIGTERM, SIGHUP: the session and its tool runs stop, their processes are killed.
    crate::shutdown::until_signal(chat(g, args)).await
}

async fn chat(g: &Global, args: Args) -> CliResult {
    let registry = registry(g, &args.tools, AgentChoice::Shell).await?;
    let session = VoiceConfig::new()
        .transport(TransportKind::Text)
        .start(registry, SessionContext::new())
        .await?;
    let interactive = std::io::stdin().is_terminal();
    if interactive && !args.json {
        println!("Relay chat (offline). Type \"help\" for what I can do, \"exit\" to leave.");
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    // Blocking stdin reads stay off the async runtime.
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut ignored = Vec::new();
    loop {
        if interactive && !args.json {
            print!("> ");
            let _ = std::io::stdout().flush();
        }
        let Some(line) = rx.recv().await else { break };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "exit" || line == "quit" {
            break;
        }
        session.send_text(line)?;
        wait_reply(&session, args.json, Duration::from_secs(3600), &mut ignored).await?;
    }
    session.close();
    Ok(())
}
