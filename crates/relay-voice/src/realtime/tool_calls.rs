//! The model's tool calls: starting each on its own task (see `tool_runner`), following their
//! progress and speaking it for long-running tools, returning their outputs to the model, and
//! cancelling whatever still runs when the session ends.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use relay_core::event::Progress;
use relay_core::tools::{SessionContext, ToolRegistry};
use relay_core::voice::{VoiceEvent, VoiceSessionConfig};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::connection::Connection;
use super::replay::{Entry, Transcript};
use super::shared::Reporter;
use super::tool_runner::{self, ToolMsg};
use crate::protocol::{ClientEvent, Item};

/// What a tool-call event asks of the response queue; the driver passes it on.
#[derive(Debug, PartialEq)]
#[must_use]
pub(super) enum ResponseNeed {
    /// Nothing changed for the queue.
    Nothing,
    /// Check the queue: a waiting request may go out now.
    Recheck,
    /// Speak this status line (acknowledgement or progress), then check the queue.
    Status(String),
    /// Every call finished: answer the conversation with their outputs, then check the queue.
    Answer,
}

/// A long-running tool whose progress is spoken.
#[derive(Debug)]
struct LongTool {
    name: String,
    /// The tool's latest progress report, spoken at the next interval.
    last_message: Option<String>,
    next_progress_at: Instant,
}

/// The session's tool calls.
pub(super) struct ToolCalls {
    registry: Arc<ToolRegistry>,
    context: Arc<SessionContext>,
    reporter: Reporter,
    /// How often a long tool's progress is spoken.
    progress_interval: Duration,
    /// Say "on it" when a long tool starts.
    acknowledge_long_tools: bool,
    /// Cloned into each running call, which reports through it.
    tool_tx: mpsc::UnboundedSender<ToolMsg>,
    tool_rx: mpsc::UnboundedReceiver<ToolMsg>,
    /// Running calls, aborted when the session ends.
    tasks: Vec<AbortHandle>,
    /// Calls without an output yet; the model is answered once there are none.
    outstanding: HashSet<String>,
    /// Outstanding calls of long-running tools, by call id.
    long_tools: HashMap<String, LongTool>,
    /// Tool names by call id, from `response.output_item.added`, for argument events without one.
    call_names: HashMap<String, String>,
}

impl ToolCalls {
    /// No calls yet.
    pub(super) fn new(
        registry: Arc<ToolRegistry>,
        context: Arc<SessionContext>,
        reporter: Reporter,
        session_cfg: &VoiceSessionConfig,
    ) -> Self {
        let (tool_tx, tool_rx) = mpsc::unbounded_channel();
        ToolCalls {
            registry,
            context,
            reporter,
            progress_interval: Duration::from_millis(session_cfg.progress_interval_ms.max(50)),
            acknowledge_long_tools: session_cfg.acknowledge_long_tools,
            tool_tx,
            tool_rx,
            tasks: Vec::new(),
            outstanding: HashSet::new(),
            long_tools: HashMap::new(),
            call_names: HashMap::new(),
        }
    }

    /// Whether no call waits for its output.
    pub(super) fn idle(&self) -> bool {
        self.outstanding.is_empty()
    }

    /// The next message from a running call. Cancel-safe.
    pub(super) async fn recv(&mut self) -> Option<ToolMsg> {
        self.tool_rx.recv().await
    }

    /// When the next long tool's progress is due.
    pub(super) fn next_progress_at(&self) -> Option<Instant> {
        self.long_tools.values().map(|t| t.next_progress_at).min()
    }

    /// The model announced call `call_id` of tool `name`.
    pub(super) fn announced(&mut self, call_id: String, name: String) {
        self.call_names.insert(call_id, name);
    }

