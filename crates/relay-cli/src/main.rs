//! `relay`: voice-driven, multi-repository agentic coding from the terminal.
//!
//! A thin adapter: every command parses its arguments, calls the `relay` facade and renders the
//! result.

mod agent;
mod audit;
mod commands;
mod context;
mod error;
mod infra;
mod output;
mod progress;
mod shutdown;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::context::Global;

/// Relay: work across a graph of git repositories, by voice or by hand.
#[derive(Debug, Parser)]
#[command(name = "relay", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The morning briefing: branch, sync state, changes and last commit of every repository.
    Status(commands::status::Args),
    /// The dependency graph: repositories, edges and the batches to work in.
    Graph(commands::graph::Args),
    /// What a change affects: direct and transitive dependents and the order to handle them.
    Impact(commands::impact::Args),
    /// Clone missing repositories, fetch, and fast-forward where it is safe.
    Sync(commands::sync::Args),
    /// Create or switch to a branch across repositories.
    Branch(commands::branch::Args),
    /// Commit across repositories with one message.
    Commit(commands::commit::Args),
    /// Push the checked-out branch of repositories to origin.
    Push(commands::push::Args),
    /// Create the sample workspace offline and tour it: status, impact, sync.
    Demo(commands::demo::Args),
    /// Run a coding task in each repository, in dependency order (claude or shell agent).
    Run(commands::run::Args),
    /// Talk to Relay through the OpenAI Realtime API, from typed utterances or a WAV file.
    Voice(commands::voice::Args),
    /// The offline chat REPL: type requests, Relay runs its tools and answers in text.
    Chat(commands::chat::Args),
    /// Development environments on Proxmox VE or as local directories (issue 5).
    Env(commands::env::Args),
    /// Serve the voice gateway (GET /v1/conversation), GitHub webhooks (POST /webhooks/github)
    /// and /healthz; pushes run sync rules.
    Serve(commands::serve::Args),
    /// Relay's tools as an MCP server: stdio (default) or Streamable HTTP (--http ADDR).
    Mcp(commands::mcp::Args),
    /// The morning briefing with GitHub: failing checks, review requests, urgent issues.
    Briefing(commands::briefing::Args),
    /// GitHub pull requests across the workspace: list, show, create, review, merge, checks.
    Pr(commands::pr::Args),
    /// Open GitHub issues assigned to you.
    Issues(commands::issues::Args),
    /// The team's users and roles; API tokens (`relay team token create USER`).
    Team(commands::team::Args),
    /// The audit log: who did what, when; `relay audit verify` checks its hash chain.
    Audit(commands::audit::Args),
    /// Saved conversations (`relay chat --session NAME` resumes one).
    Sessions(commands::sessions::Args),
    /// Durable jobs: list, show, resume an interrupted one, cancel.
    Jobs(commands::jobs::Args),
    /// Run queued jobs (`relay run --detach`); several workers may share one Redis queue.
    Worker(commands::worker::Args),
    /// What happened since your last session (or --since 8h): per repository, from the audit
    /// log and the jobs.
    Summary(commands::summary::Args),
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(error::EXIT_FAILED);
        }
    };
    let result = runtime.block_on(async {
        let g = &cli.global;
        let audited = audit::begin(g, &cli.command).await?;
        let result = match cli.command {
            Command::Status(args) => commands::status::run(g, args).await,
            Command::Graph(args) => commands::graph::run(g, args).await,
            Command::Impact(args) => commands::impact::run(g, args).await,
            Command::Sync(args) => commands::sync::run(g, args).await,
            Command::Branch(args) => commands::branch::run(g, args).await,
            Command::Commit(args) => commands::commit::run(g, args).await,
            Command::Push(args) => commands::push::run(g, args).await,
            Command::Demo(args) => commands::demo::run(g, args).await,
            Command::Run(args) => commands::run::run(g, args).await,
            Command::Voice(args) => commands::voice::run(g, args).await,
            Command::Chat(args) => commands::chat::run(g, args).await,
            Command::Env(args) => commands::env::run(g, args).await,
            Command::Serve(args) => commands::serve::run(g, args).await,
            Command::Mcp(args) => commands::mcp::run(g, args).await,
            Command::Briefing(args) => commands::briefing::run(g, args).await,
            Command::Pr(args) => commands::pr::run(g, args).await,
            Command::Issues(args) => commands::issues::run(g, args).await,
            Command::Team(args) => commands::team::run(g, args).await,
            Command::Audit(args) => commands::audit::run(g, args).await,
            Command::Sessions(args) => commands::sessions::run(g, args).await,
            Command::Jobs(args) => commands::jobs::run(g, args).await,
            Command::Worker(args) => commands::worker::run(g, args).await,
            Command::Summary(args) => commands::summary::run(g, args).await,
        };
        if let Some(audited) = audited {
            audited.finish(&result).await;
        }
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("error: {}", e.message);
            }
            ExitCode::from(e.code)
        }
    }
}

/// Logs go to stderr; `RELAY_LOG` sets the filter (e.g. `RELAY_LOG=relay_repos=debug`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
