//! [`ApprovalHub`]: pending requests that a button or the user's speech answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};

use super::{
    AnswerSource, ApprovalAnswer, ApprovalDecision, ApprovalRequest, Approver, parse_spoken_answer,
};

/// What happens to requests in a hub; every adapter shows them (a page, a terminal, a callback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ApprovalEvent {
    /// A request waits for an answer.
    ApprovalRequested {
        /// The request.
        request: ApprovalRequest,
    },
    /// A request was answered (or timed out).
    ApprovalResolved {
        /// The request's id.
        id: String,
        /// The answer.
        answer: ApprovalAnswer,
    },
}

/// Why an answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// No pending request has this id (never asked, already answered, or timed out).
    #[error(
        "no approval `{0}` is waiting for an answer (it was answered, timed out, or never asked)"
    )]
    NotPending(String),
    /// The user may not answer this request.
    #[error("{user} may not answer approval `{id}`: only {approvers} may")]
    NotAnApprover {
        /// The request.
        id: String,
        /// Who tried.
        user: String,
        /// Who may, comma-separated.
        approvers: String,
    },
}

impl ApprovalError {
    /// A stable code for adapters.
    pub fn code(&self) -> &'static str {
        match self {
            ApprovalError::NotPending(_) => "approval_not_pending",
            ApprovalError::NotAnApprover { .. } => "not_an_approver",
        }
    }
}

struct Pending {
    request: ApprovalRequest,
    reply: oneshot::Sender<ApprovalAnswer>,
}

/// Requests waiting for a person, answered from wherever the person is: a button
/// ([`answer`](Self::answer)) or their transcribed speech ([`answer_from_speech`](Self::answer_from_speech)).
/// As an [`Approver`] it publishes each request as an [`ApprovalEvent`] and waits; no answer
/// within the request's timeout denies it.
pub struct ApprovalHub {
    pending: Mutex<Vec<Pending>>,
    /// Actions allowed for the rest of the session with [`ApprovalDecision::AllowForSession`],
    /// keyed by [`action_key`].
    remembered: Mutex<HashMap<String, ApprovalAnswer>>,
    events: broadcast::Sender<ApprovalEvent>,
}

impl std::fmt::Debug for ApprovalHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalHub")
            .field("pending", &self.pending().len())
            .finish()
    }
}

impl Default for ApprovalHub {
    fn default() -> Self {
        // A few slots: approvals are rare and each one blocks a tool; a hub lives in every
        // conversation, and every slot is allocated up front (256 cost ~59 KiB each).
        let (events, _) = broadcast::channel(16);
        ApprovalHub {
            pending: Mutex::new(Vec::new()),
            remembered: Mutex::new(HashMap::new()),
            events,
        }
    }
}

impl ApprovalHub {
    /// An empty hub.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Requests and resolutions from now on. A subscriber that arrives late reads
    /// [`pending`](Self::pending) first.
    pub fn subscribe(&self) -> broadcast::Receiver<ApprovalEvent> {
        self.events.subscribe()
    }

    /// The requests waiting now, oldest first.
    pub fn pending(&self) -> Vec<ApprovalRequest> {
        lock(&self.pending)
            .iter()
            .map(|p| p.request.clone())
            .collect()
    }

    /// Answers request `id` (a button). The answer's `answered_by` must be allowed to answer.
    pub fn answer(&self, id: &str, answer: ApprovalAnswer) -> Result<(), ApprovalError> {
        let pending = {
            let mut pending = lock(&self.pending);
            let index = pending
                .iter()
                .position(|p| p.request.id == id)
                .ok_or_else(|| ApprovalError::NotPending(id.to_string()))?;
            let request = &pending[index].request;
            if !request.answerable_by(answer.answered_by.as_deref()) {
                return Err(ApprovalError::NotAnApprover {
                    id: id.to_string(),
                    user: answer
                        .answered_by
                        .unwrap_or_else(|| "an unknown user".into()),
                    approvers: request.approvers.join(", "),
                });
            }
            pending.remove(index)
        };
        self.resolve(pending, answer);
        Ok(())
    }

