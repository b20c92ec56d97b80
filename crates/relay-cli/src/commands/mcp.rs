//! `relay mcp`: Relay's tools as an MCP server, over stdio (the default, for
//! `claude mcp add relay -- relay mcp`) or Streamable HTTP (`--http ADDR`).

use std::net::SocketAddr;
use std::sync::Arc;

use relay::core::tools::Permission;
use relay::mcp::{CancellationToken, HttpOptions, McpServer};
use relay::parse_permission;

use super::voice::{ToolArgs, build};
use crate::context::Global;
use crate::error::{CliError, CliResult};

/// Environment variable holding the bearer token `--http` requires, when set.
pub(crate) const TOKEN_ENV: &str = "RELAY_MCP_TOKEN";

/// Arguments of `relay mcp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Serve MCP over Streamable HTTP at http://ADDR/mcp (e.g. 127.0.0.1:8765) instead of
    /// stdio. Requests must carry `Authorization: Bearer $RELAY_MCP_TOKEN` when that variable
    /// is set.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// What the MCP client may do beyond reading (comma-separated): session, write_repos,
    /// run_agent, manage_infra. Default: read only.
    #[arg(long, value_delimiter = ',', value_name = "PERMISSIONS", value_parser = permission)]
    allow: Vec<Permission>,
    /// With --http: also accept requests whose Host header is HOST (default: loopback only).
    #[arg(long, value_name = "HOST", requires = "http")]
    allow_host: Vec<String>,
    #[command(flatten)]
    tools: ToolArgs,
}

pub(crate) fn permission(name: &str) -> Result<Permission, String> {
    parse_permission(name).map_err(|e| e.to_string())
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let granted: Vec<Permission> = std::iter::once(Permission::Read)
        .chain(args.allow.iter().copied())
        .collect();
    // The agent is started (and checked) only when its tool may run.
    let agent = granted
        .contains(&Permission::RunAgent)
        .then_some(relay::AgentChoice::Claude);
    let relay = build(g, &args.tools, agent, false).await?;
    let registry = relay.tools()?.with_permissions(granted);
    let mut server = McpServer::new(Arc::new(registry));
    if let Some(graph) = relay.graph() {
        server = server.graph(graph);
    }
    let Some(addr) = args.http else {
        return server.serve_stdio().await.map_err(mcp_error);
    };
    let shutdown = CancellationToken::new();
    let mut options = HttpOptions::new().shutdown(shutdown.clone());
    match std::env::var(TOKEN_ENV) {
        Ok(token) if !token.is_empty() => options = options.bearer_token(token),
        _ => {}
    }
    for host in &args.allow_host {
        options = options.allow_host(host.clone());
    }
    let mut signals = crate::shutdown::Shutdown::listen()?;
    tokio::spawn(async move {
        signals.signalled().await;
        shutdown.cancel();
    });
    server
        .serve_http(addr, options, |bound| {
            eprintln!("relay mcp: serving MCP at http://{bound}/mcp");
        })
        .await
        .map_err(mcp_error)
}

fn mcp_error(e: relay::mcp::McpError) -> CliError {
    CliError {
        code: crate::error::EXIT_FAILED,
        message: e.to_string(),
    }
}
