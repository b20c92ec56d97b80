//! [`McpError`]: why an MCP server or client could not run.

use thiserror::Error;

/// Why serving or using MCP failed. Tool failures are never this: they are tool results.
#[derive(Debug, Error)]
pub enum McpError {
    /// The client went away or broke the protocol before the session was set up.
    #[error("MCP session could not start: {0}")]
    Initialize(String),
    /// The transport failed (a socket could not be bound, stdio closed with an error).
    #[error("MCP transport failed: {0}")]
    Transport(String),
    /// A configured MCP server could not be started or reached.
    #[error("MCP server `{server}`: {message}")]
    Server {
        /// The server's name (from `mcp_servers:`).
        server: String,
        /// What went wrong and what to do.
        message: String,
    },
}

impl McpError {
    /// A stable code for bindings and logs.
    pub fn code(&self) -> &'static str {
        match self {
            McpError::Initialize(_) => "mcp_initialize",
            McpError::Transport(_) => "mcp_transport",
            McpError::Server { .. } => "mcp_server",
        }
    }
}
