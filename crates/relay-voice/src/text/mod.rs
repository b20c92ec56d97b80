//! The text transport: the offline default. Typed utterances in, text out, same tool registry.

mod intent;
mod render;
mod resolve;

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use relay_core::tools::{SessionContext, ToolOutput, ToolRegistry, ToolUpdate};
use relay_core::voice::{
    SessionCommand, TokenUsage, VoiceError, VoiceEvent, VoiceSession, VoiceSessionConfig,
    VoiceSessionParts, VoiceTransport,
};

pub use intent::{Intent, parse};

/// A [`VoiceTransport`] that needs no network: each utterance is understood by simple rules (or
/// `/tool {json}`), the tool runs through the registry, and the reply is text.
#[derive(Debug, Clone)]
pub struct TextTransport {
    registry: Arc<ToolRegistry>,
    context: Arc<SessionContext>,
}

impl TextTransport {
    /// A transport over `registry`.
    pub fn new(registry: Arc<ToolRegistry>) -> Self {
        TextTransport {
            registry,
            context: SessionContext::new(),
        }
    }

    /// Shares `context` with the tools.
    pub fn with_context(mut self, context: Arc<SessionContext>) -> Self {
        self.context = context;
        self
    }
}

#[async_trait]
impl VoiceTransport for TextTransport {
    fn name(&self) -> &str {
        "text"
    }

    async fn start(&self, _config: VoiceSessionConfig) -> Result<VoiceSession, VoiceError> {
        let (session, parts) = VoiceSession::channel();
        let _ = parts.events.send(VoiceEvent::SessionStarted {
            session_id: format!("text-{}", std::process::id()),
            model: "rules".into(),
        });
        tokio::spawn(run(parts, self.registry.clone(), self.context.clone()));
        Ok(session)
    }
}

async fn run(
    mut parts: VoiceSessionParts,
    registry: Arc<ToolRegistry>,
    context: Arc<SessionContext>,
) {
    let emit = |e: VoiceEvent| {
        let _ = parts.events.send(e);
    };
    let mut turn = 0u64;
    let mut announced = 0u64;
    // Input that arrived while a tool ran, handled in order afterwards.
    let mut queued: VecDeque<SessionCommand> = VecDeque::new();
    loop {
        let cmd = match queued.pop_front() {
            Some(cmd) => cmd,
            None => match parts.commands.recv().await {
                Some(cmd) => cmd,
                None => break,
            },
        };
        match cmd {
            SessionCommand::Close => break,
            SessionCommand::Audio(_) | SessionCommand::CommitAudio => emit(VoiceEvent::Error {
                code: "audio_not_supported".into(),
                message: "the text transport takes typed utterances only; use the realtime transport for audio".into(),
            }),
            SessionCommand::Playback { .. }
            | SessionCommand::Interrupt
            | SessionCommand::TurnDetection(_) => {}
            SessionCommand::Announce(text) => {
                // Out of band, like the Realtime transport's status lines.
                announced += 1;
                emit(VoiceEvent::AssistantText {
                    item_id: format!("announcement_{announced}"),
                    text,
                });
                emit(VoiceEvent::ResponseDone {
                    response_id: format!("announcement_{announced}"),
                    status: "completed".into(),
                    usage: TokenUsage::default(),
                    out_of_band: true,
                });
            }
            SessionCommand::Text(text) => {
                turn += 1;
                emit(VoiceEvent::UserTranscript {
                    item_id: format!("user_{turn}"),
                    text: text.clone(),
                });
                let call = match parse(&text) {
                    Intent::Help => Err(help(&registry)),
                    Intent::Unknown => Err(format!("I did not understand that. {}", help(&registry))),
                    Intent::Call { name, arguments } => Ok((name, arguments)),
                    Intent::RunIn { command, target } => {
                        Ok(resolve::run_in(&registry, &context, &command, &target).await)
                    }
                };
                let reply = match call {
                    Err(reply) => reply,
                    Ok((name, arguments)) => {
                        let call_id = format!("call_{turn}");
                        emit(VoiceEvent::ToolCallStarted {
                            call_id: call_id.clone(),
                            name: name.clone(),
                            arguments: arguments.clone(),
                        });
                        // Like a model's response that asked for a tool: it ends before the tool runs.
                        emit(VoiceEvent::ResponseDone {
                            response_id: format!("turn_{turn}_call"),
                            status: "completed".into(),
                            usage: TokenUsage::default(),
                            out_of_band: false,
                        });
                        let mut updates = registry.clone().invoke_with_updates(
                            &name,
                            &arguments,
                            context.clone(),
                        );
                        let output = loop {
                            tokio::select! {
                                update = updates.next() => match update {
                                    Some(ToolUpdate::Progress(progress)) => emit(VoiceEvent::ToolProgress {
                                        call_id: call_id.clone(),
                                        name: name.clone(),
                                        progress,
                                    }),
                                    Some(ToolUpdate::Finished(output)) => break output,
                                    // The stream always ends with Finished; this is never read.
                                    None => break ToolOutput::error("the tool call ended without an output"),
                                },
                                // Closing must not wait for a long tool: dropping the call
                                // cancels it (an agent run's processes are killed).
                                cmd = parts.commands.recv() => match cmd {
                                    Some(SessionCommand::Close) | None => {
                                        emit(VoiceEvent::ToolCallFinished {
                                            call_id,
                                            name: name.clone(),
                                            ok: false,
                                            output: ToolOutput::error("cancelled: the session was closed").to_json_string(),
                                        });
                                        emit(closed());
                                        return;
                                    }
                                    Some(other) => queued.push_back(other),
                                },
                            }
                        };
                        emit(VoiceEvent::ToolCallFinished {
                            call_id,
                            name: name.clone(),
                            ok: output.ok,
                            output: output.to_json_string(),
                        });
                        if let Ok(mut m) = parts.metrics.lock() {
                            m.tool_calls += 1;
                        }
                        render::reply(&name, &output)
                    }
                };
                let item_id = format!("assistant_{turn}");
                emit(VoiceEvent::AssistantText { item_id, text: reply });
                if let Ok(mut m) = parts.metrics.lock() {
                    m.responses += 1;
                }
                emit(VoiceEvent::ResponseDone {
                    response_id: format!("turn_{turn}"),
                    status: "completed".into(),
                    usage: TokenUsage::default(),
                    out_of_band: false,
                });
            }
        }
    }
    emit(closed());
}

fn closed() -> VoiceEvent {
    VoiceEvent::Closed {
        reason: "closed by the application".into(),
        by_application: true,
    }
}

fn help(registry: &ToolRegistry) -> String {
    let names: Vec<String> = registry.specs().into_iter().map(|s| s.name).collect();
    format!(
        "Try \"status\", \"switch to <repo>\", \"impact of <repo>\", \"sync\", \"create branch <name>\", \"commit: <message>\", \"run `<command>` in <repos or environment>\", \"bring up environment <name>\", \"snapshot <env> as <snapshot>\", \"roll <env> back to <snapshot>\", \"tear down <env>\", \"list environments\", or call a tool directly with /<tool> {{json}}. Tools: {}.",
        names.join(", ")
    )
}
