//! Runs one tool call on its own task, forwarding its progress and output to the session's
//! `ToolCalls`.

use std::sync::Arc;

use futures::StreamExt;
use relay_core::event::Progress;
use relay_core::tools::{SessionContext, ToolOutput, ToolRegistry, ToolUpdate};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// A message from a running tool to the session's `ToolCalls`.
#[derive(Debug)]
pub enum ToolMsg {
    /// The tool reported progress.
    Progress {
        /// Call id.
        call_id: String,
        /// The report.
        progress: Progress,
    },
    /// The tool finished (successfully or not).
    Done {
        /// Call id.
        call_id: String,
        /// Tool name.
        name: String,
        /// What the model receives.
        output: ToolOutput,
    },
}

/// Spawns the call; the returned handle aborts it (used when the session closes).
pub fn spawn(
    registry: Arc<ToolRegistry>,
    context: Arc<SessionContext>,
    call_id: String,
    name: String,
    arguments: String,
    to_driver: mpsc::UnboundedSender<ToolMsg>,
) -> AbortHandle {
    tokio::spawn(async move {
        let mut updates = registry.invoke_with_updates(&name, &arguments, context);
        while let Some(update) = updates.next().await {
            let msg = match update {
                ToolUpdate::Progress(progress) => ToolMsg::Progress {
                    call_id: call_id.clone(),
                    progress,
                },
                ToolUpdate::Finished(output) => ToolMsg::Done {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    output,
                },
            };
            let _ = to_driver.send(msg);
        }
    })
    .abort_handle()
}
