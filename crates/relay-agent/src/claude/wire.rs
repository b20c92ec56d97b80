//! The CLI's stream-json frames as they arrive on stdout, decoded in one pass.
//!
//! One flat struct holds every field any known frame type uses; serde skips the rest. That is
//! much cheaper than an internally tagged enum (which buffers each frame before dispatch).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// Any frame, with the fields Relay reads.
#[derive(Debug, Deserialize)]
pub(crate) struct WireFrame<'a> {
    // Borrowed from the line when unescaped: most frames never need these as owned strings.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(borrow)]
    pub subtype: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub session_id: Option<Cow<'a, str>>,
    pub message: Option<WireMessage>,
    pub parent_tool_use_id: Option<String>,
    pub error: Option<Value>,
    #[serde(borrow)]
    pub event: Option<&'a RawValue>,
    pub rate_limit_info: Option<Value>,
    // system/init
    pub model: Option<String>,
    pub cwd: Option<String>,
    pub tools: Option<Vec<String>>,
    #[serde(rename = "permissionMode")]
    pub permission_mode: Option<String>,
    pub claude_code_version: Option<String>,
    // system/api_retry
    pub attempt: Option<u32>,
    pub max_retries: Option<u32>,
    pub retry_delay_ms: Option<u64>,
    pub error_status: Option<u16>,
    // result
    pub is_error: Option<bool>,
    pub num_turns: Option<u32>,
    pub duration_ms: Option<u64>,
    pub total_cost_usd: Option<f64>,
    pub result: Option<String>,
    pub usage: Option<WireUsage>,
    pub permission_denials: Option<Vec<WireDenial>>,
    pub api_error_status: Option<u16>,
    pub api_error_type: Option<String>,
    pub errors: Option<Vec<String>>,
    pub terminal_reason: Option<String>,
    pub model_usage_since_last_result: Option<HashMap<String, WireModelUsage>>,
    // control protocol
    pub request_id: Option<String>,
    pub request: Option<Value>,
    pub response: Option<WireControlResponse>,
}

/// The envelope of the CLI's answer to one of our control requests. Only the status is read:
/// the body (for `initialize`, a long command list) is skipped without building it.
#[derive(Debug, Deserialize)]
pub(crate) struct WireControlResponse {
    pub subtype: Option<String>,
    pub request_id: Option<String>,
    pub error: Option<String>,
}

/// An API message inside an `assistant` or `user` frame.
#[derive(Debug, Deserialize)]
pub(crate) struct WireMessage {
    pub id: Option<String>,
    pub model: Option<String>,
    #[serde(default, deserialize_with = "text_or_blocks")]
    pub content: Vec<WireBlock>,
}

/// A content block; which fields are set depends on `kind`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireBlock {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub thinking: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub input: Option<Value>,
    pub tool_use_id: Option<String>,
    pub content: Option<Value>,
    pub is_error: Option<bool>,
}

/// Token usage of a result.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
}

/// Per-model usage since the previous result.
#[derive(Debug, Deserialize)]
pub(crate) struct WireModelUsage {
    #[serde(rename = "costUSD", default)]
    pub cost_usd: f64,
}

/// One entry of `permission_denials`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireDenial {
    pub tool_name: String,
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub tool_input: Value,
}

/// `content` is either a plain string (a user prompt) or a list of blocks.
fn text_or_blocks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<WireBlock>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<WireBlock>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or a list of content blocks")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![WireBlock {
                kind: "text".into(),
                text: Some(v.to_string()),
                thinking: None,
                id: None,
                name: None,
                input: None,
                tool_use_id: None,
                content: None,
                is_error: None,
            }])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut blocks = Vec::with_capacity(seq.size_hint().unwrap_or(1));
            while let Some(block) = seq.next_element()? {
                blocks.push(block);
            }
            Ok(blocks)
        }
    }
    d.deserialize_any(V)
}

/// Flattens a tool result's `content` (a string or a list of text blocks) to text.
pub(crate) fn tool_result_text(content: Option<Value>) -> String {
    match content {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => other.to_string(),
    }
}
