//! `tools.serveMcp(...)`: Relay's tools and the app's own JavaScript tools served to MCP
//! clients over Streamable HTTP; `McpServer` is the running server.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{McpServeOptions, McpServerHandle};

use crate::convert::js_error;
use crate::tools::Tools;

/// Options of `tools.serveMcp(...)`.
#[napi(object, object_to_js = false)]
pub struct ServeMcpOptions {
    /// Address to listen on (default `127.0.0.1:0`: a free loopback port).
    pub http: Option<String>,
    /// Bearer token every request must carry (`Authorization: Bearer <token>`).
    pub token: Option<String>,
    /// Permissions beyond `read` granted to MCP clients (`session`, `write_repos`,
    /// `run_agent`, `manage_infra`).
    pub allow: Option<Vec<String>>,
    /// `Host` names accepted besides loopback.
    pub allow_hosts: Option<Vec<String>>,
}

/// A running MCP server; `close()` stops it.
#[napi]
pub struct McpServer {
    inner: McpServerHandle,
}

#[napi]
impl McpServer {
    /// The endpoint MCP clients connect to: `http://<host>:<port>/mcp`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.inner.url().to_owned()
    }

    /// Stops serving.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}

#[napi]
impl Tools {
    /// Serves these tools (Relay's and those registered so far) to MCP clients over Streamable
    /// HTTP: read-only unless `allow` adds permissions. JavaScript tools run on this thread's
    /// event loop. Throws (code `usage`) on a bad address or permission.
    #[napi]
    pub fn serve_mcp(&self, env: &Env, options: Option<ServeMcpOptions>) -> Result<McpServer> {
        let options = options.map_or_else(McpServeOptions::default, |o| McpServeOptions {
            http: o.http,
            token: o.token,
            allow: o.allow.unwrap_or_default(),
            allow_hosts: o.allow_hosts.unwrap_or_default(),
        });
        within_runtime_if_available(|| self.inner.serve_mcp(options))
            .map(|inner| McpServer { inner })
            .map_err(|e| js_error(env, e))
    }
}
