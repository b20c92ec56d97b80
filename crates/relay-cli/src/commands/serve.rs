//! `relay serve`: the HTTP server — the page at `/` and the voice gateway
//! (`GET /v1/conversation`, docs/serve.md), GitHub webhooks (`POST /webhooks/github`),
//! `/healthz`, `/readyz`, `/metrics`, and with `--mcp` Relay's tools over MCP (Streamable HTTP
//! at `/mcp`, each call as the authenticated user, `--mcp-allow` the ceiling), behind users' tokens (or none on loopback without a `team:`), over HTTPS with
//! `--tls-cert` (see `serve_security`). Webhook jobs are printed as
//! they run (sentences, or JSON lines with `--json`); SIGINT, SIGTERM or SIGHUP stops accepting
//! deliveries and finishes the running one first (a second signal kills what is left).
//!
//! Without `RELAY_WEBHOOK_SECRET` no webhook receiver is mounted (the startup line says so) and
//! a delivery gets 503 with a hint to set the secret; everything else is served.
//!
//! Every accepted delivery is a durable job in the store (`.relay/relay.db`, or
//! `RELAY_STORE_URL`) with its delivery id remembered there, and `relay serve` works the store's
//! queue in-process: after a `kill -9` nothing accepted is lost, the next `relay serve` (or any
//! `relay worker`) runs what was queued or interrupted, and a redelivery is still recognised.

use std::sync::Arc;
use std::time::Duration;