    /// Reads `transcript` — the user's own input transcription, never the model's output — as
    /// the answer to the oldest request `user` may answer. Returns the request's id when the
    /// words were an answer ("yes", "no", "only this once"); `None` leaves everything waiting.
    pub fn answer_from_speech(&self, user: &str, transcript: &str) -> Option<String> {
        let decision = parse_spoken_answer(transcript)?;
        let id = lock(&self.pending)
            .iter()
            .find(|p| p.request.answerable_by(Some(user)))
            .map(|p| p.request.id.clone())?;
        self.answer(&id, ApprovalAnswer::by(user, decision, AnswerSource::Voice))
            .ok()
            .map(|()| id)
    }

    /// Reads one event of a voice conversation: only the user's own transcript
    /// ([`VoiceEvent::UserTranscript`](crate::voice::VoiceEvent::UserTranscript)) can answer (see
    /// [`answer_from_speech`](Self::answer_from_speech)); the model's text, its audio transcript
    /// and everything else are ignored, so the model cannot approve its own actions. Returns the
    /// id of the request answered, if any.
    pub fn hear(&self, user: &str, event: &crate::voice::VoiceEvent) -> Option<String> {
        match event {
            crate::voice::VoiceEvent::UserTranscript { text, .. } => {
                self.answer_from_speech(user, text)
            }
            _ => None,
        }
    }

    /// Denies every waiting request (the conversation ended).
    pub fn deny_all(&self, reason: &str) {
        let drained: Vec<Pending> = lock(&self.pending).drain(..).collect();
        for pending in drained {
            self.resolve(
                pending,
                ApprovalAnswer::denied(AnswerSource::Unavailable, reason),
            );
        }
    }

    fn resolve(&self, pending: Pending, answer: ApprovalAnswer) {
        if answer.decision == ApprovalDecision::AllowForSession {
            lock(&self.remembered).insert(action_key(&pending.request), answer.clone());
        }
        let _ = self.events.send(ApprovalEvent::ApprovalResolved {
            id: pending.request.id.clone(),
            answer: answer.clone(),
        });
        let _ = pending.reply.send(answer);
    }

    fn take_if_waiting(&self, id: &str) -> Option<Pending> {
        let mut pending = lock(&self.pending);
        let index = pending.iter().position(|p| p.request.id == id)?;
        Some(pending.remove(index))
    }
}

#[async_trait]
impl Approver for ApprovalHub {
    async fn approve(&self, request: ApprovalRequest) -> ApprovalAnswer {
        if let Some(earlier) = lock(&self.remembered).get(&action_key(&request)) {
            return earlier.clone();
        }
        let id = request.id.clone();
        let timeout = Duration::from_millis(request.timeout_ms);
        let (reply, mut answered) = oneshot::channel();
        lock(&self.pending).push(Pending {
            request: request.clone(),
            reply,
        });
        let _ = self
            .events
            .send(ApprovalEvent::ApprovalRequested { request });
        let withdrawn =
            || ApprovalAnswer::denied(AnswerSource::Unavailable, "the request was withdrawn");
        match tokio::time::timeout(timeout, &mut answered).await {
            Ok(answer) => answer.unwrap_or_else(|_| withdrawn()),
            Err(_) => match self.take_if_waiting(&id) {
                Some(pending) => {
                    let answer = ApprovalAnswer::denied(
                        AnswerSource::Timeout,
                        format!("nobody answered within {}", super::wait_words(timeout)),
                    );
                    self.resolve(pending, answer.clone());
                    answer
                }
                // Answered at the very moment the time ran out: that answer stands.
                None => answered.await.unwrap_or_else(|_| withdrawn()),
            },
        }
    }
}

/// What "the same action" means for [`ApprovalDecision::AllowForSession`]: the same tool (or
/// agent tool in the same repository) — not the same arguments.
fn action_key(request: &ApprovalRequest) -> String {
    match &request.action {
        super::ApprovalAction::Tool { name, .. } => format!("tool:{name}"),
        super::ApprovalAction::AgentTool {
            repo, tool_name, ..
        } => format!("agent:{repo}:{tool_name}"),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
