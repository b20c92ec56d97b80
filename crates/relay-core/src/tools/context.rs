use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::event::Progress;

/// The project the user is working on, with the repositories related to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryProject {
    /// Repository name.
    pub name: String,
    /// Repositories it depends on and that depend on it.
    pub related: Vec<String>,
}

/// In-memory conversation context shared by the tools of one session.
#[derive(Debug, Default)]
pub struct SessionContext {
    primary: Mutex<Option<PrimaryProject>>,
}

impl SessionContext {
    /// An empty context.
    pub fn new() -> Arc<Self> {
        Arc::new(SessionContext::default())
    }

    /// The current primary project, if one was chosen.
    pub fn primary(&self) -> Option<PrimaryProject> {
        self.primary.lock().ok().and_then(|p| p.clone())
    }

    /// Sets the primary project.
    pub fn set_primary(&self, project: PrimaryProject) {
        if let Ok(mut p) = self.primary.lock() {
            *p = Some(project);
        }
    }
}

/// Where a tool sends [`Progress`]; a no-op when nobody listens.
#[derive(Debug, Clone, Default)]
pub struct ToolProgressSink(Option<mpsc::UnboundedSender<Progress>>);

impl ToolProgressSink {
    /// A sink feeding `tx`.
    pub fn new(tx: mpsc::UnboundedSender<Progress>) -> Self {
        ToolProgressSink(Some(tx))
    }

    /// Reports progress (ignored if the receiver is gone).
    pub fn report(&self, progress: Progress) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(progress);
        }
    }
}

/// What a tool receives besides its arguments.
#[derive(Debug, Clone, Default)]
pub struct ToolContext {
    /// The session's shared context.
    pub session: Arc<SessionContext>,
    /// Progress reporting.
    pub progress: ToolProgressSink,
    /// Who approves what is hard to undo, for this caller and conversation (set by the
    /// registry when it has an approver); the agent tool passes it to the coding agent, so its
    /// permission questions reach the same person.
    pub approvals: Option<crate::approval::Approvals>,
}
