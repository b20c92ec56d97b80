//! The permission callback of an agent run, as Python and JavaScript implement it: a function
//! that receives the request as JSON and answers with JSON.
//!
//! The answer may be as short as the host language allows: `true` / `false`, `"allow"` /
//! `"deny"`, or an object `{"decision": "allow", "updated_input": {...}}`,
//! `{"decision": "deny", "message": "..."}`, `{"decision": "ask", "question": "..."}`. Anything
//! else, and a callback that raises, denies the tool with a message saying why: a broken
//! callback must never let a tool through.

use std::sync::Arc;

use async_trait::async_trait;
use relay::core::agent::{PermissionDecision, PermissionPolicy, PermissionRequest};
use serde_json::Value;

/// A permission callback implemented in the host language.
#[async_trait]
pub trait PermissionCallback: Send + Sync {
    /// Decides one request. `request_json` is the JSON of a [`PermissionRequest`]
    /// (`{repo, tool_name, input, tool_use_id, description}`); the answer is JSON text (see the
    /// module docs), or `Err` with the host's error message when the callback raised or threw.
    async fn decide(&self, request_json: String) -> Result<String, String>;
}

/// Reads a callback's answer. The error says what was wrong, in words for the callback's author.
pub fn parse_decision(answer_json: &str) -> Result<PermissionDecision, String> {
    let value: Value =
        serde_json::from_str(answer_json).map_err(|e| format!("the answer is not JSON ({e})"))?;
    match value {
        Value::Bool(true) => Ok(PermissionDecision::allow()),
        Value::Bool(false) => Ok(PermissionDecision::deny(
            "denied by the permission callback",
        )),
        Value::String(word) => match word.as_str() {
            "allow" => Ok(PermissionDecision::allow()),
            "deny" => Ok(PermissionDecision::deny(
                "denied by the permission callback",
            )),
            other => Err(format!(
                "the answer `{other}` is not a decision; return true/false, \"allow\"/\"deny\" or \
                 an object with \"decision\""
            )),
        },
        Value::Object(mut object) => {
            // `{"decision": "deny"}` without a message is fine: fill in a generic one.
            if object.get("decision").and_then(Value::as_str) == Some("deny")
                && !object.contains_key("message")
            {
                object.insert(
                    "message".into(),
                    Value::from("denied by the permission callback"),
                );
            }
            serde_json::from_value(Value::Object(object)).map_err(|e| {
                format!(
                    "the answer object is not a decision ({e}); use {{\"decision\": \"allow\"}}, \
                     {{\"decision\": \"deny\", \"message\": ...}} or {{\"decision\": \"ask\", \
                     \"question\": ...}}"
                )
            })
        }
        Value::Null => Err(
            "the callback returned nothing (None/undefined); return true to allow or false to deny"
                .into(),
        ),
        other => Err(format!(
            "the answer {other} is not a decision; return true/false, \"allow\"/\"deny\" or an \
             object with \"decision\""
        )),
    }
}

/// A [`PermissionPolicy`] answered by a host-language [`PermissionCallback`].
pub struct CallbackPolicy {
    callback: Arc<dyn PermissionCallback>,
}

impl CallbackPolicy {
    /// Wraps `callback`.
    pub fn new(callback: Arc<dyn PermissionCallback>) -> Self {
        Self { callback }
    }
}

#[async_trait]
impl PermissionPolicy for CallbackPolicy {
    async fn decide(&self, request: &PermissionRequest) -> PermissionDecision {
        let request_json = serde_json::to_string(request).expect("permission requests serialize");
        let problem = match self.callback.decide(request_json).await {
            Ok(answer) => match parse_decision(&answer) {
                Ok(decision) => return decision,
                Err(problem) => problem,
            },
            Err(raised) => format!("the permission callback failed: {raised}"),
        };
        tracing::warn!(tool = %request.tool_name, repo = %request.repo, %problem, "denying the tool");
        PermissionDecision::deny(format!(
            "{problem}; the tool `{}` was denied to be safe",
            request.tool_name
        ))
    }
}

impl std::fmt::Debug for CallbackPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackPolicy").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_and_long_answers_parse() {
        assert_eq!(parse_decision("true"), Ok(PermissionDecision::allow()));
        assert_eq!(parse_decision("\"allow\""), Ok(PermissionDecision::allow()));
        assert!(matches!(
            parse_decision("false"),
            Ok(PermissionDecision::Deny { .. })
        ));
        assert_eq!(
            parse_decision(r#"{"decision":"deny","message":"not on main"}"#),
            Ok(PermissionDecision::deny("not on main"))
        );
        assert!(matches!(
            parse_decision(r#"{"decision":"deny"}"#),
            Ok(PermissionDecision::Deny { .. })
        ));
        assert_eq!(
            parse_decision(r#"{"decision":"allow","updated_input":{"command":"ls"}}"#),
            Ok(PermissionDecision::Allow {
                updated_input: Some(json!({"command": "ls"}))
            })
        );
        assert_eq!(
            parse_decision(r#"{"decision":"ask","question":"Delete it?"}"#),
            Ok(PermissionDecision::ask("Delete it?"))
        );
    }

    #[test]
    fn bad_answers_say_what_to_return() {
        assert!(
            parse_decision("null")
                .unwrap_err()
                .contains("returned nothing")
        );
        assert!(parse_decision("\"yes\"").unwrap_err().contains("`yes`"));
        assert!(parse_decision("3").unwrap_err().contains("not a decision"));
        assert!(
            parse_decision(r#"{"decision":"maybe"}"#)
                .unwrap_err()
                .contains("not a decision")
        );
    }

    struct Raises;
    #[async_trait]
    impl PermissionCallback for Raises {
        async fn decide(&self, _request_json: String) -> Result<String, String> {
            Err("ValueError: boom".into())
        }
    }

    #[tokio::test]
    async fn a_raising_callback_denies_with_its_message() {
        let policy = CallbackPolicy::new(Arc::new(Raises));
        let request = PermissionRequest {
            repo: "api".into(),
            tool_name: "Bash".into(),
            input: json!({"command": "rm -rf /"}),
            tool_use_id: None,
            description: None,
        };
        match policy.decide(&request).await {
            PermissionDecision::Deny { message } => {
                assert!(message.contains("ValueError: boom"), "{message}");
                assert!(message.contains("`Bash` was denied"), "{message}");
            }
            other => panic!("expected a denial, got {other:?}"),
        }
    }
}
