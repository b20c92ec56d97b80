//! `relay serve`: the HTTP server — the voice gateway (`GET /v1/conversation`, docs/serve.md),
//! GitHub webhooks (`POST /webhooks/github`), `/healthz`, and with `--mcp` Relay's tools over
//! MCP (Streamable HTTP at `/mcp`). Webhook jobs are printed as
//! they run (sentences, or JSON lines with `--json`); SIGINT, SIGTERM or SIGHUP stops accepting
//! deliveries and finishes the queued ones first (a second signal kills what is left).

use std::sync::Arc;
use std::time::Duration;

use relay::core::tools::Permission;
use relay::core::{Event, EventKind, JobStatus};
use relay::mcp::{CancellationToken, HttpOptions, McpServer};
use relay::server::gateway::Gateway;
use relay::server::webhooks::Webhooks;
use relay::server::{DEFAULT_BIND, Server};
use relay::{AgentChoice, Conversations, TransportKind, VoiceConfig};
use tokio::sync::broadcast::error::RecvError;

use super::mcp::{TOKEN_ENV, permission};
use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::shutdown::Shutdown;

/// Arguments of `relay serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (HOST:PORT; port 0 picks a free one and prints it).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_BIND)]
    bind: String,
    /// Print the webhook jobs' events as JSON lines (one event per line) instead of sentences.
    #[arg(long)]
    json: bool,
    /// Seconds to finish queued deliveries after SIGINT/SIGTERM before abandoning them.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    grace: u64,
    /// Also serve Relay's tools over MCP (Streamable HTTP) at /mcp, read-only unless widened
    /// with --mcp-allow. Requests must carry `Authorization: Bearer $RELAY_MCP_TOKEN` when
    /// that variable is set.
    #[arg(long)]
    mcp: bool,
    /// With --mcp: what MCP clients may do beyond reading (comma-separated): session,
    /// write_repos, run_agent, manage_infra.
    #[arg(long, value_delimiter = ',', value_name = "PERMISSIONS", value_parser = permission, requires = "mcp")]
    mcp_allow: Vec<Permission>,
    /// Realtime WebSocket URL for the voice gateway's conversations (a proxy, Azure, a test
    /// server). Default: OpenAI, with the key from OPENAI_API_KEY.
    #[arg(long, value_name = "URL", env = "OPENAI_REALTIME_URL")]
    realtime_url: Option<String>,
    /// Realtime model of the voice gateway's conversations.
    #[arg(long, value_name = "M", default_value = relay::voice::realtime::DEFAULT_MODEL)]
    model: String,
    #[command(flatten)]
    tools: super::voice::ToolArgs,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.relay().build().await?;
    let webhooks = Webhooks::builder(relay.require_graph()?)
        .build()
        .map_err(relay::Error::from)?;
    // A bad Realtime configuration shows before anything starts.
    let voice = voice_config(&args)?;
    let mut router = relay::server::router(&webhooks);
    let mcp_shutdown = CancellationToken::new();
    if args.mcp {
        router = router.nest_service("/mcp", mcp_router(&relay, &args, mcp_shutdown.clone())?);
    }
    let mut shutdown = Shutdown::listen()?;
    let server = Server::bind(&args.bind).await.map_err(relay::Error::from)?;
    // The address on stderr, first: scripts and tests wait for it (port 0 picks one).
    eprintln!(
        "relay serve: listening on http://{} (GET /v1/conversation, POST /webhooks/github, GET /healthz{})",
        server.local_addr(),
        if args.mcp { ", MCP at /mcp" } else { "" }
    );
    // After the address line (scripts wait for it first): notes on parts left out follow.
    let gateway = gateway(g, &args, voice).await?;
    let router = router.merge(gateway.router());
    let printer = tokio::spawn(print_events(webhooks.subscribe(), args.json));
    server
        .serve(router, async move {
            shutdown.signalled().await;
        })
        .await
        .map_err(relay::Error::from)?;
    mcp_shutdown.cancel();
    let open = gateway.shutdown(Duration::from_secs(args.grace)).await;
    if open > 0 {
        eprintln!("relay serve: {open} conversation sockets did not close in time");
    }
    eprintln!(
        "relay serve: stopping; finishing queued deliveries (up to {}s)",
        args.grace
    );
    let report = webhooks.shutdown(Duration::from_secs(args.grace)).await;
    drop(webhooks);
    let _ = printer.await;
    if !report.finished.is_empty() {
        eprintln!(
            "relay serve: finished {} queued deliveries: {}",
            report.finished.len(),
            report.finished.join(", ")
        );
    }
    if !report.abandoned.is_empty() {
        eprintln!(
            "relay serve: {} accepted deliveries were not acted on (redeliver them from the webhook's \"Recent Deliveries\" on GitHub): {}",
            report.abandoned.len(),
            report.abandoned.join(", ")
        );
        return Err(CliError::reported_failure());
    }
    eprintln!("relay serve: stopped");
    Ok(())
}

