//! `relay chat`: the offline REPL on the text transport.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use relay::{AgentChoice, TransportKind, VoiceConfig};

use super::voice::{ToolArgs, registry, wait_reply};
use crate::approvals::{self, ApproveArgs};
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
    #[command(flatten)]
    approve: ApproveArgs,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    // SIGINT, SIGTERM, SIGHUP: the session and its tool runs stop, their processes are killed.
    crate::shutdown::until_signal(chat(g, args)).await
}

async fn chat(g: &Global, args: Args) -> CliResult {
    let interactive = std::io::stdin().is_terminal();
    // Typed lines: chat input, and the answer to an approval question while a tool waits for
    // one (asked on stderr).
    let lines = approvals::stdin_lines();
    let conversation = registry(
        g,
        &args.tools,
        AgentChoice::Shell,
        args.session.as_deref(),
        &args.approve,
        |user| approvals::for_chat(&args.approve, interactive, &lines, user),
    )
    .await?;
    let session = VoiceConfig::new()
        .transport(TransportKind::Text)
        .session(conversation.session_config())
        .start(conversation.registry.clone(), conversation.context.clone())
        .await?;
    let memory = conversation.memory.as_ref();
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
    let mut ignored = Vec::new();
    loop {
        if interactive && !args.json {
            print!("> ");
            let _ = std::io::stdout().flush();
        }
        let Some(line) = lines.lock().await.recv().await else {
            break;
        };
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
