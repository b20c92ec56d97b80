//! Splits each turn's latency with the Realtime peer's own timestamps (same process, same
//! clock): the server's work on the way in (up), the peer's, and the server's on the way out
//! (down).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use relay_testkit::realtime::{ConnectionLog, FakeRealtime};
use serde_json::Value;

use crate::conversation::ConversationRecord;

/// Samples of each part of a turn, one per matched turn (the `frame_*` ones per audio frame).
#[derive(Debug, Clone, Default)]
pub struct Shares {
    /// End of the user's turn at the client → first reply audio at the client.
    pub latency: Vec<Duration>,
    /// The client sending the frame that ended the turn → the peer receiving the event it
    /// caused (`input_audio_buffer.append` for speech, `response.create` for text).
    pub up: Vec<Duration>,
    /// The peer's own time: that event → its first reply audio sent.
    pub peer: Vec<Duration>,
    /// The peer sending the first reply audio → the client receiving it.
    pub down: Vec<Duration>,
    /// The server's own share of the turn: up + down.
    pub own: Vec<Duration>,
    /// Every audio frame, client → peer (binary frame sent → `append` received).
    pub frame_up: Vec<Duration>,
    /// Every reply audio frame, peer → client (delta sent → binary frame received).
    pub frame_down: Vec<Duration>,
}

/// The shares of one run, and what could not be matched.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The samples.
    pub shares: Shares,
    /// Conversations whose Realtime connection was found.
    pub matched_conversations: usize,
    /// Turns that could not be split (no response, no matching event), with why.
    pub unmatched: Vec<String>,
}

/// Matches each conversation to its Realtime connection (by the marker its text turns carry)
/// and splits its turns.
pub fn analyse(records: &[ConversationRecord], peer: &FakeRealtime) -> Analysis {
    let mut logs: HashMap<usize, ConnectionLog> = HashMap::new();
    for n in 0..peer.connection_count() {
        let log = peer.connection(n);
        if let Some(id) = log.client_events.iter().find_map(conversation_id) {
            logs.insert(id, log);
        }
    }
    let mut analysis = Analysis::default();
    for record in records {
        let Some(log) = logs.get(&record.id) else {
            if !record.turns.is_empty() {
                analysis.unmatched.push(format!(
                    "c{}: no Realtime connection carries its marker",
                    record.id
                ));
            }
            continue;
        };
        analysis.matched_conversations += 1;
        split(record, log, &mut analysis);
    }
    analysis
}

/// The conversation number in a `conversation.item.create` carrying `[load cN]`.
fn conversation_id(event: &Value) -> Option<usize> {
    if event["type"] != "conversation.item.create" {
        return None;
    }
    let text = event["item"]["content"][0]["text"].as_str()?;
    let rest = text.strip_prefix("[load c")?;
    rest[..rest.find(']')?].parse().ok()
}

fn split(record: &ConversationRecord, log: &ConnectionLog, analysis: &mut Analysis) {
    let appends: Vec<usize> = log
        .client_events
        .iter()
        .enumerate()
        .filter(|(_, e)| e["type"] == "input_audio_buffer.append")
        .map(|(i, _)| i)
        .collect();
    let frames_one_to_one = appends.len() == record.frames_sent.len();
    if frames_one_to_one {
        for (k, &i) in appends.iter().enumerate() {
            let got = log.client_event_times[i];
            analysis
                .shares
                .frame_up
                .push(got.saturating_duration_since(record.frames_sent[k]));
        }
    } else {
        analysis.unmatched.push(format!(
            "c{}: {} audio frames sent but the peer got {} appends (per-frame up skipped)",
            record.id,
            record.frames_sent.len(),
            appends.len()
        ));
    }
    let replies_one_to_one = log.audio_sent_times.len() == record.frames_received.len();
    if replies_one_to_one {
        for (sent, got) in log.audio_sent_times.iter().zip(&record.frames_received) {
            analysis
                .shares
                .frame_down
                .push(got.saturating_duration_since(*sent));
        }
    } else {
        analysis.unmatched.push(format!(
            "c{}: the peer sent {} audio deltas but {} audio frames arrived (per-frame down skipped)",
            record.id,
            log.audio_sent_times.len(),
            record.frames_received.len()
        ));
    }
    let created: Vec<Instant> = log
        .sent_times
        .iter()
        .filter(|(kind, _)| kind == "response.created")
        .map(|(_, at)| *at)
        .collect();
    for (n, turn) in record.turns.iter().enumerate() {
        let whose = format!("c{} turn {n}", record.id);
        let Some(first_audio) = turn.first_audio else {
            analysis.unmatched.push(format!("{whose}: no reply audio"));
            continue;
        };
        let Some(&response) = created.iter().find(|at| **at >= turn.started) else {
            analysis
                .unmatched
                .push(format!("{whose}: the peer started no response"));
            continue;
        };
        // The event that made the peer respond: the last one it received before responding.
        let Some(cause) = log
            .client_event_times
            .iter()
            .rposition(|at| *at <= response)
        else {
            analysis.unmatched.push(format!("{whose}: no client event"));
            continue;
        };
        let received = log.client_event_times[cause];
        let sent = if log.client_events[cause]["type"] == "input_audio_buffer.append" {
            let ordinal = appends.iter().position(|&i| i == cause).expect("an append");
            frames_one_to_one.then(|| record.frames_sent[ordinal])
        } else {
            turn.text_sent
        };
        let Some(sent) = sent else {
            analysis.unmatched.push(format!(
                "{whose}: the response followed `{}`, not matched to a client frame",
                log.client_events[cause]["type"]
            ));
            continue;
        };
        let Some(j) = log.audio_sent_times.iter().position(|at| *at >= response) else {
            analysis
                .unmatched
                .push(format!("{whose}: the peer sent no audio"));
            continue;
        };
        let audio_sent = log.audio_sent_times[j];
        let audio_got = if replies_one_to_one {
            record.frames_received[j]
        } else {
            first_audio
        };
        let up = received.saturating_duration_since(sent);
        let down = audio_got.saturating_duration_since(audio_sent);
        let shares = &mut analysis.shares;
        shares
            .latency
            .push(audio_got.saturating_duration_since(sent));
        shares.up.push(up);
        shares
            .peer
            .push(audio_sent.saturating_duration_since(received));
        shares.down.push(down);
        shares.own.push(up + down);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::conversation_id;

    #[test]
    fn finds_the_conversation_from_its_marker() {
        let create = |text: &str| {
            json!({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": text}]}})
        };
        assert_eq!(conversation_id(&create("[load c17] t0: hi")), Some(17));
        assert_eq!(conversation_id(&create("[warmup] hi")), None);
        assert_eq!(conversation_id(&json!({"type": "response.create"})), None);
    }
}
