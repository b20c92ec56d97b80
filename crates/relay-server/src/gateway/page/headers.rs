//! Response headers of the page: the Content-Security-Policy and the security headers every
//! response carries.

use axum::http::{HeaderMap, HeaderName, header};

/// Headers on every page and asset response.
pub(crate) fn common() -> [(HeaderName, &'static str); 3] {
    [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ]
}

/// The page's policy: scripts, styles, the worklet and connections from this origin only, plus
/// the conversation WebSocket on this host (`ws:` and `wss:`, named explicitly for browsers whose
/// `'self'` does not cover WebSocket schemes). Nothing inline, no frames, no plugins.
pub(crate) fn content_security_policy(request: &HeaderMap) -> String {
    let mut connect = String::from("'self'");
    if let Some(host) = request
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_plain_host(h))
    {
        connect.push_str(&format!(
            " ws://{host}/v1/conversation wss://{host}/v1/conversation"
        ));
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         media-src 'self'; worker-src 'self'; connect-src {connect}; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// `host[:port]` with nothing that could end a CSP source expression (`;`, `,`, spaces, quotes).
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
pub(crate) fn matches_etag(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}
