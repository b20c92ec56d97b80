//! Keeping secrets out of messages.

/// Query-string parameters whose values are secrets (compared case-insensitively, `-` and `_`
/// alike): API keys, tokens, signatures, passwords.
const SECRET_PARAMS: &[&str] = &[
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "authorization",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "x_amz_signature",
    "x_amz_security_token",
    "x_goog_signature",
    "session_token",
    "code",
];

/// Replaces the userinfo of every URL in `text` (`https://user:token@host/...`) and the values of
/// secret query parameters (`?api_key=...`, `&token=...`, see the list in the source) with `***`,
/// so credentials embedded in URLs never reach logs or errors.
///
/// ```
/// assert_eq!(
///     relay_core::redact::redact_url_credentials("fatal: https://x:ghp_secret@github.com/a/b.git: denied"),
///     "fatal: https://***@github.com/a/b.git: denied"
/// );
/// assert_eq!(
///     relay_core::redact::redact_url_credentials("wss://proxy.example/v1/realtime?model=m&api_key=sk-1"),
///     "wss://proxy.example/v1/realtime?model=m&api_key=***"
/// );
/// ```
pub fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        let url_end = after
            .find(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == '<' || c == '>')
            .unwrap_or(after.len());
        // Punctuation right after a URL in a sentence (`{url}: {reason}`) is not part of it.
        let url_end = after[..url_end]
            .trim_end_matches([':', ',', ';', '.', ')'])
            .len();
        let url = &after[..url_end];
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let authority = &url[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        out.push_str(&redact_query(&url[authority_end..]));
        rest = &after[url_end..];
    }
    out.push_str(rest);
    out
}

/// Redacts secret parameters in the path-query-fragment part of a URL.
fn redact_query(tail: &str) -> String {
    let Some(q) = tail.find('?') else {
        return tail.to_string();
    };
    let (path, query) = tail.split_at(q + 1);
    let (query, fragment) = match query.find('#') {
        Some(h) => query.split_at(h),
        None => (query, ""),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_param(name) => format!("{name}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}{}{fragment}", pairs.join("&"))
}

fn is_secret_param(name: &str) -> bool {
    let decoded = name.replace("%5F", "_").replace("%5f", "_");
    let normal = decoded.to_ascii_lowercase().replace('-', "_");
    SECRET_PARAMS.contains(&normal.as_str())
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
    fn redacts_keys_in_the_query_string() {
        assert_eq!(
            r(
                "could not connect to wss://gw.example/v1/realtime?model=gpt&api_key=sk-live-123: refused"
            ),
            "could not connect to wss://gw.example/v1/realtime?model=gpt&api_key=***: refused"
        );
        assert_eq!(
            r("https://u:p@h/x?Token=abc&keep=1&X-Amz-Signature=f00#frag"),
            "https://***@h/x?Token=***&keep=1&X-Amz-Signature=***#frag"
        );
        assert_eq!(r("wss://h?key=k"), "wss://h?key=***");
        assert_eq!(
            r("see 'https://h/a?access_token=t' and wss://h/b?model=m"),
            "see 'https://h/a?access_token=***' and wss://h/b?model=m"
        );
        assert_eq!(
            r("https://h/a?keyboard=qwerty"),
            "https://h/a?keyboard=qwerty"
        );
    }

    #[test]
    fn voice_errors_show_urls_redacted() {
        let e = crate::voice::VoiceError::Connect {
            url: "wss://u:p@gw.example/v1/realtime?model=m&api_key=sk-1".into(),
            reason: "HTTP 404 from wss://gw.example/x?token=t".into(),
        };
        assert_eq!(
            e.to_string(),
            "could not connect to wss://***@gw.example/v1/realtime?model=m&api_key=***: \
             HTTP 404 from wss://gw.example/x?token=***"
        );
        let e = crate::voice::VoiceError::Unauthorized {
            url: "wss://gw.example/v1?key=k".into(),
            status: 401,
        };
        assert!(e.to_string().contains("wss://gw.example/v1?key=***"), "{e}");
    }

    #[test]
    fn redacts_every_url() {
        assert_eq!(
            r("a https://tok@h/x b ssh://u:p@host:22/y"),
            "a https://***@h/x b ssh://***@host:22/y"
        );
    }
}
