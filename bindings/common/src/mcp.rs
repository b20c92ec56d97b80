//! [`ToolsHandle::serve_mcp`]: a registry's tools — Relay's and the host application's own —
//! served over MCP (Streamable HTTP) from a binding, with the facade's permission rule:
//! read-only unless widened.

use std::net::SocketAddr;
use std::sync::Arc;

use relay::core::tools::Permission;
use relay::mcp::{CancellationToken, HttpOptions, McpServer};
use relay::parse_permission;

use crate::error::BindingError;
use crate::tools::ToolsHandle;

/// How [`ToolsHandle::serve_mcp`] serves.
#[derive(Clone, Default)]
pub struct McpServeOptions {
    /// Address to listen on (default `127.0.0.1:0`: a free loopback port).
    pub http: Option<String>,
    /// Bearer token every request must carry (`Authorization: Bearer <token>`), if any.
    pub token: Option<String>,
    /// Permissions beyond `read` granted to MCP clients (`session`, `write_repos`,
    /// `run_agent`, `manage_infra`).
    pub allow: Vec<String>,
    /// `Host` names accepted besides loopback.
    pub allow_hosts: Vec<String>,
}

impl std::fmt::Debug for McpServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServeOptions")
            .field("http", &self.http)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("allow", &self.allow)
            .field("allow_hosts", &self.allow_hosts)
            .finish()
    }
}

/// A running MCP server; stopped by [`close`](Self::close) or when dropped.
#[derive(Debug)]
pub struct McpServerHandle {
    url: String,
    shutdown: CancellationToken,
}

impl McpServerHandle {
    /// The endpoint, `http://<addr>/mcp`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving (open sessions end).
    pub fn close(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for McpServerHandle {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl ToolsHandle {
    /// Serves a snapshot of the registry (tools registered later are not served) over MCP
    /// Streamable HTTP, granting `read` plus `options.allow`. Binds before returning, so the URL
    /// is ready. Must run inside a tokio runtime.
    pub fn serve_mcp(&self, options: McpServeOptions) -> Result<McpServerHandle, BindingError> {
        let mut granted = vec![Permission::Read];
        for name in &options.allow {
            granted.push(parse_permission(name)?);
        }
        let registry = (*self.registry()).clone().with_permissions(granted);
        let mut server = McpServer::new(Arc::new(registry));
        if let Some(graph) = self.graph() {
            server = server.graph(graph);
        }
        let text = options.http.as_deref().unwrap_or("127.0.0.1:0");
        let addr: SocketAddr = text.parse().map_err(|_| {
            BindingError::usage(format!(
                "`{text}` is not an address to listen on; write host:port, e.g. 127.0.0.1:8765"
            ))
        })?;
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(tokio::net::TcpListener::from_std)
            .map_err(|e| BindingError::usage(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr().map_err(|e| {
            BindingError::usage(format!("cannot read the address listened on: {e}"))
        })?;
        let shutdown = CancellationToken::new();
        let mut http = HttpOptions::new().shutdown(shutdown.clone());
        if let Some(token) = options.token {
            http = http.bearer_token(token);
        }
        for host in options.allow_hosts {
            http = http.allow_host(host);
        }
        tokio::spawn(async move {
            if let Err(e) = server.serve_http_on(listener, http).await {
                tracing::error!("the MCP server stopped: {e}");
            }
        });
        Ok(McpServerHandle {
            url: format!("http://{local}/mcp"),
            shutdown,
        })
    }
}
