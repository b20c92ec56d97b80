//! Keeping secrets out of messages.

/// Replaces the userinfo of every URL in `text` (`https://user:token@host/...`) with `***`, so
/// credentials embedded in remote URLs never reach logs or errors.
///
/// ```
/// assert_eq!(
///     relay_core::redact::redact_url_credentials("fatal: https://x:ghp_secret@github.com/a/b.git: denied"),
///     "fatal: https://***@github.com/a/b.git: denied"
/// );
/// ```
pub fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Whether a JSON key names a secret (`token`, `password`, `api_key`, `authorization`, ...).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "api_key",
        "apikey",
        "authorization",
        "credential",
        "private_key",
    ]
    .iter()
    .any(|s| key.contains(s))
}

/// `value` with every secret-named field replaced by `"***"` and credentials in URLs redacted:
/// what the audit log keeps of a call's arguments.
///
/// ```
/// use serde_json::json;
/// let args = json!({"url": "https://u:p@h/x", "api_token": "abc", "repos": ["api"]});
/// assert_eq!(
///     relay_core::redact::redact_json(args),
///     json!({"url": "https://***@h/x", "api_token": "***", "repos": ["api"]})
/// );
/// ```
pub fn redact_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact_url_credentials(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(&k) && !v.is_null() {
                        Value::String("***".into())
                    } else {
                        redact_json(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url_credentials as r;

    #[test]
    fn leaves_text_without_credentials_alone() {
        assert_eq!(r("no urls here"), "no urls here");
        assert_eq!(
            r("see https://github.com/a/b and file:///tmp/x"),
            "see https://github.com/a/b and file:///tmp/x"
        );
    }

    #[test]
    fn redacts_every_url() {
        assert_eq!(
            r("a https://tok@h/x b ssh://u:p@host:22/y"),
            "a https://***@h/x b ssh://***@host:22/y"
        );
    }
}
