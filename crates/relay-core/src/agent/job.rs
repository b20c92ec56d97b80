//! One agent run as a [`Job`]: a stream of `agent` events ending in the outcome.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc};

use super::{AgentContext, AgentError, AgentOutcome, AgentTask, CodingAgent};
use crate::event::EventKind;
use crate::job::Job;

/// A running agent job plus the handle to interrupt it gracefully. Cancel (or drop) the job to
/// kill the agent instead.
#[derive(Debug)]
pub struct AgentJob {
    /// The job: `job_started`, `agent { repo, event }`..., `job_finished`; result the outcome.
    pub job: Job<AgentOutcome, AgentError>,
    /// Interrupts the agent's current turn (it then ends with a result).
    pub interrupt: AgentInterrupt,
}

/// Asks a running agent to stop its turn gracefully.
#[derive(Debug, Clone)]
pub struct AgentInterrupt {
    signal: Arc<Notify>,
}

impl AgentInterrupt {
    /// Sends the interrupt.
    pub fn interrupt(&self) {
        self.signal.notify_one();
    }
}

/// Starts `task` on `agent` as a job named `agent_run`.
///
/// ```no_run
/// # async fn demo(agent: std::sync::Arc<dyn relay_core::agent::CodingAgent>) {
/// use futures::StreamExt;
/// use relay_core::agent::{AgentTask, start_agent};
/// // `agent`: e.g. relay_agent::shell::ShellAgent or relay_agent::claude::ClaudeCodeAgent
/// let mut run = start_agent(agent, AgentTask::builder("cargo test", ".").build());
/// while let Some(event) = run.job.next().await {
///     println!("{}", serde_json::to_string(&event).unwrap());
/// }
/// let outcome = run.job.wait().await.unwrap();
/// # }
/// ```
pub fn start_agent(agent: Arc<dyn CodingAgent>, task: AgentTask) -> AgentJob {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let agent_ctx = AgentContext::new(move |event| {
        let _ = tx.send(event);
    });
    let interrupt = AgentInterrupt {
        signal: agent_ctx.interrupt_signal(),
    };
    let repo = task.repo_name();
    let job = Job::spawn("agent_run", move |ctx| async move {
        let agent_ctx = agent_ctx.with_cancel_token(ctx.cancellation_token());
        let forward = ctx.clone();
        let forwarder = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                forward
                    .emit(EventKind::Agent {
                        repo: Some(repo.clone()),
                        event,
                    })
                    .await;
            }
        });
        let result = agent.run(task, agent_ctx).await;
        // The run's context (and so the last sender) is gone: the forwarder drains and ends.
        let _ = forwarder.await;
        result
    });
    AgentJob { job, interrupt }
}
