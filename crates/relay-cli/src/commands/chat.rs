//! `relay chat`: the offline REPL on the text transport.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use relay_core::voice::{VoiceSessionConfig, VoiceTransport};
use relay_voice::TextTransport;

use super::voice::{ToolArgs, registry, voice_error, wait_reply};
use crate::agent::AgentKind;
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
    let transport = TextTransport::new(registry(g, &args.tools, AgentKind::Shell).await?);
    let session = transport
        .start(VoiceSessionConfig::default())
        .await
        .map_err(voice_error)?;
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
        session.send_text(line).map_err(voice_error)?;
        wait_reply(&session, args.json, Duration::from_secs(3600), &mut ignored).await?;
    }
    session.close();
    Ok(())
}
