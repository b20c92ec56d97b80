//! One `tools/call`: run through the registry, progress as MCP progress notifications, stopped
//! when the client cancels.

use futures::StreamExt;
use rmcp::RoleServer;
use rmcp::model::{CallToolRequestParams, CallToolResult, ProgressNotificationParam};
use rmcp::service::RequestContext;

use relay_core::Progress;
use relay_core::tools::{ToolOutput, ToolUpdate};

use super::{McpServer, convert};

/// Runs the call and answers with its result; never a protocol error (an unknown tool, bad
/// arguments or a refused permission are tool results the caller can read).
pub(crate) async fn call(
    server: &McpServer,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> CallToolResult {
    let arguments = match &request.arguments {
        Some(args) => serde_json::Value::Object(args.clone()).to_string(),
        None => "{}".to_string(),
    };
    let token = request
        .meta
        .as_ref()
        .and_then(|m| m.get_progress_token())
        .or_else(|| context.meta.get_progress_token());
    // As the request's caller (their role within the server's grant), asking the client's user
    // through elicitation when a tool needs approval and the client can be asked.
    let registry = super::caller::registry(&server.registry, &context);
    let registry = super::approval::registry_for_call(&registry, server.elicit, &context.peer);
    let mut updates =
        registry.invoke_with_updates(&request.name, &arguments, server.session.clone());
    let mut last = 0.0_f64;
    loop {
        let update = tokio::select! {
            biased;
            () = context.ct.cancelled() => {
                // Dropping the stream drops the call: a tool's job is cancelled, its processes
                // stopped. The client asked for no answer; this one is not sent.
                drop(updates);
                tracing::debug!(tool = %request.name, "MCP call cancelled by the client");
                return convert::result(&ToolOutput::error(format!(
                    "`{}` was cancelled by the client",
                    request.name
                )));
            }
            update = updates.next() => update,
        };
        match update {
            Some(ToolUpdate::Progress(progress)) => {
                if let Some(token) = &token {
                    let param = notification(token.clone(), &progress, &mut last);
                    if let Err(e) = context.peer.notify_progress(param).await {
                        tracing::debug!("cannot send MCP progress: {e}");
                    }
                }
            }
            Some(ToolUpdate::Finished(output)) => return convert::result(&output),
            None => {
                return convert::result(&ToolOutput::error(format!(
                    "`{}` ended without an answer",
                    request.name
                )));
            }
        }
    }
}

/// A progress notification for `progress`: its counts when they advance, else one step more
/// (MCP progress must increase); the message names the repository in hand.
fn notification(
    token: rmcp::model::ProgressToken,
    progress: &Progress,
    last: &mut f64,
) -> ProgressNotificationParam {
    let message = match &progress.repo {
        Some(repo) if !progress.message.contains(repo.as_str()) => {
            format!("{repo}: {}", progress.message)
        }
        _ => progress.message.clone(),
    };
    let counted = progress.done.map(|d| d as f64).filter(|d| *d > *last);
    let param = match counted {
        Some(done) => {
            *last = done;
            let param = ProgressNotificationParam::new(token, done);
            match progress.total {
                Some(total) => param.with_total(total as f64),
                None => param,
            }
        }
        None => {
            *last += 1.0;
            ProgressNotificationParam::new(token, *last)
        }
    };
    param.with_message(message)
}
