//! Approvals in a voice conversation: questions are spoken, the user's own speech answers.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use super::{ApprovalEvent, ApprovalHub};
use crate::voice::VoiceSession;

/// Speaks every question of a hub in a voice conversation ([`VoiceSession::announce`]) while it
/// lives; dropping it stops. Answers come back through
/// [`ApprovalHub::hear`] on the conversation's events.
#[derive(Debug)]
pub struct QuestionSpeaker {
    task: tokio::task::JoinHandle<()>,
}

impl QuestionSpeaker {
    /// Starts speaking the questions `hub` publishes from now on into `session`.
    pub fn start(hub: &ApprovalHub, session: Arc<VoiceSession>) -> Self {
        let mut events = hub.subscribe();
        let task = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(ApprovalEvent::ApprovalRequested { request }) => {
                        if session.announce(request.question).is_err() {
                            return;
                        }
                    }
                    Ok(ApprovalEvent::ApprovalResolved { .. }) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        });
        QuestionSpeaker { task }
    }
}

impl Drop for QuestionSpeaker {
    fn drop(&mut self) {
        self.task.abort();
    }
}
