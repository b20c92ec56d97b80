//! The handle a running agent uses to report events and notice cancel or interrupt.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::AgentEvent;

type Sink = Arc<dyn Fn(AgentEvent) + Send + Sync>;

/// Passed to [`CodingAgent::run`](super::CodingAgent::run): where events go, and the cancel and
/// interrupt signals. Cloning shares the same signals.
#[derive(Clone)]
pub struct AgentContext {
    sink: Sink,
    cancel: CancellationToken,
    interrupt: Arc<Notify>,
    asker: Option<Arc<dyn super::PermissionAsker>>,
}

impl std::fmt::Debug for AgentContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentContext")
            .field("cancelled", &self.cancel.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl AgentContext {
    /// A context delivering events to `sink`.
    pub fn new(sink: impl Fn(AgentEvent) + Send + Sync + 'static) -> Self {
        Self {
            sink: Arc::new(sink),
            cancel: CancellationToken::new(),
            interrupt: Arc::new(Notify::new()),
            asker: None,
        }
    }

    /// Puts this run's permission questions to `asker` (a person, through the conversation the
    /// run was started from) when the agent has no asker of its own.
    pub fn with_asker(mut self, asker: Arc<dyn super::PermissionAsker>) -> Self {
        self.asker = Some(asker);
        self
    }

    /// Who answers this run's permission questions, when the caller gave someone.
    pub fn asker(&self) -> Option<&Arc<dyn super::PermissionAsker>> {
        self.asker.as_ref()
    }

    /// A context that drops events (for callers that only want the outcome).
    pub fn discard() -> Self {
        Self::new(|_| {})
    }

    /// Uses `token` for cancellation (e.g. a child token of a whole multi-repo run).
    pub fn with_cancel_token(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Reports an event.
    pub fn emit(&self, event: AgentEvent) {
        (self.sink)(event);
    }

    /// The cancellation token: cancelling it kills the agent's process group.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Cancels the run (kills the process group, the outcome is [`AgentError::Cancelled`](super::AgentError::Cancelled)).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Asks the agent to stop its current turn gracefully (Claude Code's `interrupt` control
    /// request); the run then ends with a result.
    pub fn interrupt(&self) {
        self.interrupt.notify_one();
    }

    /// The interrupt signal alone (holds no event sink, so it never keeps a run's events open).
    pub(crate) fn interrupt_signal(&self) -> Arc<Notify> {
        self.interrupt.clone()
    }

    /// Resolves when an interrupt was requested.
    pub async fn interrupted(&self) {
        self.interrupt.notified().await;
    }
}
