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
