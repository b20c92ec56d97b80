//! The response queue: at most one response is active at a time. Requests (an answer to the
//! conversation, or an out-of-band status line) wait their turn and go out as `response.create`
//! once the running response is done.

use std::collections::{HashSet, VecDeque};

use relay_core::voice::{TokenUsage, VoiceEvent};
use serde_json::{Value, json};

use super::shared::{ClientIds, Reporter};
use crate::protocol::{ClientEvent, Response, ResponseOptions};

/// Which kind of response we asked for.
#[derive(Debug, Clone, PartialEq)]
enum Request {
    /// Answer the conversation (after user input or tool outputs).
    Answer,
    /// Speak a short status line out of band (acknowledgement or progress).
    Status(String),
    /// Speak an application's announcement out of band (never dropped).
    Announce(String),
}

/// The response discipline of a session: what runs, what we asked for, what waits.
pub(super) struct ResponseQueue {
    reporter: Reporter,
    /// Status lines are spoken when the session outputs audio, else written.
    output_audio: bool,
    /// A response runs, or our `response.create` is on its way.
    active: bool,
    /// The running response, once `response.created` named it.
    active_response_id: Option<String>,
    /// The `event_id` of our outstanding `response.create`, to match an error to it.
    create_event_id: Option<String>,
    /// What our outstanding `response.create` asked for.
    inflight: Option<Request>,
    /// An answer is wanted; it goes out once no tool call is outstanding.
    want_answer: bool,
    /// A status line waiting to be spoken (only the newest is kept).
    pending_status: Option<String>,
    /// Announcements waiting to be spoken, in order (all are kept).
    announcements: VecDeque<String>,
    /// Ids of status responses: out of band, never part of the conversation.
    status_responses: HashSet<String>,
}

impl ResponseQueue {
    /// An empty queue; status lines use audio if `output_audio`.
    pub(super) fn new(reporter: Reporter, output_audio: bool) -> Self {
        ResponseQueue {
            reporter,
            output_audio,
            active: false,
            active_response_id: None,
            create_event_id: None,
            inflight: None,
            want_answer: false,
            pending_status: None,
            announcements: VecDeque::new(),
            status_responses: HashSet::new(),
        }
    }

    /// Asks for an answer to the conversation.
    pub(super) fn request_answer(&mut self) {
        self.want_answer = true;
    }

    /// Asks to speak `text` as a status line, replacing one still waiting.
    pub(super) fn request_status(&mut self, text: String) {
        self.pending_status = Some(text);
    }

    /// Asks to speak the application's announcement `text` after what is already waiting.
    pub(super) fn request_announcement(&mut self, text: String) {
        self.announcements.push_back(text);
    }

    /// Every tool call finished: answer with their outputs.
    pub(super) fn answer_after_tools(&mut self) {
        // A status line about finished work is stale now.
        self.pending_status = None;
        self.want_answer = true;
    }

    /// Whether a response runs or was requested.
    pub(super) fn is_active(&self) -> bool {
        self.active
    }

    /// The id of the running response, if one runs.
    pub(super) fn running_response(&self) -> Option<&str> {
        self.active_response_id.as_deref().filter(|_| self.active)
    }

    /// Whether `response_id` is an out-of-band status response.
    pub(super) fn is_status(&self, response_id: &str) -> bool {
        self.status_responses.contains(response_id)
    }

    /// The next `response.create` to send (JSON text), if no response is active and a request
    /// waits. An answer waits while `tools_idle` is false; it then goes before any status line.
    /// The caller must send it: the queue counts it as active from here on.
    pub(super) fn next_create(&mut self, tools_idle: bool, ids: &mut ClientIds) -> Option<String> {
        if self.active {
            return None;
        }
        let request = if self.want_answer && tools_idle {
            self.want_answer = false;
            Request::Answer
        } else if let Some(s) = self.announcements.pop_front() {
            Request::Announce(s)
        } else if let Some(s) = self.pending_status.take() {
            Request::Status(s)
        } else {
            return None;
        };
        let event_id = ids.next("relay_evt");
        let options = match &request {
            Request::Answer => None,
            Request::Status(text) | Request::Announce(text) => Some(ResponseOptions {
                instructions: Some(format!(
                    "Tell the user, in one short sentence and in the conversation's language: \"{text}\""
                )),
                output_modalities: Some(vec![
                    if self.output_audio { "audio" } else { "text" }.into(),
                ]),
                tool_choice: Some(Value::from("none")),
                conversation: Some("none".into()),
                metadata: Some(json!({"relay": "status"})),
            }),
        };
        self.active = true;
        self.create_event_id = Some(event_id.clone());
        self.inflight = Some(request);
        let mut text = ClientEvent::ResponseCreate { response: options }.to_json();
        // Tag the request so an error can be matched to it.
        if let Ok(mut v) = serde_json::from_str::<Value>(&text) {
            v["event_id"] = Value::from(event_id);
            text = v.to_string();
        }
        Some(text)
    }

    /// `response.created`: a response runs (ours or one the server started, e.g. from VAD).
    pub(super) fn created(&mut self, response: Response) {
        self.active = true;
        if response
            .metadata
            .as_ref()
            .is_some_and(|m| m["relay"] == "status")
        {
            self.status_responses.insert(response.id.clone());
        }
        self.active_response_id = Some(response.id);
    }

    /// `response.done`: the running response ended; reports its usage.
    pub(super) fn done(&mut self, response: Response) {
        self.active = false;
        self.active_response_id = None;
        self.create_event_id = None;
        self.inflight = None;
        let usage = response.usage.unwrap_or_default();
        let usage = TokenUsage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            total_tokens: usage.total_tokens,
        };
        self.reporter.metrics(|m| {
            m.usage.add(usage);
            m.responses += 1;
        });
        let out_of_band = self.status_responses.remove(&response.id);
        self.reporter.emit(VoiceEvent::ResponseDone {
            response_id: response.id,
            status: response.status,
            usage,
            out_of_band,
        });
    }

    /// The service refused our `response.create` because it already runs a response we did not
    /// ask for (e.g. from VAD): our request waits for that response's `response.done`. If that
    /// response already ended, the caller's next check sends it right away.
    pub(super) fn already_active(&mut self) {
        self.active = self.active_response_id.is_some();
        match self.inflight.take() {
            Some(Request::Answer) => self.want_answer = true,
            Some(Request::Status(s)) => {
                // A newer status line wins over the refused one.
                self.pending_status.get_or_insert(s);
            }
            Some(Request::Announce(s)) => self.announcements.push_front(s),
            None => {}
        }
        self.create_event_id = None;
        self.reporter.emit(VoiceEvent::Warning {
            message:
                "the service already had an active response; Relay will ask again when it finishes"
                    .into(),
        });
    }

    /// An error answered client event `event_id`: if that was our `response.create`, no
    /// response is coming.
    pub(super) fn rejected(&mut self, event_id: Option<&str>) {
        if event_id.is_some() && event_id == self.create_event_id.as_deref() {
            self.active = false;
            self.create_event_id = None;
            self.inflight = None;
        }
    }

    /// The connection dropped: nothing runs any more. A requested answer and an announcement
    /// being spoken are asked for again on the next connection; a status line would be stale by
    /// then.
    pub(super) fn connection_lost(&mut self) {
        self.active = false;
        self.active_response_id = None;
        self.create_event_id = None;
        match self.inflight.take() {
            Some(Request::Answer) => self.want_answer = true,
            Some(Request::Announce(s)) => self.announcements.push_front(s),
            _ => {}
        }
    }
}
