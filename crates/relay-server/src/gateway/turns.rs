//! Whether a conversation is in the middle of a turn, for a graceful shutdown: the gateway
//! stops taking new turns, lets the one in progress finish (the reply streaming, the tool calls
//! running, the answer after them) and ends the conversation once it is quiet; what is still
//! running when the grace period ends is reported as handed back.

use std::collections::BTreeMap;

use relay_core::voice::VoiceEvent;
use serde_json::{Value, json};

/// The turn in progress, as the voice events tell it.
#[derive(Debug, Default)]
pub(crate) struct Turns {
    /// A user turn ended and its reply is not finished yet.
    open: bool,
    /// Tool calls running, by call id (their names, for the hand-back report).
    running: BTreeMap<String, String>,
    /// Tool calls the current response asked for: after them, an answer follows.
    calls_in_response: usize,
}

impl Turns {
    /// The user's turn ended (a `commit`, a `text`, or the service's end of speech): a reply
    /// follows.
    pub(crate) fn user_turn_ended(&mut self) {
        self.open = true;
    }

    /// Follows the turn through one voice event.
    pub(crate) fn observe(&mut self, event: &VoiceEvent) {
        match event {
            VoiceEvent::UserSpeechStopped { .. } => self.open = true,
            VoiceEvent::ToolCallStarted { call_id, name, .. } => {
                self.open = true;
                self.calls_in_response += 1;
                self.running.insert(call_id.clone(), name.clone());
            }
            VoiceEvent::ToolCallFinished { call_id, .. } => {
                self.running.remove(call_id);
            }
            // A status line (acknowledgement, progress) is not the reply.
            VoiceEvent::ResponseDone {
                out_of_band: false, ..
            } => {
                // A response that called tools is followed by the answer to their outputs.
                if self.calls_in_response == 0 && self.running.is_empty() {
                    self.open = false;
                }
                self.calls_in_response = 0;
            }
            _ => {}
        }
    }

    /// Nothing in progress: no reply owed, no tool running.
    pub(crate) fn idle(&self) -> bool {
        !self.open && self.running.is_empty()
    }

    /// What was still running, for the `closed` frame's `handed_back`: each tool call (its
    /// run was cancelled), or the reply being made.
    pub(crate) fn handed_back(&self) -> Vec<Value> {
        let mut back: Vec<Value> = self
            .running
            .iter()
            .map(|(call_id, name)| {
                json!({"kind": "tool_call", "call_id": call_id, "name": name, "outcome": "cancelled"})
            })
            .collect();
        if back.is_empty() && self.open {
            back.push(json!({"kind": "reply", "outcome": "cancelled"}));
        }
        back
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay_core::voice::TokenUsage;

    fn done(out_of_band: bool) -> VoiceEvent {
        VoiceEvent::ResponseDone {
            response_id: "r".into(),
            status: "completed".into(),
            usage: TokenUsage::default(),
            out_of_band,
        }
    }

    #[test]
    fn a_turn_with_a_tool_stays_open_until_the_answer_after_it() {
        let mut turns = Turns::default();
        assert!(turns.idle());
        turns.user_turn_ended();
        assert!(!turns.idle());
        turns.observe(&VoiceEvent::ToolCallStarted {
            call_id: "c1".into(),
            name: "slow_sync".into(),
            arguments: "{}".into(),
        });
        // The response that asked for the tool ends; the tool runs; a status line is spoken.
        turns.observe(&done(false));
        turns.observe(&done(true));
        assert!(!turns.idle());
        assert_eq!(
            turns.handed_back(),
            vec![
                json!({"kind": "tool_call", "call_id": "c1", "name": "slow_sync", "outcome": "cancelled"})
            ]
        );
        turns.observe(&VoiceEvent::ToolCallFinished {
            call_id: "c1".into(),
            name: "slow_sync".into(),
            ok: true,
            output: "{}".into(),
        });
        // The answer to the tool's output is still owed.
        assert!(!turns.idle());
        assert_eq!(
            turns.handed_back(),
            vec![json!({"kind": "reply", "outcome": "cancelled"})]
        );
        turns.observe(&done(false));
        assert!(turns.idle());
        assert!(turns.handed_back().is_empty());
    }

    #[test]
    fn a_spoken_turn_opens_at_the_end_of_speech() {
        let mut turns = Turns::default();
        turns.observe(&VoiceEvent::UserSpeechStopped { audio_end_ms: 900 });
        assert!(!turns.idle());
        turns.observe(&done(false));
        assert!(turns.idle());
    }
}
