//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw request body with the webhook's secret, sent as
//! `sha256=<64 lowercase hex digits>`.

use std::fmt;

use ring::hmac;

/// The environment variable [`WebhookSecret::from_env`] reads.
pub const SECRET_ENV: &str = "RELAY_WEBHOOK_SECRET";

/// The shared secret of a GitHub webhook. Never printed: `Debug` shows `WebhookSecret(..)`.
#[derive(Clone)]
pub struct WebhookSecret {
    key: hmac::Key,
}

impl WebhookSecret {
    /// A secret from its bytes (what was typed into GitHub's "Secret" field). `None` when empty:
    /// an empty secret would let anyone sign.
    pub fn new(secret: impl AsRef<[u8]>) -> Option<Self> {
        let secret = secret.as_ref();
        (!secret.is_empty()).then(|| WebhookSecret {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        })
    }

    /// The secret from `RELAY_WEBHOOK_SECRET`, or `None` when it is unset or empty.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(SECRET_ENV).and_then(|s| Self::new(s.as_encoded_bytes()))
    }

    /// The `X-Hub-Signature-256` value GitHub sends for `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        let tag = hmac::sign(&self.key, body);
        let mut out = String::with_capacity(7 + 64);
        out.push_str("sha256=");
        for b in tag.as_ref() {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// Checks `header` (the `X-Hub-Signature-256` value) against `body` in constant time.
    pub fn verify(&self, body: &[u8], header: Option<&[u8]>) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let hex = header
            .strip_prefix(b"sha256=")
            .ok_or(SignatureError::Malformed)?;
        let tag = decode_hex(hex).ok_or(SignatureError::Malformed)?;
        hmac::verify(&self.key, body, &tag).map_err(|_| SignatureError::Mismatch)
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error(
        "missing X-Hub-Signature-256: set the webhook's secret on GitHub to the value of RELAY_WEBHOOK_SECRET"
    )]
    Missing,
    /// The header is not `sha256=` and 64 hex digits.
    #[error("malformed X-Hub-Signature-256: expected `sha256=` and 64 hex digits")]
    Malformed,
    /// The signature does not match the body and the secret.
    #[error(
        "X-Hub-Signature-256 does not match: the webhook's secret on GitHub differs from RELAY_WEBHOOK_SECRET, or the body was changed"
    )]
    Mismatch,
}

/// 32 bytes from exactly 64 hex digits.
fn decode_hex(hex: &[u8]) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_githubs_documented_example() {
        // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
        let secret = WebhookSecret::new("It's a Secret to Everybody").unwrap();
        let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(secret.sign(b"Hello, World!"), expected);
        assert_eq!(
            secret.verify(b"Hello, World!", Some(expected.as_bytes())),
            Ok(())
        );
        assert_eq!(
            secret.verify(
                b"Hello, World!",
                Some(
                    expected
                        .to_uppercase()
                        .replace("SHA256", "sha256")
                        .as_bytes()
                )
            ),
            Ok(()),
            "hex digits in either case"
        );
    }

    #[test]
    fn refuses_missing_malformed_and_wrong_signatures() {
        let secret = WebhookSecret::new("s").unwrap();
        let good = secret.sign(b"body");
        assert_eq!(secret.verify(b"body", None), Err(SignatureError::Missing));
        assert_eq!(
            secret.verify(b"body", Some(b"sha1=abc")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            secret.verify(b"body", Some(&good.as_bytes()[..70])),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            secret.verify(b"Body", Some(good.as_bytes())),
            Err(SignatureError::Mismatch)
        );
        let other = WebhookSecret::new("t").unwrap();
        assert_eq!(
            other.verify(b"body", Some(good.as_bytes())),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn empty_secrets_are_refused_and_never_printed() {
        assert!(WebhookSecret::new("").is_none());
        assert_eq!(
            format!("{:?}", WebhookSecret::new("hunter2").unwrap()),
            "WebhookSecret(..)"
        );
    }
}
