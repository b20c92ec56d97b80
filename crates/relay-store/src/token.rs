//! User tokens: random, shown once, stored only as a SHA-256 hash.

use ring::rand::{SecureRandom, SystemRandom};

use crate::chain::hex;

/// Every token starts with this, so that a leaked one is recognisable.
pub const PREFIX: &str = "relay_";

/// A new random token (`relay_` and 64 hex digits).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    // The system RNG only fails when the OS has no entropy source at all.
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random number generator is available");
    format!("{PREFIX}{}", hex(&bytes))
}

/// The SHA-256 (hex) of `token`: what the store keeps.
pub fn hash(token: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, token.trim().as_bytes()).as_ref())
}

/// The short public id of `token` (its prefix and first 8 digits), safe to show and log.
pub fn public_id(token: &str) -> String {
    token.chars().take(PREFIX.len() + 8).collect()
}

/// A random id for records that must be unique across processes and hosts.
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    let _ = SystemRandom::new().fill(&mut bytes);
    format!("{prefix}-{:x}-{}", crate::now_ms(), hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_eq!(hash(&a), hash(&format!("{a}\n")));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(public_id(&a).len(), PREFIX.len() + 8);
    }
}
