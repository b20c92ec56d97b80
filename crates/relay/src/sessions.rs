//! Conversations kept in the store as they go (the plan's `VoiceSession` and
//! `ProjectContext`): `relay chat --session NAME` and `relay voice --session NAME` resume one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relay_core::store::{
    DEFAULT_SESSION_TTL, ProjectContext, SessionRecord, SessionSummary, Store, ToolCallRecord,
    Turn, TurnRole,
};
use relay_core::team::Caller;
use relay_core::tools::{Permission, PrimaryProject, SessionContext};
use relay_core::voice::VoiceEvent;

use crate::{Error, Relay};

/// One conversation, saved after every completed turn: a crash loses at most the turn in
/// flight. Cheap to share (`Arc`) between the task reading events and the application.
pub struct SessionMemory {
    store: Arc<dyn Store>,
    ttl: Duration,
    context: Arc<SessionContext>,
    record: Mutex<SessionRecord>,
    calls: Mutex<HashMap<String, (String, String)>>,
}

impl std::fmt::Debug for SessionMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMemory")
            .field("session", &self.id())
            .field("store", &self.store.url())
            .finish()
    }
}

impl Relay {
    /// The session called `name`: resumed when the store has it (and it did not expire), else
    /// started. Another user's session needs the `team` permission.
    pub async fn session(&self, name: &str) -> Result<SessionMemory, Error> {
        self.session_as(self.caller(), name).await
    }

    /// [`session`](Self::session) for `caller` rather than Relay's own caller (a server's
    /// signed-in user): resumed when it is theirs, or another user's with the `team`
    /// permission; else started as theirs.
    pub async fn session_as(&self, caller: &Caller, name: &str) -> Result<SessionMemory, Error> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err(Error::usage(
                "a session name is 1 to 100 printable characters, e.g. `morning`",
            ));
        }
        let store = self.require_store()?;
        let ttl = self
            .workspace()
            .map(|w| w.store().session_ttl)
            .unwrap_or(DEFAULT_SESSION_TTL);
        let now = relay_store::now_ms();
        let record = match store.load_session(name).await? {
            Some(record) => {
                if record.user != caller.user {
                    caller
                        .require(
                            Permission::Team,
                            &format!("resume {}'s session `{name}`", record.user),
                        )
                        .map_err(Error::Denied)?;
                }
                record
            }
            None => SessionRecord {
                id: name.to_owned(),
                user: caller.user.clone(),
                created_ms: now,
                updated_ms: now,
                ..Default::default()
            },
        };
        let context = SessionContext::new();
        if let Some(primary) = &record.primary {
            let related = record
                .projects
                .get(primary)
                .map(|p| p.active_repos.clone())
                .unwrap_or_default();
            context.set_primary(PrimaryProject {
                name: primary.clone(),
                related,
            });
        }
        Ok(SessionMemory {
            store,
            ttl,
            context,
            record: Mutex::new(record),
            calls: Mutex::new(HashMap::new()),
        })
    }

    /// Sessions not expired, most recent first: everyone's with the `team` permission, else the
    /// caller's own.
    pub async fn sessions(&self) -> Result<Vec<SessionSummary>, Error> {
        let mut all = self.require_store()?.sessions().await?;
        if !self.caller().may(Permission::Team) {
            all.retain(|s| s.user == self.caller().user);
        }
        Ok(all)
    }
}

impl SessionMemory {
    /// The session's name.
    pub fn id(&self) -> String {
        self.lock().id.clone()
    }

    /// The shared context the tools of this session see (primary project restored).
    pub fn context(&self) -> Arc<SessionContext> {
        self.context.clone()
    }

    /// The conversation so far (what a voice transport replays when resuming).
    pub fn history(&self) -> Vec<Turn> {
        self.lock().turns.clone()
    }

    /// The whole record as it is now.
    pub fn record(&self) -> SessionRecord {
        self.lock().clone()
    }

    /// Whether the session was resumed with turns in it.
    pub fn is_resumed(&self) -> bool {
        !self.lock().turns.is_empty()
    }

    /// Records what `event` adds to the conversation (a user transcript, an assistant reply, a
    /// finished tool call) and saves the session when it added something.
    pub async fn observe(&self, event: &VoiceEvent) -> Result<(), Error> {
        let now = relay_store::now_ms();
        let turn = match event {
            VoiceEvent::UserTranscript { text, .. } if !text.trim().is_empty() => Some(Turn {
                role: TurnRole::User,
                text: text.clone(),
                tool: None,
                at_ms: now,
            }),
            VoiceEvent::AssistantText { text, .. } if !text.trim().is_empty() => Some(Turn {
                role: TurnRole::Assistant,
                text: text.clone(),
                tool: None,
                at_ms: now,
            }),
            VoiceEvent::ToolCallStarted {
                call_id,
                name,
                arguments,
            } => {
                self.calls_lock()
                    .insert(call_id.clone(), (name.clone(), arguments.clone()));
                None
            }
            VoiceEvent::ToolCallFinished {
                call_id,
                name,
                output,
                ..
            } => {
                let arguments = self
                    .calls_lock()
                    .remove(call_id)
                    .map(|(_, args)| args)
                    .unwrap_or_default();
                Some(Turn {
                    role: TurnRole::Tool,
                    text: String::new(),
                    tool: Some(ToolCallRecord {
                        name: name.clone(),
                        arguments,
                        output: output.clone(),
                    }),
                    at_ms: now,
                })
            }
            _ => None,
        };
        match turn {
            Some(turn) => {
                self.lock().turns.push(turn);
                self.save().await
            }
            None => Ok(()),
        }
    }

    /// Saves the session now (the primary project and its context included), to be kept for
    /// the configured TTL.
    pub async fn save(&self) -> Result<(), Error> {
        let record = {
            let mut record = self.lock();
            record.updated_ms = relay_store::now_ms();
            if let Some(primary) = self.context.primary() {
                record.primary = Some(primary.name.clone());
                let entry = record
                    .projects
                    .entry(primary.name.clone())
                    .or_insert_with(|| ProjectContext {
                        project: primary.name.clone(),
                        ..Default::default()
                    });
                entry.active_repos = primary.related.clone();
            }
            record.clone()
        };
        self.store.save_session(record, self.ttl).await?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionRecord> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn calls_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, String)>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }
}
