//! The audit log's hash chain: each record carries the SHA-256 of the one before, so that a
//! changed, removed or reordered record is found by [`verify`].

use relay_core::store::{AuditEntry, AuditRecord};
use serde::{Deserialize, Serialize};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 (hex) of a record: its `seq`, the previous hash and the entry as JSON.
pub fn record_hash(seq: u64, prev_hash: &str, entry: &AuditEntry) -> String {
    let json = serde_json::to_string(entry).unwrap_or_default();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(seq.to_string().as_bytes());
    ctx.update(b"\n");
    ctx.update(prev_hash.as_bytes());
    ctx.update(b"\n");
    ctx.update(json.as_bytes());
    hex(ctx.finish().as_ref())
}

/// The record that follows `(prev_seq, prev_hash)` (`None`: the log is empty).
pub fn next_record(prev: Option<(u64, String)>, entry: AuditEntry) -> AuditRecord {
    let (seq, prev_hash) = match prev {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let hash = record_hash(seq, &prev_hash, &entry);
    AuditRecord {
        seq,
        entry,
        prev_hash,
        hash,
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// Every record is as written and none is missing.
    Intact {
        /// How many records were checked.
        records: u64,
    },
    /// The first record that does not hold.
    Broken {
        /// The position where the chain breaks (the record's `seq`, or where one is missing).
        seq: u64,
        /// What is wrong there, for a person.
        problem: String,
    },
}

/// Checks `records` (as read, in storage order) against each other and the recorded `head`.
pub fn verify(records: &[AuditRecord], head: Option<(u64, String)>) -> Verdict {
    let mut prev_hash = GENESIS.to_owned();
    let mut expected_seq = 1u64;
    for record in records {
        if record.seq != expected_seq {
            let moved = records.iter().any(|r| r.seq == expected_seq);
            let problem = if moved {
                format!(
                    "entry {expected_seq} is out of order (entry {} stands in its place)",
                    record.seq
                )
            } else if record.seq > expected_seq {
                format!(
                    "entry {expected_seq} was removed (the next entry found is {})",
                    record.seq
                )
            } else {
                format!(
                    "entry {} is out of order (found where entry {expected_seq} belongs)",
                    record.seq
                )
            };
            return Verdict::Broken {
                seq: expected_seq,
                problem,
            };
        }
        if record.prev_hash != prev_hash {
            return Verdict::Broken {
                seq: record.seq,
                problem: format!(
                    "entry {} does not follow the entry before it (an entry was removed, reordered or changed)",
                    record.seq
                ),
            };
        }
        if record_hash(record.seq, &record.prev_hash, &record.entry) != record.hash {
            return Verdict::Broken {
                seq: record.seq,
                problem: format!(
                    "entry {} was changed after it was written ({} by {} at {})",
                    record.seq, record.entry.action, record.entry.user, record.entry.at_ms
                ),
            };
        }
        prev_hash = record.hash.clone();
        expected_seq += 1;
    }
    let last = expected_seq - 1;
    match head {
        None if last == 0 => Verdict::Intact { records: 0 },
        None => Verdict::Broken {
            seq: last,
            problem: "the log's head (the record of the last entry written) is missing".into(),
        },
        Some((head_seq, _)) if head_seq > last => Verdict::Broken {
            seq: last + 1,
            problem: format!(
                "entries {} to {head_seq} were removed from the end of the log",
                last + 1
            ),
        },
        Some((head_seq, head_hash)) if head_seq < last || head_hash != prev_hash => {
            Verdict::Broken {
                seq: last,
                problem: format!("entry {last} is not the entry last written"),
            }
        }
        Some(_) => Verdict::Intact { records: last },
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
