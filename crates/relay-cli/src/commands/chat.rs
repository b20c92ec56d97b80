//! `relay chat`: the offline REPL on the text transport.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

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
    /// Save the conversation as NAME as it goes, resuming it when it exists (`relay sessions`
    /// lists them).
    #[arg(long, value_name = "NAME")]
    session: Option<String>,
    // The agent defaults to shell here: chat is the offline REPL.
    #[command(flatten)]
    tools: ToolArgs,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    // SIGINT, SIGTERM, SIGHUP: the session and its tool runs stop, their processes are killed.
    crate::shutdown::until_signal(chat(g, args)).await
}

async fn chat(g: &Global, args: Args) -> CliResult {
    let conversation =
        registry(g, &args.tools, AgentChoice::Shell, args.session.as_deref()).await?;
    let session = VoiceConfig::new()
        .transport(TransportKind::Text)
        .session(conversation.session_config())
        .start(conversation.registry.clone(), conversation.context.clone())
        .await?;
    let memory = conversation.memory.as_ref();
    let interactive = std::io::stdin().is_terminal();
    if interactive && !args.json {
        println!("Relay chat (offline). Type \"help\" for what I can do, \"exit\" to leave.");
    }
    if let Some(memory) = memory
        && memory.is_resumed()
        && !args.json
    {
        let record = memory.record();
        println!(
            "resumed session `{}`: {} earlier turn(s){}",
            record.id,
            record.turns.len(),
            record
                .primary
                .map(|p| format!(", primary project {p}"))
                .unwrap_or_default()
        );
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
        wait_reply(
            &session,
            args.json,
            Duration::from_secs(3600),
            &mut ignored,
            memory,
        )
        .await?;
    }
    session.close();
    Ok(())
}
