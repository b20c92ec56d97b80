//! One configured MCP server: connected on first use, restarted once when it dies.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::{HeaderName, HeaderValue};
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool as McpTool};
use rmcp::service::{RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use tokio::sync::Mutex;

use relay_core::config::{McpServerSpec, McpTransportSpec};

use crate::McpError;

type Client = RunningService<RoleClient, ()>;

pub(crate) struct Connection {
    spec: McpServerSpec,
    cwd: PathBuf,
    client: Mutex<Option<Client>>,
    restarted: AtomicBool,
}

impl Connection {
    pub(crate) fn new(spec: McpServerSpec, cwd: PathBuf) -> Self {
        Connection {
            spec,
            cwd,
            client: Mutex::new(None),
            restarted: AtomicBool::new(false),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.spec.name
    }

    pub(crate) fn spec(&self) -> &McpServerSpec {
        &self.spec
    }

    fn error(&self, message: impl Into<String>) -> McpError {
        McpError::Server {
            server: self.spec.name.clone(),
            message: message.into(),
        }
    }

    /// Starts the process or opens the HTTP session.
    async fn start(&self) -> Result<Client, McpError> {
        match &self.spec.transport {
            McpTransportSpec::Stdio { program, args } => {
                let mut command = tokio::process::Command::new(program);
                command.args(args).current_dir(&self.cwd);
                let (transport, _stderr) = TokioChildProcess::builder(command)
                    .stderr(std::process::Stdio::inherit())
                    .spawn()
                    .map_err(|e| {
                        self.error(format!(
                            "cannot start `{program}`: {e}; check `command:` in relay.yaml"
                        ))
                    })?;
                ().serve(transport)
                    .await
                    .map_err(|e| self.error(format!("`{program}` did not start MCP: {e}")))
            }
            McpTransportSpec::Http {
                url,
                headers_from_env,
            } => {
                let mut headers = HashMap::new();
                for (name, var) in headers_from_env {
                    let value = std::env::var(var).map_err(|_| {
                        self.error(format!(
                            "header `{name}` comes from the environment variable {var}, which \
                             is not set"
                        ))
                    })?;
                    let name = HeaderName::try_from(name.as_str())
                        .map_err(|_| self.error(format!("`{name}` is not a header name")))?;
                    let value = HeaderValue::try_from(value).map_err(|_| {
                        self.error(format!("the value of {var} is not a valid header value"))
                    })?;
                    headers.insert(name, value);
                }
                let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                    .custom_headers(headers);
                let http = super::tls::http_client().map_err(|e| self.error(e))?;
                let transport = StreamableHttpClientTransport::with_client(http, config);
                ().serve(transport)
                    .await
                    .map_err(|e| self.error(format!("cannot open an MCP session at {url}: {e}")))
            }
        }
    }

    /// The server's tools (connecting if needed).
    pub(crate) async fn list_tools(&self) -> Result<Vec<McpTool>, McpError> {
        let mut client = self.client.lock().await;
        if client.is_none() {
            *client = Some(self.start().await?);
        }
        let Some(running) = client.as_ref() else {
            return Err(self.error("not connected"));
        };
        running
            .peer()
            .list_all_tools()
            .await
            .map_err(|e| self.error(format!("cannot list its tools: {e}")))
    }

    /// Calls `tool`; when the server has died, restarts it once and retries.
    pub(crate) async fn call(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<CallToolResult, McpError> {
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        let peer = {
            let mut client = self.client.lock().await;
            if client.is_none() {
                *client = Some(self.start().await?);
            }
            match client.as_ref() {
                Some(running) => running.peer().clone(),
                None => return Err(self.error("not connected")),
            }
        };
        match peer.call_tool(params.clone()).await {
            Ok(result) => Ok(result),
            Err(ServiceError::TransportClosed | ServiceError::TransportSend(_)) => {
                self.restart_and_retry(params).await
            }
            Err(e) => Err(self.error(format!("`{tool}` failed: {e}"))),
        }
    }

    async fn restart_and_retry(
        &self,
        params: CallToolRequestParams,
    ) -> Result<CallToolResult, McpError> {
        if self.restarted.swap(true, Ordering::SeqCst) {
            tracing::error!(server = %self.spec.name, "MCP server stopped again after its restart");
            return Err(self.error(
                "the server stopped again after being restarted once, so Relay no longer \
                 restarts it; check its command and logs, then restart Relay",
            ));
        }
        tracing::warn!(server = %self.spec.name, "MCP server stopped; restarting it once");
        let running = self.start().await?;
        let peer = running.peer().clone();
        *self.client.lock().await = Some(running);
        let tool = params.name.to_string();
        match peer.call_tool(params).await {
            Ok(result) => Ok(result),
            Err(e) => {
                tracing::error!(server = %self.spec.name, "MCP server failed after its restart: {e}");
                Err(self.error(format!(
                    "`{tool}` failed after the server was restarted once ({e}); Relay no longer \
                     restarts it: check its command and logs"
                )))
            }
        }
    }
}
