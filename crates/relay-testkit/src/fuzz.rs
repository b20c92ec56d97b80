//! Input generators for the parsers' property tests (`proptest`): arbitrary JSON, JSON objects
//! shaped like a protocol's frames, and mutations of real input (cut, byte flips, insertions,
//! deletions), plus the case count every property runs with.
//!
//! The case counts are tuned so that all property tests of the workspace together add about a
//! minute to the test command on two cores; `PROPTEST_CASES` overrides them (e.g. `100000` for a
//! longer local run).

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value};

/// A config running `default_cases` cases (or `PROPTEST_CASES` when set).
pub fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        // A failing case is shrunk and reported with its input; keep it as a regression test.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Strings that stress parsers: empty, unicode, quotes, control characters, long runs.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z_.]{0,12}",
        any::<String>(),
        "[\\\\\"'{}\\[\\]:,\u{0}\u{7f}\u{fffd}é漢🙂 \t\n-]{0,24}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(Value::from(0)),
        Just(Value::from(-1)),
        Just(Value::from(u64::MAX)),
    ]
}

/// Any JSON value, nested up to a few levels.
pub fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A JSON object with `"type"` set to one of `types` and any of `keys` set to arbitrary values
/// (plus arbitrary extra keys): the shape of a protocol frame with wrong or missing fields.
pub fn frame(
    types: &'static [&'static str],
    keys: &'static [&'static str],
) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(types),
        prop::collection::vec((prop::sample::select(keys), json()), 0..8),
        prop::collection::vec((text(), json()), 0..2),
    )
        .prop_map(|(kind, known, extra)| {
            let mut m = Map::new();
            for (k, v) in extra {
                m.insert(k, v);
            }
            for (k, v) in known {
                m.insert(k.to_string(), v);
            }
            m.insert("type".into(), Value::from(kind));
            Value::Object(m)
        })
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Keep only the first `n` bytes (modulo the length).
    Truncate(usize),
    /// XOR the byte at `at` with `mask`.
    Flip {
        /// Position (modulo the length).
        at: usize,
        /// Bits to flip.
        mask: u8,
    },
    /// Insert `bytes` at `at`.
    Insert {
        /// Position (modulo the length + 1).
        at: usize,
        /// What to insert.
        bytes: Vec<u8>,
    },
    /// Delete up to `len` bytes from `at`.
    Delete {
        /// Position (modulo the length).
        at: usize,
        /// How many bytes.
        len: usize,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let special = prop::sample::select(vec![
        b"\"".to_vec(),
        b"{".to_vec(),
        b"}".to_vec(),
        b"[".to_vec(),
        b":".to_vec(),
        b",".to_vec(),
        b"null".to_vec(),
        b"-1".to_vec(),
        b"1e999".to_vec(),
        b"\\u0000".to_vec(),
        b"\n".to_vec(),
        "\u{fffd}🙂".as_bytes().to_vec(),
        vec![0xff, 0xfe],
    ]);
    prop_oneof![
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Edit::Flip { at, mask }),
        (
            any::<usize>(),
            prop_oneof![special, prop::collection::vec(any::<u8>(), 1..8)]
        )
            .prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), 1..16usize).prop_map(|(at, len)| Edit::Delete { at, len }),
    ]
}

/// Applies `edits` to `input`.
pub fn apply(input: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = input.to_vec();
    for e in edits {
        let n = out.len();
        match e {
            Edit::Truncate(k) => out.truncate(k % (n + 1)),
            Edit::Flip { at, mask } if n > 0 => out[at % n] ^= mask,
            Edit::Flip { .. } => {}
            Edit::Insert { at, bytes } => {
                let at = at % (n + 1);
                out.splice(at..at, bytes.iter().copied());
            }
            Edit::Delete { at, len } if n > 0 => {
                let at = at % n;
                out.drain(at..(at + len).min(n));
            }
            Edit::Delete { .. } => {}
        }
    }
    out
}

/// One of `samples`, changed by one to four edits.
pub fn mutated(samples: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(samples),
        prop::collection::vec(edit(), 1..5),
    )
        .prop_map(|(s, edits)| apply(&s, &edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_stay_in_bounds() {
        assert_eq!(apply(b"abc", &[Edit::Truncate(2)]), b"ab");
        assert_eq!(
            apply(
                b"",
                &[
                    Edit::Flip { at: 3, mask: 1 },
                    Edit::Delete { at: 9, len: 2 }
                ]
            ),
            b""
        );
        assert_eq!(
            apply(
                b"ab",
                &[Edit::Insert {
                    at: 7,
                    bytes: b"x".to_vec()
                }]
            ),
            b"axb"
        );
        assert_eq!(apply(b"abcd", &[Edit::Delete { at: 2, len: 10 }]), b"ab");
    }
}
