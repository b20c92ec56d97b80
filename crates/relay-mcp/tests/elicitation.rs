//! Approvals over MCP: a tool that needs approval, called by an rmcp client over Streamable
//! HTTP, asks the client's user through MCP elicitation when the client declared it (a yes runs
//! the tool, a no, a decline or a form without the answer refuses it), audited with the source
//! `mcp_elicitation`; a client without the capability gets the deny-with-hint answer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use relay_core::store::{AuditFilter, AuditOutcome, Store};
use relay_core::team::{Caller, Role};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolRegistry, ToolSpec};
use relay_mcp::rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation,
};
use relay_mcp::rmcp::service::{RequestContext, RunningService};
use relay_mcp::rmcp::transport::StreamableHttpClientTransport;
use relay_mcp::rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use relay_mcp::{CancellationToken, HttpOptions, McpServer};
use relay_store::SqliteStore;
use serde_json::{Value, json};

/// Pushes (pretend): counts the calls that really ran.
struct Push(Arc<AtomicUsize>);

#[async_trait]
impl Tool for Push {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "push_branches",
            "Pushes.",
            json!({"type": "object", "properties": {"repos": {"type": "array", "items": {"type": "string"}}}}),
            Permission::WriteRepos,
        )
        .needs_approval()
    }
    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(json!({"pushed": true}))
    }
}

/// How a test client's user answers the approval form.
#[derive(Clone, Copy)]
enum Answer {
    /// Accepts with `approve: true`.
    Yes,
    /// Accepts with `approve: false`.
    No,
    /// Declines the form.
    Decline,
    /// Accepts with an empty form.
    Empty,
    /// Never answers.
    Never,
}

/// An MCP client whose user answers every elicitation with `answer`; `None` declares no
/// elicitation capability. Remembers what it was asked.
#[derive(Clone)]
struct Client {
    answer: Option<Answer>,
    asked: Arc<Mutex<Vec<(String, Value)>>>,
}

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        let capabilities = match self.answer {
            Some(_) => ClientCapabilities::builder().enable_elicitation().build(),
            None => ClientCapabilities::default(),
        };
        ClientConfig::new(capabilities, Implementation::new("test-client", "1.0"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = request
        else {
            panic!("a form elicitation was expected");
        };
        self.asked
            .lock()
            .unwrap()
            .push((message, serde_json::to_value(&requested_schema).unwrap()));
        Ok(match self.answer.expect("asked without the capability") {
            Answer::Yes => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": true}))
            }
            Answer::No => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": false}))
            }
            Answer::Decline => ElicitResult::new(ElicitationAction::Decline),
            Answer::Empty => ElicitResult::new(ElicitationAction::Accept).with_content(json!({})),
            Answer::Never => std::future::pending().await,
        })
    }
}

