//! # relay-mcp
//!
//! Relay over the [Model Context Protocol](https://modelcontextprotocol.io), on the official
//! Rust SDK ([`rmcp`]):
//!
//! - [`McpServer`]: a [`ToolRegistry`](relay_core::tools::ToolRegistry) as an MCP server, over
//!   stdio ([`McpServer::serve_stdio`]) or Streamable HTTP ([`McpServer::http_router`], a tower
//!   service an HTTP server mounts, or [`McpServer::serve_http`]). Each tool keeps its JSON
//!   Schema and its permission (the registry's grants decide what a client may call); long
//!   tools send MCP progress notifications and stop when the client cancels; tool errors come
//!   back as tool results with `isError` and the same `{"error", "hint"}` text the voice model
//!   gets. With a [`RepoGraph`](relay_core::RepoGraph), the workspace's dependency graph and
//!   each repository's status are resources.
//! - [`client`]: other MCP servers (`mcp_servers:` in `relay.yaml`) as tools of a registry,
//!   named `<server>__<tool>`.
//!
//! ```no_run
//! # async fn demo(registry: relay_core::tools::ToolRegistry) -> Result<(), relay_mcp::McpError> {
//! use std::sync::Arc;
//! use relay_core::tools::Permission;
//! // Read-only unless widened: what an MCP client may do is opt-in.
//! let registry = Arc::new(registry.with_permissions([Permission::Read]));
//! relay_mcp::McpServer::new(registry).serve_stdio().await
//! # }
//! ```

pub mod client;
mod error;
mod http;
mod server;

pub use error::McpError;
pub use http::HttpOptions;
/// The MCP SDK Relay is built on, for clients and servers of its own (e.g. a benchmark).
pub use rmcp;
pub use server::McpServer;
/// Stops an HTTP server (see [`HttpOptions::shutdown`]).
pub use tokio_util::sync::CancellationToken;
