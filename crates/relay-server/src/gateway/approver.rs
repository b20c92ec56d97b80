//! The approver a conversation hands to its tools: the conversation's [`ApprovalHub`], with
//! each request tied to the conversation, to who asked, and to who may answer (the owner).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use relay_core::approval::{ApprovalAnswer, ApprovalHub, ApprovalRequest, Approver};

/// Who spoke last in a conversation: requests raised now are theirs.
#[derive(Debug, Clone)]
pub struct Speaker(Arc<Mutex<String>>);

impl Speaker {
    /// Starts with `user`.
    pub fn new(user: &str) -> Self {
        Speaker(Arc::new(Mutex::new(user.to_string())))
    }

    /// Now `user` is speaking.
    pub fn set(&self, user: &str) {
        let mut current = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if *current != user {
            *current = user.to_string();
        }
    }

    /// Who spoke last.
    pub fn get(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// [`Approver`] of one conversation.
pub struct ConversationApprover {
    hub: Arc<ApprovalHub>,
    session: String,
    owner: String,
    speaker: Speaker,
}

impl ConversationApprover {
    /// Requests go to `hub`, belong to `session`, are answered by `owner`.
    pub fn new(hub: Arc<ApprovalHub>, session: &str, owner: &str, speaker: Speaker) -> Self {
        ConversationApprover {
            hub,
            session: session.to_string(),
            owner: owner.to_string(),
            speaker,
        }
    }
}

#[async_trait]
impl Approver for ConversationApprover {
    async fn approve(&self, mut request: ApprovalRequest) -> ApprovalAnswer {
        if request.session.is_none() {
            request.session = Some(self.session.clone());
        }
        if request.requested_by.is_none() {
            request.requested_by = Some(self.speaker.get());
        }
        // The owner drives: a guest's request, like the owner's own, is the owner's to answer.
        if request.approvers.is_empty() {
            request.approvers = vec![self.owner.clone()];
        }
        self.hub.approve(request).await
    }
}
