//! What the gateway needs from the application for each conversation: the
//! [`ConversationFactory`] (the `relay` facade implements it; an embedding service may too).

use std::sync::Arc;

use async_trait::async_trait;
use relay_core::approval::Approver;
use relay_core::store::Turn;
use relay_core::team::Caller;
use relay_core::tools::ToolRegistry;
use relay_core::voice::{VoiceEvent, VoiceTransport};
use serde_json::Value;

use super::guard::GuestGuard;

/// What a new conversation is for.
#[derive(Clone)]
pub struct ConversationRequest {
    /// Who opened it (the socket's user).
    pub caller: Caller,
    /// The session's name: `?session=NAME` (resume it, or create it under that name), else a
    /// fresh name the gateway made up (`fresh` is set). It is the client's `session_id`.
    pub session: String,
    /// Whether `session` is a fresh name (no `?session=`): nothing to resume.
    pub fresh: bool,
    /// The conversation's approver: hand it to the registry
    /// (`ToolRegistry::with_approver`) so tools whose effect is hard to undo ask the people in
    /// this conversation. It speaks the question and shows it with buttons; the answer comes
    /// from a button or the user's own transcribed speech, never from the model.
    pub approver: Arc<dyn Approver>,
    /// The guests of a shared session: wrap the registry with [`GuestGuard::guard`] so a
    /// guest's own role applies to what they ask for and their writes ask the owner first.
    pub guests: GuestGuard,
}

impl std::fmt::Debug for ConversationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConversationRequest")
            .field("caller", &self.caller)
            .field("session", &self.session)
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

/// What a conversation runs with, as the factory made it for one caller.
pub struct ConversationParts {
    /// The tools, restricted to the caller's role (and audited, when the application audits).
    pub registry: Arc<ToolRegistry>,
    /// The voice transport over `registry` (OpenAI Realtime in `relay serve`): the gateway
    /// starts one session on it, with the stored session's history.
    pub transport: Arc<dyn VoiceTransport>,
    /// The stored session, saved as turns happen; `None` when the application keeps none.
    pub memory: Option<Arc<dyn StoredConversation>>,
}

impl std::fmt::Debug for ConversationParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConversationParts")
            .field("registry", &self.registry)
            .field("transport", &self.transport.name())
            .field("memory", &self.memory.as_ref().map(|m| m.id()))
            .finish()
    }
}

/// Why a conversation could not be opened; sent to the client as an `error` frame (then
/// `closed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OpenError {
    /// A stable code, e.g. `bad_session`, `denied`, `no_store`.
    pub code: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl OpenError {
    /// An error with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        OpenError {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A stored conversation the gateway keeps up to date (the facade's `SessionMemory`).
#[async_trait]
pub trait StoredConversation: Send + Sync {
    /// The session's name.
    fn id(&self) -> String;
    /// The conversation so far, replayed into the voice session when it is resumed.
    fn history(&self) -> Vec<Turn>;
    /// Records what `event` adds to the conversation (a user transcript, a reply, a finished
    /// tool call) and saves it; an error is reported to the client, the conversation goes on.
    async fn observe(&self, event: &VoiceEvent) -> Result<(), String>;
}

/// Makes conversations for the gateway: the application's tools, transport and storage for
/// one caller. `relay serve` uses the `relay` facade's implementation; an embedding service can
/// write its own.
#[async_trait]
pub trait ConversationFactory: Send + Sync + 'static {
    /// The parts of a new conversation for `request.caller`. Errors go to the client as an
    /// `error` frame followed by `closed`.
    async fn open(&self, request: ConversationRequest) -> Result<ConversationParts, OpenError>;

    /// The briefing for `caller` (what changed since their last session), sent as a
    /// `briefing` frame after `ready`; `None` (the default) sends none, e.g. without a
    /// workspace or offline.
    async fn briefing(&self, caller: &Caller) -> Option<Value> {
        let _ = caller;
        None
    }
}
