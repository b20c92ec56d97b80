use super::VoiceEvent;

/// Tells when the assistant has finished replying to the last input: a reply may take several
/// responses (tool calls, then the answer) with status lines in between.
///
/// ```
/// use relay_core::voice::{ReplyTracker, TokenUsage, VoiceEvent};
/// let mut t = ReplyTracker::default();
/// let done = |oob| VoiceEvent::ResponseDone { response_id: "r".into(), status: "completed".into(), usage: TokenUsage::default(), out_of_band: oob };
/// assert!(!t.observe(&VoiceEvent::ToolCallStarted { call_id: "c".into(), name: "sync".into(), arguments: "{}".into() }));
/// assert!(!t.observe(&done(false))); // the response that asked for the tool
/// assert!(!t.observe(&done(true)));  // a spoken status line
/// assert!(!t.observe(&VoiceEvent::ToolCallFinished { call_id: "c".into(), name: "sync".into(), ok: true, output: "{}".into() }));
/// assert!(t.observe(&done(false)));  // the answer
/// ```
#[derive(Debug, Default, Clone)]
pub struct ReplyTracker {
    outstanding_tools: u32,
    calls_in_response: u32,
}

impl ReplyTracker {
    /// Feeds one event; returns `true` when it completes the reply.
    pub fn observe(&mut self, event: &VoiceEvent) -> bool {
        match event {
            VoiceEvent::ToolCallStarted { .. } => {
                self.outstanding_tools += 1;
                self.calls_in_response += 1;
                false
            }
            VoiceEvent::ToolCallFinished { .. } => {
                self.outstanding_tools = self.outstanding_tools.saturating_sub(1);
                false
            }
            VoiceEvent::ResponseDone {
                out_of_band: false, ..
            } => {
                let asked_for_tools = self.calls_in_response > 0;
                self.calls_in_response = 0;
                !asked_for_tools && self.outstanding_tools == 0
            }
            VoiceEvent::Closed { .. } => true,
            _ => false,
        }
    }
}
