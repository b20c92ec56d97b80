//! Getting a configured session on a new socket: [`configure`] opens the socket, waits for
//! `session.created`, sends the session configuration and waits for `session.updated`;
//! [`redial`] does that with bounded backoff on its own task, so the session keeps serving its
//! application (commands, `close()`, finishing tools) while the service is unreachable.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use relay_core::tools::ToolRegistry;
use relay_core::voice::{VoiceError, VoiceEvent, VoiceSessionConfig};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};
use tokio_tungstenite::tungstenite::Message;

use super::RealtimeConfig;
use super::connect::{Socket, open};
use super::shared::Reporter;
use crate::protocol::{ClientEvent, ParsedServerEvent, ServerEvent, Session};

/// A socket whose session is configured.
pub(super) struct Established {
    pub(super) socket: Socket,
    /// The service's id of the session.
    pub(super) session_id: String,
    /// Configuration warnings (beta-era fields, preview models).
    pub(super) warnings: Vec<String>,
}

/// What a redial ended with.
pub(super) enum Redialed {
    /// A configured socket, after `attempts` attempts.
    Connected {
        established: Box<Established>,
        attempts: u32,
    },
    /// Every attempt failed: the reason to close the session with.
    Failed(String),
}

/// Opens a socket and configures the session on it.
pub(super) async fn configure(
    cfg: &RealtimeConfig,
    session_cfg: &VoiceSessionConfig,
    registry: &ToolRegistry,
) -> Result<Established, VoiceError> {
    let mut socket = open(cfg).await?;
    let mut warnings = cfg.warnings();
    let (session, session_warnings) =
        Session::from_config(session_cfg, &cfg.model, &registry.specs());
    warnings.extend(session_warnings);
    let update = ClientEvent::SessionUpdate {
        event_id: Some("relay_session_update".into()),
        session: Box::new(session),
    };
    let deadline = Instant::now() + cfg.connect_timeout;
    let mut sent_update = false;
    let mut session_id = String::new();
    let setup_failed = |reason: &str| VoiceError::Connect {
        url: cfg.url.clone(),
        reason: reason.to_string(),
    };
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next()).await;
        let text = match frame {
            Err(_) => {
                return Err(setup_failed(
                    "the server did not confirm the session in time",
                ));
            }
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            Ok(None) | Ok(Some(Err(_))) => {
                return Err(setup_failed("the connection closed during session setup"));
            }
        };
        match ServerEvent::parse(text.as_str()) {
            Ok(ParsedServerEvent::Known(ServerEvent::SessionCreated { session })) => {
                session_id = session.id.clone().unwrap_or_default();
                if !sent_update {
                    socket
                        .send(Message::text(update.to_json()))
                        .await
                        .map_err(|e| setup_failed(&e.to_string()))?;
                    sent_update = true;
                }
            }
            Ok(ParsedServerEvent::Known(ServerEvent::SessionUpdated { .. })) => break,
            Ok(ParsedServerEvent::Known(ServerEvent::Error { error })) => {
                return Err(VoiceError::Service {
                    code: error.code.unwrap_or(error.kind),
                    message: format!("session configuration rejected: {}", error.message),
                });
            }
            _ => {}
        }
    }
    Ok(Established {
        socket,
        session_id,
        warnings,
    })
}

/// Everything a redial needs, owned, so it runs on its own task.
pub(super) struct Dialer {
    pub(super) cfg: RealtimeConfig,
    pub(super) session_cfg: VoiceSessionConfig,
    pub(super) registry: Arc<ToolRegistry>,
    pub(super) reporter: Reporter,
}

impl Dialer {
    /// Starts redialing on a task: attempts `first_attempt..=max_attempts` of the reconnect
    /// policy, each announced with a `reconnecting` event and preceded by its backoff. Aborting
    /// the handle stops it (nothing else is left behind).
    pub(super) fn redial(self, reason: String, first_attempt: u32) -> JoinHandle<Redialed> {
        tokio::spawn(async move {
            let policy = self.cfg.reconnect.clone();
            let mut last_error = if first_attempt > 1 {
                "the connection was lost again while the conversation was replayed".to_string()
            } else {
                "reconnecting is disabled".to_string()
            };
            let mut attempt = first_attempt.max(1);
            while attempt <= policy.max_attempts {
                let delay = policy.backoff(attempt);
                self.reporter.emit(VoiceEvent::Reconnecting {
                    attempt,
                    delay_ms: delay.as_millis() as u64,
                    reason: reason.clone(),
                });
                sleep(delay).await;
                match configure(&self.cfg, &self.session_cfg, &self.registry).await {
                    Ok(established) => {
                        return Redialed::Connected {
                            established: Box::new(established),
                            attempts: attempt,
                        };
                    }
                    Err(e) => {
                        last_error = e.to_string();
                        // A wrong key stays wrong: stop trying.
                        if matches!(e, VoiceError::Unauthorized { .. }) {
                            break;
                        }
                    }
                }
                attempt += 1;
            }
            Redialed::Failed(format!(
                "connection lost ({reason}) and reconnecting failed after {} attempt(s): {last_error}",
                policy.max_attempts
            ))
        })
    }
}
