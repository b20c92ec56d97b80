//! Reading a spoken answer ("yes", "no", "only this once") from the user's transcript.

use super::ApprovalDecision;

/// The decision in a short spoken answer, or `None` when the words are not an answer (the user
/// said something else; the request keeps waiting). Deliberately strict: only short utterances
/// that start with (or consist of) an answer count, and a "no" anywhere in a short answer wins
/// over a "yes" ("yes, no, wait" denies).
pub fn parse_spoken_answer(transcript: &str) -> Option<ApprovalDecision> {
    let words: Vec<String> = transcript
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    // An answer is short; a long sentence that happens to contain "yes" is not one.
    if words.is_empty() || words.len() > 8 {
        return None;
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let phrase = words.join(" ");
    const DENY: &[&str] = &[
        "no", "nope", "deny", "don't", "dont", "stop", "cancel", "never", "reject", "abort",
    ];
    if DENY.iter().any(|w| has(w)) || phrase.contains("do not") {
        return Some(ApprovalDecision::Deny);
    }
    if phrase.contains("only this once")
        || phrase.contains("just this once")
        || phrase.contains("this time")
    {
        return Some(ApprovalDecision::Allow);
    }
    if has("always") || phrase.contains("for this session") || phrase.contains("from now on") {
        return Some(ApprovalDecision::AllowForSession);
    }
    const ALLOW: &[&str] = &[
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "allow",
        "approve",
        "approved",
        "affirmative",
        "proceed",
    ];
    let first = words[0].as_str();
    if ALLOW.contains(&first) || phrase.starts_with("go ahead") || phrase.starts_with("do it") {
        return Some(ApprovalDecision::Allow);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApprovalDecision::*;

    #[test]
    fn reads_short_answers() {
        for (text, want) in [
            ("Yes.", Some(Allow)),
            ("yes please", Some(Allow)),
            ("Go ahead", Some(Allow)),
            ("Only this once.", Some(Allow)),
            ("yes, just this once", Some(Allow)),
            ("Always allow it", Some(AllowForSession)),
            ("No.", Some(Deny)),
            ("no, don't", Some(Deny)),
            ("Do not do that", Some(Deny)),
            ("yes, no, wait", Some(Deny)),
            ("what is the status of backend", None),
            ("", None),
            (
                "yes I think we should look at the failing tests in the backend first",
                None,
            ),
            ("Is it yes?", None),
        ] {
            assert_eq!(parse_spoken_answer(text), want, "{text:?}");
        }
    }
}
