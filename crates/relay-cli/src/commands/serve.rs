//! `relay serve`: the HTTP server — GitHub webhooks (`POST /webhooks/github`) and `/healthz`.
//! Webhook jobs are printed as they run (sentences, or JSON lines with `--json`); SIGINT or
//! SIGTERM stops accepting deliveries and finishes the queued ones first.

use std::time::Duration;

use relay::core::{Event, EventKind, JobStatus};
use relay::server::webhooks::Webhooks;
use relay::server::{DEFAULT_BIND, Server};
use tokio::sync::broadcast::error::RecvError;

use crate::context::Global;
use crate::error::{CliError, CliResult};

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
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.relay().build().await?;
    let webhooks = Webhooks::builder(relay.require_graph()?)
        .build()
        .map_err(relay::Error::from)?;
    let server = Server::bind(&args.bind).await.map_err(relay::Error::from)?;
    // The address on stderr, first: scripts and tests wait for it (port 0 picks one).
    eprintln!(
        "relay serve: listening on http://{} (POST /webhooks/github, GET /healthz)",
        server.local_addr()
    );
    let printer = tokio::spawn(print_events(webhooks.subscribe(), args.json));
    server
        .serve(relay::server::router(&webhooks), shutdown_signal())
        .await
        .map_err(relay::Error::from)?;
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

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
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
