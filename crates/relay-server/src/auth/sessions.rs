//! Sign-in sessions: a random id in an `HttpOnly` cookie, the token it stands for kept in this
//! process's memory only (so a revoked token ends its sessions at once).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "relay_session";

/// How long a sign-in lasts (12 hours); then the page asks for the token again.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// Most sessions kept at once; the oldest goes when a new one would exceed it.
const MAX_SESSIONS: usize = 10_000;

struct Session {
    token: String,
    created: Instant,
}

/// The live sessions of one server.
pub(crate) struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    ttl: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    pub(crate) fn new(ttl: Duration) -> Self {
        Sessions {
            sessions: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new session for `token`; returns its id (256 random bits, hex).
    pub(crate) fn create(&self, token: &str) -> Option<String> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).ok()?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= MAX_SESSIONS {
            let ttl = self.ttl;
            sessions.retain(|_, s| now.duration_since(s.created) < ttl);
            if sessions.len() >= MAX_SESSIONS
                && let Some(oldest) = sessions
                    .iter()
                    .min_by_key(|(_, s)| s.created)
                    .map(|(id, _)| id.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            id.clone(),
            Session {
                token: token.to_owned(),
                created: now,
            },
        );
        Some(id)
    }

    /// The token of session `id`, while it lasts.
    pub(crate) fn token(&self, id: &str) -> Option<String> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let session = sessions.get(id)?;
        if session.created.elapsed() >= self.ttl {
            sessions.remove(id);
            return None;
        }
        Some(session.token.clone())
    }

    /// Ends session `id`; whether it existed.
    pub(crate) fn remove(&self, id: &str) -> bool {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
            .is_some()
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub(crate) fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_hold_the_token_until_removed_or_expired() {
        let s = Sessions::new(Duration::from_secs(60));
        let id = s.create("relay_abc").unwrap();
        assert_eq!(id.len(), 64);
        assert_eq!(s.token(&id).as_deref(), Some("relay_abc"));
        assert_ne!(s.create("relay_abc").unwrap(), id);
        assert!(s.remove(&id));
        assert_eq!(s.token(&id), None);
        let expired = Sessions::new(Duration::ZERO);
        let id = expired.create("t").unwrap();
        assert_eq!(expired.token(&id), None);
    }

    #[test]
    fn cookies_are_found_by_name() {
        let h = "theme=dark; relay_session=abc123; other=x";
        assert_eq!(cookie(h, SESSION_COOKIE), Some("abc123"));
        assert_eq!(cookie("relay_session_x=1", SESSION_COOKIE), None);
        assert_eq!(cookie("", SESSION_COOKIE), None);
    }
}