use relay::core::tools::Permission;
use relay::core::{Event, EventKind, JobStatus};
use relay::mcp::{CancellationToken, HttpOptions, McpServer};
use relay::server::gateway::Gateway;
use relay::server::webhooks::{SECRET_ENV, ShutdownReport, Webhooks};
use relay::server::{DEFAULT_BIND, Server};
use relay::{AgentChoice, Conversations, TransportKind, VoiceConfig};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::mcp::{TOKEN_ENV, permission};
use super::serve_security::SecurityArgs;
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
    /// that variable is set; with a team, a user's token works too, and each call runs as
    /// that user (their role, within --mcp-allow) and is audited under their name.
    #[arg(long)]
    mcp: bool,
    /// With --mcp: what MCP clients may do beyond reading (comma-separated): session,
    /// write_repos, run_agent, manage_infra.
    #[arg(long, value_delimiter = ',', value_name = "PERMISSIONS", value_parser = permission, requires = "mcp")]
    mcp_allow: Vec<Permission>,
    #[command(flatten)]
    security: SecurityArgs,
    /// Realtime WebSocket URL for the voice gateway's conversations (a proxy, Azure, a test
    /// server). Default: OpenAI, with the key from OPENAI_API_KEY.
    #[arg(long, value_name = "URL", env = "OPENAI_REALTIME_URL")]
    realtime_url: Option<String>,
    /// Realtime model of the voice gateway's conversations.
    #[arg(long, value_name = "M", default_value = relay::voice::realtime::DEFAULT_MODEL)]
    model: String,
    #[command(flatten)]
    tools: super::voice::ToolArgs,
    /// Seconds a queued job stays this server's without renewal; after that (the server died)
    /// the next `relay serve` or a `relay worker` takes it over.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    lease: u64,
    /// Milliseconds between the heartbeats of a shared session whose owner and guest are on two
    /// servers of one Redis store; three missed ones end it for the side left alone.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    share_heartbeat_ms: u64,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    relay::agent::become_child_subreaper();
    // TLS files first: a wrong path fails before anything else starts.
    let tls = args.security.tls()?;
    let relay = g.relay().store(g.store_choice()?).build().await?;
    let mcp_token = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty());
    // A bad Realtime configuration shows before anything starts; /readyz checks the very
    // endpoint the gateway dials (--realtime-url over OPENAI_REALTIME_URL).
    let voice = voice_config(&args)?;
    let realtime = match voice.transport_kind() {
        TransportKind::Realtime => Some(voice.realtime_config()?.url),
        _ => None,
    };
    let app = args
        .security
        .app(&relay, mcp_token.filter(|_| args.mcp), realtime.as_deref())?;
    // Without a secret there is no webhook receiver: the rest is served, and a delivery is
    // answered 503 with a hint to set the secret.
    let webhooks = if webhook_secret_set() {
        Some(
            Webhooks::builder(relay.require_graph()?)
                .metrics(app.metrics())
                .store(relay.require_store()?)
                .build()
                .map_err(relay::Error::from)?,
        )
    } else {
        None
    };
    let events = webhooks
        .as_ref()
        .map_or_else(|| broadcast::channel(1024).0, Webhooks::publisher);
    let mut router = match &webhooks {
        Some(webhooks) => relay::server::router(webhooks),
        None => relay::server::router_without_webhooks(),
    };
    router = router.merge(relay::server::gateway::page::router()); // the page at `/`
    let mcp_shutdown = CancellationToken::new();
    if args.mcp {
        router = router.nest_service("/mcp", mcp_router(&relay, &args, mcp_shutdown.clone())?);
    }
    let mut shutdown = Shutdown::listen()?;
    let mut server = Server::bind(&args.bind).await.map_err(relay::Error::from)?;
    app.check_bind(server.local_addr())
        .map_err(relay::Error::from)?;
    if let Some(tls) = tls {
        server = server.tls(tls);
    }
    // The address on stderr, first: scripts and tests wait for it (port 0 picks one).
    eprintln!(
        "relay serve: listening on {}://{} (GET /, GET /v1/conversation, {}GET /healthz, /readyz, /metrics{}; {}{})",
        server.scheme(),
        server.local_addr(),
        if webhooks.is_some() {
            "POST /webhooks/github, "
        } else {
            ""
        },
        if args.mcp { ", MCP at /mcp" } else { "" },
        if app.access().needs_token() {
            "users' tokens required"
        } else {
            "no token needed on loopback"
        },
        if webhooks.is_some() {
            ""
        } else {
            "; no GitHub webhooks: RELAY_WEBHOOK_SECRET is not set"
        }
    );
    // After the address line (scripts wait for it first): notes on parts left out follow.
    let gateway = gateway(g, &args, voice).await?;
    // Everything behind the auth layer (the page and its assets are public routes of it).
    let router = app.router(router.merge(gateway.router()));
    let printer = tokio::spawn(print_events(events.subscribe(), args.json));
    // The store's queue, worked here: the deliveries this server accepts, and whatever an
    // earlier (killed) server or `relay run --detach` left queued.
    let stop_worker = CancellationToken::new();
    let worker_name = format!("serve-{}", std::process::id());
    let worker = relay
        .worker(&worker_name, Duration::from_secs(args.lease.max(1)))
        .stop(stop_worker.clone())
        .events(events.clone())
        .run(
            |job| tracing::info!(job = %job.id, state = job.state.as_str(), "queued job finished"),
        );
    tokio::pin!(worker);
    let draining = gateway.clone();
    tokio::select! {
        served = server.serve(router, async move {
            shutdown.signalled().await;
            // Before the listener closes: no turn starts between the signal and the shutdown.
            draining.drain();
        }) => served.map_err(relay::Error::from)?,
        worked = &mut worker => {
            worked?;
        }
    }
    mcp_shutdown.cancel();
    let open = gateway.shutdown(Duration::from_secs(args.grace)).await;
    if open > 0 {
        eprintln!("relay serve: {open} conversation sockets did not close in time");
    }
    stop_worker.cancel();
    if tokio::time::timeout(Duration::from_secs(args.grace), &mut worker)
        .await
        .is_err()
    {
        eprintln!(
            "relay serve: a queued job was still running after {}s; it is left for the next `relay serve` or `relay worker` (`relay jobs` shows it)",
            args.grace
        );
        return Err(CliError::reported_failure());
    }
    let report = match webhooks {
        Some(webhooks) => {
            eprintln!(
                "relay serve: stopping; finishing queued deliveries (up to {}s)",
                args.grace
            );
            webhooks.shutdown(Duration::from_secs(args.grace)).await
        }
        None => ShutdownReport::default(),
    };
    drop(events);
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

/// Whether `RELAY_WEBHOOK_SECRET` is set (not empty): then GitHub webhooks are received.
fn webhook_secret_set() -> bool {
    std::env::var(SECRET_ENV).is_ok_and(|s| !s.trim().is_empty())
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
    let local = relay.caller().clone();
    // A store several servers share (Redis) lets a guest join from any of them.
    let bus = relay.store().and_then(|s| s.room_bus());
    let conversations = Conversations::new(Arc::new(relay), voice);
    let mut gateway = Gateway::builder(Arc::new(conversations), local)
        .share_heartbeat(Duration::from_millis(args.share_heartbeat_ms));
    if let Some(bus) = bus {
        gateway = gateway.bus(bus);
    }
    Ok(gateway.build())
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
    // The bearer token (RELAY_MCP_TOKEN) is checked by the server's auth layer, which also
    // accepts users' tokens there when the workspace has a team.
    let mut options = HttpOptions::new().shutdown(shutdown);
    for origin in &args.security.allowed_origins {
        options = options.allow_host(origin.host());
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
