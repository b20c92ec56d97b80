//! The conversation as Relay remembers it, replayed into a new connection after a reconnect.

use crate::protocol::Item;

/// One remembered conversation entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// The user typed this (or it is a transcript known when recorded).
    User(String),
    /// A spoken user turn, placed when the service committed it; the transcript follows later.
    Spoken {
        /// The user item id.
        item_id: String,
        /// The transcript, once known.
        text: Option<String>,
    },
    /// The assistant said this (assistant item id, text).
    Assistant(String, String),
    /// The model called a tool.
    Call {
        /// Call id.
        call_id: String,
        /// Tool name.
        name: String,
        /// Arguments JSON text.
        arguments: String,
    },
    /// A tool's output.
    Output {
        /// Call id.
        call_id: String,
        /// Output text.
        output: String,
    },
}

/// The remembered conversation.
#[derive(Debug, Default)]
pub struct Transcript {
    entries: Vec<Entry>,
}

impl Transcript {
    /// The transcript of a saved conversation (tool turns become a call and its output).
    pub fn from_history(turns: &[relay_core::store::Turn]) -> Self {
        use relay_core::store::TurnRole;
        let mut t = Transcript::default();
        for (i, turn) in turns.iter().enumerate() {
            match (turn.role, &turn.tool) {
                (TurnRole::User, _) if !turn.text.is_empty() => {
                    t.push(Entry::User(turn.text.clone()));
                }
                (TurnRole::Assistant, _) if !turn.text.is_empty() => {
                    t.push(Entry::Assistant(format!("resumed-{i}"), turn.text.clone()));
                }
                (TurnRole::Tool, Some(call)) => {
                    let call_id = format!("resumed-call-{i}");
                    t.push(Entry::Call {
                        call_id: call_id.clone(),
                        name: call.name.clone(),
                        arguments: call.arguments.clone(),
                    });
                    t.push(Entry::Output {
                        call_id,
                        output: call.output.clone(),
                    });
                }
                _ => {}
            }
        }
        t
    }

    /// Appends an entry.
    pub fn push(&mut self, e: Entry) {
        self.entries.push(e);
    }

    /// Fills in the transcript of spoken turn `item_id` (appends a turn if it was never placed).
    pub fn heard(&mut self, item_id: &str, transcript: String) {
        for e in self.entries.iter_mut() {
            if let Entry::Spoken { item_id: id, text } = e
                && id == item_id
            {
                *text = Some(transcript);
                return;
            }
        }
        self.entries.push(Entry::Spoken {
            item_id: item_id.to_string(),
            text: Some(transcript),
        });
    }

    /// Replaces the text of assistant item `item_id` (after a truncation); removes it if empty.
    pub fn cut_assistant(&mut self, item_id: &str, text: String) {
        if let Some(pos) = self
            .entries
            .iter()
            .position(|e| matches!(e, Entry::Assistant(id, _) if id == item_id))
        {
            if text.is_empty() {
                self.entries.remove(pos);
            } else {
                self.entries[pos] = Entry::Assistant(item_id.to_string(), text);
            }
        }
    }

    /// The text of assistant item `item_id`.
    pub fn assistant_text(&self, item_id: &str) -> Option<&str> {
        self.entries.iter().find_map(|e| match e {
            Entry::Assistant(id, t) if id == item_id => Some(t.as_str()),
            _ => None,
        })
    }

    /// Whether the last entry still waits for an answer from the model.
    pub fn awaits_answer(&self) -> bool {
        matches!(
            self.entries.last(),
            Some(Entry::User(_)) | Some(Entry::Output { .. })
        )
    }

    /// Calls without an output yet.
    pub fn unanswered_calls(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Call { call_id, .. } => Some(call_id.clone()),
                _ => None,
            })
            .filter(|id| {
                !self
                    .entries
                    .iter()
                    .any(|e| matches!(e, Entry::Output { call_id, .. } if call_id == id))
            })
            .collect()
    }

    /// The items to create in a fresh session, in order: assistant turns as `output_text`.
    pub fn items(&self) -> Vec<Item> {
        self.entries
            .iter()
            .filter_map(|e| {
                Some(match e {
                    Entry::User(t) => Item::user_text(t.clone()),
                    // A spoken turn whose transcript never arrived cannot be replayed as text.
                    Entry::Spoken { text, .. } => Item::user_text(text.clone()?),
                    Entry::Assistant(_, t) => Item::assistant_text(t.clone()),
                    Entry::Call {
                        call_id,
                        name,
                        arguments,
                    } => Item::FunctionCall {
                        id: None,
                        call_id: call_id.clone(),
                        name: name.clone(),
                        arguments: arguments.clone(),
                        status: None,
                    },
                    Entry::Output { call_id, output } => {
                        Item::function_output(call_id.clone(), output.clone())
                    }
                })
            })
            .collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was said yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_in_order_with_assistant_turns_as_output_text() {
        let mut t = Transcript::default();
        t.push(Entry::User("sync please".into()));
        t.push(Entry::Call {
            call_id: "c1".into(),
            name: "sync_repos".into(),
            arguments: "{}".into(),
        });
        assert_eq!(t.unanswered_calls(), vec!["c1".to_string()]);
        assert!(!t.awaits_answer());
        t.push(Entry::Output {
            call_id: "c1".into(),
            output: "{\"ok\":true}".into(),
        });
        assert!(t.awaits_answer() && t.unanswered_calls().is_empty());
        t.push(Entry::Assistant("a1".into(), "All synced and green".into()));
        t.cut_assistant("a1", "All synced".into());
        let items = t.items();
        assert_eq!(items.len(), 4);
        assert_eq!(items[3], Item::assistant_text("All synced"));
        assert!(matches!(&items[1], Item::FunctionCall { call_id, .. } if call_id == "c1"));
        t.cut_assistant("a1", String::new());
        assert_eq!(t.len(), 3);
        // A spoken turn keeps its place even when its transcript arrives after the answer began.
        t.push(Entry::Spoken {
            item_id: "u2".into(),
            text: None,
        });
        t.push(Entry::Assistant("a2".into(), "Sure".into()));
        assert_eq!(t.items().len(), 4, "no transcript yet: not replayable");
        t.heard("u2", "and the tests?".into());
        let items = t.items();
        assert_eq!(items[3], Item::user_text("and the tests?"));
        assert_eq!(items[4], Item::assistant_text("Sure"));
    }
}
