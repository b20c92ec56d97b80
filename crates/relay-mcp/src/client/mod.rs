//! Other MCP servers' tools in a Relay registry: [`connect`] starts (or reaches) each server of
//! `mcp_servers:` and returns its tools named `<server>__<tool>`, ready for
//! [`ToolRegistry::with_tools`](relay_core::tools::ToolRegistry::with_tools).
//!
//! A failed call is a tool error the model can read. A server that dies (its process exits, its
//! connection drops) is restarted once and the call retried; if it dies again it is reported:
//! its calls fail saying so, and it is not restarted again.

mod connection;
mod remote_tool;
mod tls;

use std::sync::Arc;

use relay_core::config::McpServerSpec;
use relay_core::tools::Tool;

use crate::McpError;
use connection::Connection;
pub use remote_tool::RemoteTool;

/// The separator between a server's name and its tool's name in the registry.
pub const PREFIX_SEPARATOR: &str = "__";

/// Connects to `spec`'s server (a stdio command runs in `cwd`) and returns its tools.
pub async fn connect(
    spec: &McpServerSpec,
    cwd: &std::path::Path,
) -> Result<Vec<Arc<dyn Tool>>, McpError> {
    let connection = Arc::new(Connection::new(spec.clone(), cwd.to_path_buf()));
    let tools = connection.list_tools().await?;
    Ok(tools
        .into_iter()
        .map(|tool| Arc::new(RemoteTool::new(connection.clone(), tool)) as Arc<dyn Tool>)
        .collect())
}
