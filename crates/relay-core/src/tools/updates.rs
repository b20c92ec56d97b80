//! [`ToolRegistry::invoke_with_updates`]: a tool call as a stream of its progress reports and
//! then its output — what every transport and binding forwards, each to its own listener.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream};
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;

use super::{SessionContext, ToolContext, ToolOutput, ToolProgressSink, ToolRegistry};
use crate::event::Progress;

/// One thing a running tool call reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolUpdate {
    /// A progress report, in the order the tool made it.
    Progress(Progress),
    /// The call ended; always the last update.
    Finished(ToolOutput),
}

/// Where the stream stands.
enum State {
    Running(
        BoxFuture<'static, ToolOutput>,
        mpsc::UnboundedReceiver<Progress>,
    ),
    // Progress reported just before the end still comes before the output.
    Draining(ToolOutput, mpsc::UnboundedReceiver<Progress>),
    Done,
}

impl ToolRegistry {
    /// Runs a call like [`invoke`](Self::invoke), yielding each progress report as it is made
    /// and the output last. Dropping the stream drops the call (a tool's `Job` is cancelled).
    pub fn invoke_with_updates(
        self: Arc<Self>,
        name: &str,
        arguments: &str,
        session: Arc<SessionContext>,
    ) -> BoxStream<'static, ToolUpdate> {
        let (tx, progress) = mpsc::unbounded_channel();
        let ctx = ToolContext {
            session,
            progress: ToolProgressSink::new(tx),
            approvals: None,
        };
        let (name, arguments) = (name.to_string(), arguments.to_string());
        let call = async move { self.invoke(&name, &arguments, ctx).await }.boxed();
        stream::unfold(State::Running(call, progress), |state| async move {
            match state {
                State::Running(mut call, mut progress) => tokio::select! {
                    biased;
                    Some(p) = progress.recv() => {
                        Some((ToolUpdate::Progress(p), State::Running(call, progress)))
                    }
                    output = &mut call => next_after_end(output, progress),
                },
                State::Draining(output, progress) => next_after_end(output, progress),
                State::Done => None,
            }
        })
        .boxed()
    }
}

fn next_after_end(
    output: ToolOutput,
    mut progress: mpsc::UnboundedReceiver<Progress>,
) -> Option<(ToolUpdate, State)> {
    Some(match progress.try_recv() {
        Ok(p) => (ToolUpdate::Progress(p), State::Draining(output, progress)),
        Err(_) => (ToolUpdate::Finished(output), State::Done),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{Permission, Tool, ToolError, ToolSpec};
    use async_trait::async_trait;
    use futures::StreamExt;
    use serde_json::{Value, json};
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Chatty;
    #[async_trait]
    impl Tool for Chatty {
        fn spec(&self) -> ToolSpec {
            ToolSpec::new(
                "chatty",
                "Reports twice.",
                json!({"type": "object"}),
                Permission::Read,
            )
        }
        async fn call(&self, _args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
            for step in ["one", "two"] {
                ctx.progress.report(Progress::message(step));
            }
            Ok(json!("done"))
        }
    }

    struct Forever(Arc<AtomicBool>);
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
            let _guard = SetOnDrop(self.0.clone());
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn progress_comes_in_order_and_the_output_last() {
        let registry = Arc::new(ToolRegistry::new().with(Arc::new(Chatty)));
        let updates: Vec<ToolUpdate> = registry
            .invoke_with_updates("chatty", "{}", SessionContext::new())
            .collect()
            .await;
        let messages: Vec<&str> = updates
            .iter()
            .filter_map(|u| match u {
                ToolUpdate::Progress(p) => Some(p.message.as_str()),
                ToolUpdate::Finished(_) => None,
            })
            .collect();
        assert_eq!(messages, ["one", "two"]);
        assert_eq!(
            updates.last(),
            Some(&ToolUpdate::Finished(ToolOutput {
                ok: true,
                value: json!("done")
            }))
        );
    }

    #[tokio::test]
    async fn dropping_the_stream_drops_the_call() {
        let dropped = Arc::new(AtomicBool::new(false));
        let registry = Arc::new(ToolRegistry::new().with(Arc::new(Forever(dropped.clone()))));
        let mut updates = registry.invoke_with_updates("forever", "{}", SessionContext::new());
        let pending = tokio::time::timeout(std::time::Duration::from_millis(20), updates.next());
        assert!(pending.await.is_err(), "the call is still running");
        drop(updates);
        assert!(dropped.load(Ordering::SeqCst));
    }
}