/// Relay's MCP server over Streamable HTTP with the audited tool, for ann.
struct Server {
    url: String,
    ran: Arc<AtomicUsize>,
    store: Arc<SqliteStore>,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        Self::start_with(|registry| registry).await
    }

    async fn start_with(configure: impl FnOnce(ToolRegistry) -> ToolRegistry) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open(dir.path().join("relay.db"))
                .await
                .unwrap(),
        );
        let ran = Arc::new(AtomicUsize::new(0));
        let registry = ToolRegistry::new()
            .with(Arc::new(Push(ran.clone())))
            .for_caller(Caller::new("ann", Role::Developer))
            .audited(store.clone(), Some("mcp".into()));
        let registry = configure(registry);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        let stop = CancellationToken::new();
        let options = HttpOptions::new().shutdown(stop.clone());
        tokio::spawn(McpServer::new(Arc::new(registry)).serve_http_on(listener, options));
        Server {
            url,
            ran,
            store,
            stop,
            _dir: dir,
        }
    }

    async fn connect(
        &self,
        answer: Option<Answer>,
    ) -> (RunningService<RoleClient, Client>, Client) {
        let client = Client {
            answer,
            asked: Arc::default(),
        };
        // reqwest is built without a default TLS provider (plain HTTP here, but it asks).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let running = client
            .clone()
            .serve(StreamableHttpClientTransport::from_uri(self.url.clone()))
            .await
            .expect("initialize");
        (running, client)
    }

    /// The approval entries of the audit log: (outcome, via, answered_by, reason).
    async fn approvals(&self) -> Vec<(AuditOutcome, Value, Value, Value)> {
        self.store
            .audit(AuditFilter::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.entry.kind == "approval")
            .map(|r| {
                let args = r.entry.args;
                (
                    r.entry.outcome,
                    args["via"].clone(),
                    args["answered_by"].clone(),
                    args["reason"].clone(),
                )
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn push(client: &RunningService<RoleClient, Client>) -> CallToolResult {
    client
        .peer()
        .call_tool(
            CallToolRequestParams::new("push_branches")
                .with_arguments(json!({"repos": ["web"]}).as_object().unwrap().clone()),
        )
        .await
        .unwrap()
}

fn error_of(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let text = &result.content[0].as_text().unwrap().text;
    serde_json::from_str::<Value>(text).unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_yes_in_the_client_runs_the_tool_and_is_audited() {
    let server = Server::start().await;
    let (running, client) = server.connect(Some(Answer::Yes)).await;
    let out = push(&running).await;
    assert_eq!(out.is_error, Some(false), "{out:?}");
    assert_eq!(out.structured_content, Some(json!({"pushed": true})));
    assert_eq!(server.ran.load(Ordering::SeqCst), 1);

    let asked = client.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    let (message, schema) = &asked[0];
    assert_eq!(
        message,
        "Relay asks for your approval: Run push_branches (repos: [\"web\"])? Allow it?\n\
         Tool: push_branches\n\
         Arguments: repos: [\"web\"]\n\
         Target: repositories web\n\
         Requested by: ann\n\
         No answer within 60 s refuses it."
    );
    assert_eq!(
        schema,
        &json!({"type": "object", "description": "Relay asks for your approval",
                "properties": {"approve": {"type": "boolean", "title": "Allow it?",
                    "description": "Yes runs it now; no (or declining) refuses it."}},
                "required": ["approve"]})
    );
    assert_eq!(
        server.approvals().await,
        [(
            AuditOutcome::Ok,
            json!("mcp_elicitation"),
            json!("ann"),
            json!("approved in the MCP client test-client 1.0")
        )]
    );
    let _ = running.cancel().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_no_a_decline_or_an_empty_form_refuses_and_nothing_runs() {
    let server = Server::start().await;
    for (answer, said) in [
        (Answer::No, "the user (ann) said no"),
        (Answer::Decline, "the user (ann) said no"),
        (Answer::Empty, "the user (ann) said no"),
    ] {
        let (running, client) = server.connect(Some(answer)).await;
        let out = push(&running).await;
        assert_eq!(
            error_of(&out),
            format!("`push_branches` was not run: {said}")
        );
        assert_eq!(client.asked.lock().unwrap().len(), 1);
        let _ = running.cancel().await;
    }
    assert_eq!(server.ran.load(Ordering::SeqCst), 0, "nothing ran");
    let client = "the MCP client test-client 1.0";
    assert_eq!(
        server.approvals().await,
        [
            (
                AuditOutcome::Denied,
                json!("mcp_elicitation"),
                json!("ann"),
                json!(format!("the user said no in {client}"))
            ),
            (
                AuditOutcome::Denied,
                json!("mcp_elicitation"),
                json!("ann"),
                json!(format!("the user declined in {client}"))
            ),
            (
                AuditOutcome::Denied,
                json!("mcp_elicitation"),
                json!("ann"),
                json!(format!(
                    "{client} accepted the approval form without a yes/no `approve` field ({{}}); taken as no"
                ))
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_without_elicitation_gets_the_deny_with_hint() {
    let server = Server::start().await;
    let (running, client) = server.connect(None).await;
    let out = push(&running).await;
    assert_eq!(
        error_of(&out),
        "`push_branches` was not run: push_branches needs a person's approval, which cannot be \
         asked over MCP; the user can do it themselves (the relay command) or ask for it in \
         relay voice or relay chat"
    );
    assert!(client.asked.lock().unwrap().is_empty());
    assert_eq!(server.ran.load(Ordering::SeqCst), 0);
    let approvals = server.approvals().await;
    assert_eq!(approvals.len(), 1);
    assert_eq!(
        (&approvals[0].0, &approvals[0].1),
        (&AuditOutcome::Denied, &json!("unavailable"))
    );
    let _ = running.cancel().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_answer_from_the_client_within_the_timeout_refuses() {
    let server = Server::start_with(|registry| {
        registry.approval_timeout(std::time::Duration::from_millis(300))
    })
    .await;
    let (running, client) = server.connect(Some(Answer::Never)).await;
    let out = push(&running).await;
    assert_eq!(
        error_of(&out),
        "`push_branches` was not run: nobody answered in the MCP client test-client 1.0 within 300 ms"
    );
    assert!(
        client.asked.lock().unwrap()[0]
            .0
            .ends_with("No answer within 300 ms refuses it.")
    );
    assert_eq!(server.ran.load(Ordering::SeqCst), 0);
    assert_eq!(server.approvals().await[0].1, json!("timeout"));
    let _ = running.cancel().await;
}
