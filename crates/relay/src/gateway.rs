//! The voice gateway's conversations from the facade: [`Conversations`] makes each one from
//! Relay's audited tools (restricted to the signed-in caller), a voice transport
//! ([`VoiceConfig`]) and the stored session (`?session=NAME` resumes one).

use std::sync::Arc;

use async_trait::async_trait;
use relay_core::store::Turn;
use relay_core::team::Caller;
use relay_core::tools::SessionContext;
use relay_core::voice::VoiceEvent;
use relay_server::gateway::{
    ConversationFactory, ConversationParts, ConversationRequest, OpenError, StoredConversation,
};
use serde_json::Value;

use crate::{Error, Relay, SessionMemory, VoiceConfig};

/// Makes the gateway's conversations over a [`Relay`]: `relay serve` builds one and hands it
/// to [`Gateway::builder`](relay_server::gateway::Gateway::builder).
///
/// ```no_run
/// # async fn example() -> Result<(), relay::Error> {
/// use std::sync::Arc;
/// use relay::{Conversations, Relay, VoiceConfig};
/// use relay::server::gateway::Gateway;
///
/// let relay = Arc::new(Relay::builder().build().await?);
/// let voice = VoiceConfig::new().url("ws://127.0.0.1:8765/v1/realtime");
/// let local = relay.caller().clone();
/// let gateway = Gateway::builder(Arc::new(Conversations::new(relay, voice)), local).build();
/// let app = relay::server::axum::Router::new().merge(gateway.router());
/// # Ok(()) }
/// ```
pub struct Conversations {
    relay: Arc<Relay>,
    voice: VoiceConfig,
}

impl std::fmt::Debug for Conversations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversations")
            .field("voice", &self.voice)
            .finish_non_exhaustive()
    }
}

impl Conversations {
    /// Conversations over `relay`'s parts, held through `voice`'s transport.
    pub fn new(relay: Arc<Relay>, voice: VoiceConfig) -> Self {
        Conversations { relay, voice }
    }
}

fn open_error(e: Error) -> OpenError {
    OpenError::new(e.code(), e.to_string())
}

#[async_trait]
impl ConversationFactory for Conversations {
    async fn open(&self, request: ConversationRequest) -> Result<ConversationParts, OpenError> {
        let memory = match (self.relay.store(), request.fresh) {
            (Some(_), _) => Some(Arc::new(
                self.relay
                    .session_as(&request.caller, &request.session)
                    .await
                    .map_err(open_error)?,
            )),
            // A named session needs a store to be kept in.
            (None, false) => {
                return Err(OpenError::new(
                    "no_store",
                    format!(
                        "session `{}` cannot be resumed or saved: this server has no store",
                        request.session
                    ),
                ));
            }
            (None, true) => None,
        };
        let context = memory
            .as_ref()
            .map(|m| m.context())
            .unwrap_or_else(SessionContext::new);
        // The caller's own role, whatever Relay's own caller is; audited under the session.
        // APPROVALS (on merging the approvals branch): add
        // `.with_approver(request.approver.clone())` after `.for_caller(..)` below — tried
        // against that branch: it compiles and the gateway tests pass.
        let registry = self
            .relay
            .tools_for_session(Some(request.session.clone()))
            .map_err(open_error)?
            .for_caller(request.caller.clone());
        // A shared session's guests: their own role, and the owner approves their writes.
        let registry = Arc::new(request.guests.guard(registry));
        let transport = self
            .voice
            .build_transport(registry.clone(), context)
            .map_err(open_error)?;
        Ok(ConversationParts {
            registry,
            transport,
            memory: memory.map(|m| m as Arc<dyn StoredConversation>),
        })
    }

    async fn briefing(&self, _caller: &Caller) -> Option<Value> {
        let graph = self.relay.graph()?;
        let github = self.relay.github();
        match relay_core::github::briefing(graph.as_ref(), github.as_deref()).await {
            Ok(briefing) => serde_json::to_value(briefing).ok(),
            Err(e) => {
                tracing::warn!("no briefing for the conversation: {e}");
                None
            }
        }
    }
}

#[async_trait]
impl StoredConversation for SessionMemory {
    fn id(&self) -> String {
        SessionMemory::id(self)
    }

    fn history(&self) -> Vec<Turn> {
        SessionMemory::history(self)
    }

    async fn observe(&self, event: &VoiceEvent) -> Result<(), String> {
        SessionMemory::observe(self, event)
            .await
            .map_err(|e| e.to_string())
    }
}
