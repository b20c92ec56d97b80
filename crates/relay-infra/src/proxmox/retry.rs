//! Which PVE failures are worth retrying, and how long to wait between attempts.

use std::time::Duration;

/// Messages of 500 errors that go away by themselves: a worker could not be forked, a guest
/// config is locked by another operation, the cluster filesystem lock timed out.
const TRANSIENT_MESSAGES: &[&str] = &[
    "got no worker upid",
    "is locked",
    "can't lock file",
    "got timeout",
    "cfs-lock",
    "temporarily unavailable",
];

/// Whether a failed request may succeed when sent again unchanged.
///
/// PVE answers permanent errors ("already exists", "does not exist") with 500 too, so a 500 is
/// retried only when its message says it is transient; 502/503/504 and PVE's proxy codes 595/596
/// (node unreachable) always are.
pub(crate) fn is_transient(status: u16, message: &str) -> bool {
    match status {
        502 | 503 | 504 | 595 | 596 => true,
        s if s >= 500 => {
            let lower = message.to_ascii_lowercase();
            TRANSIENT_MESSAGES.iter().any(|m| lower.contains(m))
        }
        _ => false,
    }
}

/// Whether a transient failure says PVE did not carry the request out (so a POST may be sent
/// again): a 500 with a transient message (a lock, no worker) or a 595 (the proxy could not
/// reach the node). 502, 503, 504 and 596 may come after the node acted.
pub(crate) fn is_refusal(status: u16, message: &str) -> bool {
    match status {
        595 => true,
        500 => is_transient(status, message),
        _ => false,
    }
}

/// Delay before attempt `attempt + 1` (attempt counts from 1): doubling from `base`, capped at
/// `max`, with ±25 % jitter so parallel clients do not retry in lockstep.
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(max);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = 0.75 + (nanos % 1000) as f64 / 2000.0;
    capped.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_pve_messages() {
        assert!(is_transient(500, "CT 100 is locked (backup)"));
        assert!(is_transient(
            500,
            "got no worker upid - start worker failed"
        ));
        assert!(is_transient(
            500,
            "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout"
        ));
        assert!(is_transient(503, "Service Unavailable"));
        assert!(is_transient(595, "Connection refused"));
        assert!(!is_transient(500, "CT 100 already exists on node 'pve'"));
        assert!(!is_transient(400, "Parameter verification failed."));
        assert!(!is_transient(401, "authentication failure"));
        assert!(is_refusal(500, "CT 100 is locked (backup)"));
        assert!(is_refusal(595, "Connection refused"));
        assert!(!is_refusal(504, "Gateway Timeout"));
        assert!(!is_refusal(502, "Bad Gateway"));
    }

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        let first = backoff(1, base, max);
        assert!(first >= Duration::from_millis(75) && first <= Duration::from_millis(125));
        let third = backoff(3, base, max);
        assert!(third >= Duration::from_millis(300) && third <= Duration::from_millis(500));
        assert!(backoff(30, base, max) <= Duration::from_millis(1250));
    }
}