    /// The model finished the arguments of `call_id`: records the call and runs it. `name` falls
    /// back to the announced one.
    pub(super) fn start(
        &mut self,
        call_id: String,
        name: Option<String>,
        arguments: String,
        transcript: &mut Transcript,
    ) -> ResponseNeed {
        let name = name
            .or_else(|| self.call_names.get(&call_id).cloned())
            .unwrap_or_default();
        transcript.push(Entry::Call {
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: arguments.clone(),
        });
        self.reporter.emit(VoiceEvent::ToolCallStarted {
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: arguments.clone(),
        });
        self.outstanding.insert(call_id.clone());
        let mut need = ResponseNeed::Recheck;
        let long = self.registry.spec(&name).is_some_and(|s| s.long_running);
        if long {
            self.long_tools.insert(
                call_id.clone(),
                LongTool {
                    name: name.clone(),
                    last_message: None,
                    next_progress_at: Instant::now() + self.progress_interval,
                },
            );
            if self.acknowledge_long_tools {
                let message = format!("On it: {}. I'll keep you posted.", name.replace('_', " "));
                self.reporter.emit(VoiceEvent::ToolProgress {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    progress: Progress::message(message.clone()),
                });
                need = ResponseNeed::Status(message);
            }
        }
        let handle = tool_runner::spawn(
            self.registry.clone(),
            self.context.clone(),
            call_id,
            name,
            arguments,
            self.tool_tx.clone(),
        );
        self.tasks.retain(|t| !t.is_finished());
        self.tasks.push(handle);
        need
    }

    /// Handles a message from a running call: progress is reported (and kept for the next spoken
    /// update); an output is recorded and sent to the model.
    pub(super) async fn handle(
        &mut self,
        msg: ToolMsg,
        connection: &mut Connection,
        transcript: &mut Transcript,
    ) -> ResponseNeed {
        match msg {
            ToolMsg::Progress { call_id, progress } => {
                let name = self.long_tools.get(&call_id).map(|t| t.name.clone());
                if let Some(tool) = self.long_tools.get_mut(&call_id) {
                    tool.last_message = Some(progress.message.clone());
                }
                self.reporter.emit(VoiceEvent::ToolProgress {
                    call_id,
                    name: name.unwrap_or_default(),
                    progress,
                });
                ResponseNeed::Nothing
            }
            ToolMsg::Done {
                call_id,
                name,
                output,
            } => {
                self.long_tools.remove(&call_id);
                self.outstanding.remove(&call_id);
                let text = output.to_json_string();
                self.reporter.metrics(|m| m.tool_calls += 1);
                self.reporter.emit(VoiceEvent::ToolCallFinished {
                    call_id: call_id.clone(),
                    name,
                    ok: output.ok,
                    output: text.clone(),
                });
                transcript.push(Entry::Output {
                    call_id: call_id.clone(),
                    output: text.clone(),
                });
                // While disconnected the output waits in the transcript and is replayed.
                connection
                    .send(ClientEvent::ConversationItemCreate {
                        previous_item_id: None,
                        item: Item::function_output(call_id, text),
                    })
                    .await;
                if self.outstanding.is_empty() {
                    ResponseNeed::Answer
                } else {
                    ResponseNeed::Recheck
                }
            }
        }
    }

    /// A progress interval passed: the due long tool's latest progress (or a generic line) is to
    /// be spoken, and its timer restarts.
    pub(super) fn progress_due(&mut self) -> ResponseNeed {
        let now = Instant::now();
        let mut message = None;
        for (call_id, tool) in self.long_tools.iter_mut() {
            if tool.next_progress_at <= now {
                tool.next_progress_at = now + self.progress_interval;
                let text = tool.last_message.clone().unwrap_or_else(|| {
                    format!("Still working on {}.", tool.name.replace('_', " "))
                });
                message = Some((call_id.clone(), tool.name.clone(), text));
            }
        }
        let Some((call_id, name, text)) = message else {
            return ResponseNeed::Nothing;
        };
        self.reporter.emit(VoiceEvent::ToolProgress {
            call_id,
            name,
            progress: Progress::message(text.clone()),
        });
        ResponseNeed::Status(text)
    }

    /// Aborts every running call (the session ends).
    pub(super) fn cancel_all(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}
