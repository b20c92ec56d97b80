//! [`McpServer`]: a tool registry (and optionally a workspace's graph) as an MCP server.

mod approval;
mod call;
mod caller;
mod convert;
mod elicitation;
mod elicitation_message;
mod resources;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use tokio::io::{AsyncRead, AsyncWrite};

use relay_core::RepoGraph;
use relay_core::tools::{SessionContext, ToolRegistry};

use crate::McpError;

/// What a client reads in `initialize`'s `instructions`.
const INSTRUCTIONS: &str = "Relay's tools over a workspace of git repositories and their \
     dependency graph: project_status, dependency_graph and impact_analysis read; other tools \
     change repositories, run coding agents or environments when this server was started with \
     the permission for them (`relay mcp --allow ...`). A refused or failed call answers with \
     {\"error\", \"hint\"}: follow the hint.";

/// Relay's tools (and, with a graph, its workspace resources) for any MCP client.
///
/// Every tool of the registry is listed with its JSON Schema; a call runs through the
/// registry, so the registry's permissions decide what runs (build it with
/// [`ToolRegistry::with_permissions`]: a refused call is a tool result with `isError` and the
/// registry's hint). Served over HTTP behind an auth layer that puts a
/// [`Caller`](relay_core::team::Caller) into the request's extensions (as relay-server's
/// does), each call runs as that caller: their role applies within the granted permissions,
/// and the audit log names them. Each MCP connection gets its own [`SessionContext`].
#[derive(Clone)]
pub struct McpServer {
    registry: Arc<ToolRegistry>,
    graph: Option<Arc<dyn RepoGraph>>,
    session: Arc<SessionContext>,
    name: String,
    // No approver came with the registry: approvals are asked through MCP elicitation.
    elicit: bool,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.name)
            .field("registry", &self.registry)
            .field("graph", &self.graph.is_some())
            .finish()
    }
}

impl McpServer {
    /// A server for `registry`'s tools, named `relay`. Calls of tools that need approval ask
    /// `registry`'s approver when it has one; otherwise the MCP client's user, through MCP
    /// elicitation, when the client declared that capability; otherwise they are denied with a
    /// hint (nobody can be asked).
    pub fn new(registry: Arc<ToolRegistry>) -> Self {
        let elicit = registry.approver().is_none();
        let registry = match registry.approver() {
            Some(_) => registry,
            None => Arc::new(
                (*registry)
                    .clone()
                    .with_approver(Arc::new(approval::NoApprovalOverMcp)),
            ),
        };
        McpServer {
            registry,
            graph: None,
            session: SessionContext::new(),
            name: "relay".into(),
            elicit,
        }
    }

    /// Serves `graph`'s dependency graph (`relay://graph`) and each repository's status
    /// (`relay://status`, `relay://status/<repo>`) as resources.
    pub fn graph(mut self, graph: Arc<dyn RepoGraph>) -> Self {
        self.graph = Some(graph);
        self
    }

    /// The name the server gives in `initialize` (default `relay`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The registry whose tools are served.
    pub fn registry(&self) -> &Arc<ToolRegistry> {
        &self.registry
    }

    /// The same server with a fresh session context: one per connection.
    pub(crate) fn for_connection(&self) -> Self {
        McpServer {
            session: SessionContext::new(),
            ..self.clone()
        }
    }

    /// Serves one client over this process's stdin and stdout until it disconnects.
    pub async fn serve_stdio(self) -> Result<(), McpError> {
        self.serve_io(rmcp::transport::stdio_pipes()).await
    }

    /// Serves one client over a byte stream pair (a pipe, a socket, an in-memory duplex)
    /// until it disconnects.
    pub async fn serve_io<R, W>(self, io: (R, W)) -> Result<(), McpError>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let running = self
            .for_connection()
            .serve(io)
            .await
            .map_err(|e| McpError::Initialize(e.to_string()))?;
        running
            .waiting()
            .await
            .map_err(|e| McpError::Transport(e.to_string()))?;
        Ok(())
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder().enable_tools();
        let capabilities = if self.graph.is_some() {
            capabilities.enable_resources().build()
        } else {
            capabilities.build()
        };
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(self.name.clone(), relay_core_version()))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.registry
                .specs()
                .iter()
                .map(|spec| {
                    let granted = caller::grants(&self.registry, &context, spec.permission);
                    convert::tool(spec, granted)
                })
                .collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        Ok(call::call(self, request, context).await.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = match &self.graph {
            Some(graph) => resources::list(graph.as_ref()),
            None => Vec::new(),
        };
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let Some(graph) = &self.graph else {
            return Err(ErrorData::resource_not_found(
                format!(
                    "no resource `{}`: this server has no workspace",
                    request.uri
                ),
                None,
            ));
        };
        resources::read(graph.as_ref(), &request.uri)
            .await
            .map(Into::into)
    }
}

fn relay_core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