/// The voice gateway: a conversation per WebSocket, with the tools `relay voice` has (restricted
/// to each caller's role), Realtime from `--realtime-url` / OPENAI_REALTIME_URL and
/// OPENAI_API_KEY, sessions in the workspace's store.
async fn gateway(g: &Global, args: &Args, voice: VoiceConfig) -> Result<Gateway, CliError> {
    let relay = super::voice::build(g, &args.tools, Some(AgentChoice::Claude), false).await?;
    if voice.transport_kind() == TransportKind::Text {
        eprintln!(
            "note: no OPENAI_API_KEY or --realtime-url: conversations at /v1/conversation use the offline text transport (typed text only)"
        );
    }
    // METRICS(ops): hand the gateway the Metrics handle here once it exists.
    let local = relay.caller().clone();
    let conversations = Conversations::new(Arc::new(relay), voice);
    Ok(Gateway::builder(Arc::new(conversations), local).build())
}

/// The voice of the gateway's conversations: Realtime at `--realtime-url` /
/// OPENAI_REALTIME_URL (key from OPENAI_API_KEY) or OpenAI's with a key, else the offline text
/// transport.
fn voice_config(args: &Args) -> Result<VoiceConfig, CliError> {
    let mut voice = VoiceConfig::new().model(&args.model);
    if let Some(url) = args
        .realtime_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        voice = voice.url(url);
    }
    if voice.transport_kind() == TransportKind::Realtime {
        voice = voice.transport(TransportKind::Realtime);
        voice.realtime_config()?;
    }
    Ok(voice)
}

/// The MCP service mounted at `/mcp`: the workspace's tools, read-only plus `--mcp-allow`.
fn mcp_router(
    relay: &relay::Relay,
    args: &Args,
    shutdown: CancellationToken,
) -> Result<relay::server::axum::Router, CliError> {
    let granted: Vec<Permission> = std::iter::once(Permission::Read)
        .chain(args.mcp_allow.iter().copied())
        .collect();
    let registry = relay.tools()?.with_permissions(granted);
    let mut server = McpServer::new(Arc::new(registry));
    if let Some(graph) = relay.graph() {
        server = server.graph(graph);
    }
    let mut options = HttpOptions::new().shutdown(shutdown);
    if let Ok(token) = std::env::var(TOKEN_ENV)
        && !token.is_empty()
    {
        options = options.bearer_token(token);
    }
    Ok(server.http_router(options))
}

/// Prints every webhook job's events until the receiver closes.
async fn print_events(mut events: tokio::sync::broadcast::Receiver<Event>, json: bool) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(n)) => {
                eprintln!("relay serve: {n} events were not printed (output too slow)");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        if json {
            if let Ok(line) = serde_json::to_string(&event) {
                println!("{line}");
            }
            continue;
        }
        if let Some(line) = sentence(&event) {
            println!("{line}");
        }
    }
}

/// One line for a person, or nothing for events not worth a line.
fn sentence(event: &Event) -> Option<String> {
    let job = &event.job;
    Some(match &event.kind {
        EventKind::JobStarted { operation, .. } => format!("[{job}] {operation}"),
        EventKind::RepoFinished { repo, summary, .. } => format!("[{job}]   {repo}: {summary}"),
        EventKind::Notification(n) => format!("[{job}] {}", n.sentence()),
        EventKind::JobFinished {
            status: JobStatus::Failed,
            error,
        } => format!(
            "[{job}] failed: {}",
            error.as_deref().unwrap_or("unknown error")
        ),
        EventKind::JobFinished { status, .. } => {
            format!("[{job}] {}", format!("{status:?}").to_lowercase())
        }
        _ => return None,
    })
}
