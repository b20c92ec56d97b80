//! Runs one tool call on its own task, forwarding its progress to the driver.

use std::sync::Arc;

use relay_core::tools::{
    SessionContext, ToolContext, ToolOutput, ToolProgress, ToolProgressSink, ToolRegistry,
};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// A message from a running tool to the driver.
#[derive(Debug)]
pub enum ToolMsg {
    /// The tool reported progress.
    Progress {
        /// Call id.
        call_id: String,
        /// The report.
        progress: ToolProgress,
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
        let (ptx, mut prx) = mpsc::unbounded_channel();
        let ctx = ToolContext {
            session: context,
            progress: ToolProgressSink::new(ptx),
        };
        let run = registry.invoke(&name, &arguments, ctx);
        tokio::pin!(run);
        let output = loop {
            tokio::select! {
                output = &mut run => break output,
                Some(progress) = prx.recv() => {
                    let _ = to_driver.send(ToolMsg::Progress { call_id: call_id.clone(), progress });
                }
            }
        };
        // Progress sent just before completion still reaches the driver first.
        while let Ok(progress) = prx.try_recv() {
            let _ = to_driver.send(ToolMsg::Progress {
                call_id: call_id.clone(),
                progress,
            });
        }
        let _ = to_driver.send(ToolMsg::Done {
            call_id,
            name: name.clone(),
            output,
        });
    })
    .abort_handle()
}
