//! `McpServer` with an rmcp client over an in-memory byte stream: the tool list keeps each
//! spec, a refused call is a tool result with the registry's hint, progress arrives as
//! notifications, a cancelled call stops its tool.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use relay_core::Progress;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolRegistry, ToolSpec};
use relay_mcp::McpServer;
use relay_mcp::rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
use relay_mcp::rmcp::service::PeerRequestOptions;
use relay_mcp::rmcp::{ClientHandler, ServiceExt};
use serde_json::{Value, json};

struct Steps;
#[async_trait]
impl Tool for Steps {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "steps",
            "Reports three steps.",
            json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}),
            Permission::Read,
        )
        .long_running()
    }
    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        for i in 1..=3 {
            ctx.progress
                .report(Progress::message(format!("step {i}")).done(i).total(3));
        }
        Ok(json!({"n": args["n"]}))
    }
}

struct Write;
#[async_trait]
impl Tool for Write {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "write",
            "Writes.",
            json!({"type": "object"}),
            Permission::WriteRepos,
        )
    }
    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        Ok(json!("written"))
    }
}

/// Never ends; `started` is set when it runs, `dropped` when its call is dropped.
struct Forever {
    started: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
}
struct SetOnDrop(Arc<AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
#[async_trait]
impl Tool for Forever {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "forever",
            "Never ends.",
            json!({"type": "object"}),
            Permission::Read,
        )
    }
    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let _guard = SetOnDrop(self.dropped.clone());
        self.started.store(true, Ordering::SeqCst);
        std::future::pending().await
    }
}

/// Waits (at most 10 s) until `flag` is set.
async fn wait_until(flag: &AtomicBool) {
    for _ in 0..1000 {
        if flag.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("not set within 10 s");
}

#[derive(Clone, Default)]
struct Client;
impl ClientHandler for Client {}

#[tokio::test(flavor = "multi_thread")]
async fn tools_results_refusals_and_cancellation_over_mcp() {
    let dropped = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let registry = ToolRegistry::new()
        .with(Arc::new(Steps))
        .with(Arc::new(Write))
        .with(Arc::new(Forever {
            started: started.clone(),
            dropped: dropped.clone(),
        }))
        .with_permissions([Permission::Read]);
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let server = McpServer::new(Arc::new(registry));
    let serving = tokio::spawn(server.serve_io(tokio::io::split(server_io)));
    let client = Client.serve(client_io).await.expect("initialize");

    let tools = client.peer().list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["forever", "steps", "write"]);
    let steps = &tools[1];
    assert_eq!(
        Value::Object((*steps.input_schema).clone()),
        json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]})
    );
    let meta = steps.meta.as_ref().unwrap();
    assert_eq!(meta.0["dev.relay/permission"], "read");
    assert_eq!(meta.0["dev.relay/longRunning"], true);
    assert_eq!(
        tools[2].meta.as_ref().unwrap().0["dev.relay/granted"],
        false
    );

    let ok = client
        .peer()
        .call_tool(
            CallToolRequestParams::new("steps")
                .with_arguments(json!({"n": 2}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_eq!(ok.is_error, Some(false));
    assert_eq!(ok.structured_content, Some(json!({"n": 2})));

    let refused = client
        .peer()
        .call_tool(CallToolRequestParams::new("write"))
        .await
        .unwrap();
    assert_eq!(refused.is_error, Some(true));
    let text = refused.content[0].as_text().unwrap().text.clone();
    let err: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        err["error"],
        "`write` needs the `write_repos` permission, which this session was not granted"
    );
    assert_eq!(
        err["hint"],
        "tell the user this action is not allowed in this session"
    );

    let bad = client
        .peer()
        .call_tool(
            CallToolRequestParams::new("steps")
                .with_arguments(json!({"n": 0}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_eq!(bad.is_error, Some(true));
    assert!(
        bad.content[0]
            .as_text()
            .unwrap()
            .text
            .contains("`n`: must be >= 1")
    );

    // notifications/cancelled for a running call stops its tool; the session lives on.
    let handle = client
        .peer()
        .send_cancellable_request(
            ClientRequest::CallToolRequest(CallToolRequest::new(CallToolRequestParams::new(
                "forever",
            ))),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    wait_until(&started).await;
    handle.cancel(Some("test".into())).await.unwrap();
    wait_until(&dropped).await;
    let after = client
        .peer()
        .call_tool(
            CallToolRequestParams::new("steps")
                .with_arguments(json!({"n": 1}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_eq!(after.is_error, Some(false));
    let _ = client.cancel().await;
    let _ = serving.await;
    assert!(dropped.load(Ordering::SeqCst), "the tool was dropped");
}
