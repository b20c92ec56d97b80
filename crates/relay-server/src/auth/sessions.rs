//! Sign-in sessions: a random id in an `HttpOnly` cookie; what is kept is only the SHA-256 of
//! the id, the user and when it ends — in the [`Store`] when the server has one (shared by every
//! server on that store, surviving restarts), else in this process's memory. A session stands
//! for its user, not for a token: each request re-checks the user ([`Authenticate::
//! authenticate_user`](super::Authenticate::authenticate_user)), and revoking the user's tokens
//! ends their sessions in the store. Expiry is fixed at sign-in ([`SESSION_TTL`]), not sliding.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relay_core::store::{SignInRecord, Store};
use ring::rand::{SecureRandom, SystemRandom};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "relay_session";

/// How long a sign-in lasts (12 hours from signing in, however much it is used); then the page
/// asks for the token again.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// Most sessions kept in memory at once; the oldest goes when a new one would exceed it.
const MAX_SESSIONS: usize = 10_000;

/// Where the sessions are.
enum Backend {
    Memory(Mutex<HashMap<String, SignInRecord>>),
    Store(Arc<dyn Store>),
}

/// The sign-in sessions of one server (or of every server on one store).
pub(crate) struct Sessions {
    backend: Backend,
    ttl: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = match &self.backend {
            Backend::Memory(_) => "memory".to_owned(),
            Backend::Store(s) => s.url(),
        };
        f.debug_struct("Sessions")
            .field("kept", &kept)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// Sessions cannot be read or written right now (the store is unreachable); the text says why,
/// without secrets.
#[derive(Debug)]
pub(crate) struct Unavailable(pub(crate) String);

impl Sessions {
    /// Sessions in this process's memory (lost on restart, not shared).
    pub(crate) fn memory(ttl: Duration) -> Self {
        Sessions {
            backend: Backend::Memory(Mutex::new(HashMap::new())),
            ttl,
        }
    }

    /// Sessions in `store`.
    pub(crate) fn in_store(store: Arc<dyn Store>, ttl: Duration) -> Self {
        Sessions {
            backend: Backend::Store(store),
            ttl,
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new session of `user`; returns its id (256 random bits, hex) for the cookie.
    pub(crate) async fn create(&self, user: &str) -> Result<String, Unavailable> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| Unavailable("no randomness for a session id".into()))?;
        let id = hex(&bytes);
        let now = now_ms();
        let record = SignInRecord {
            id_hash: hash(&id),
            user: user.to_owned(),
            created_ms: now,
            expires_ms: now.saturating_add(self.ttl.as_millis() as u64),
        };
        match &self.backend {
            Backend::Memory(sessions) => {
                let mut sessions = sessions.lock().unwrap_or_else(|e| e.into_inner());
                if sessions.len() >= MAX_SESSIONS {
                    sessions.retain(|_, s| s.expires_ms > now);
                    if sessions.len() >= MAX_SESSIONS
                        && let Some(oldest) = sessions
                            .values()
                            .min_by_key(|s| s.created_ms)
                            .map(|s| s.id_hash.clone())
                    {
                        sessions.remove(&oldest);
                    }
                }
                sessions.insert(record.id_hash.clone(), record);
            }
            Backend::Store(store) => store.put_signin(record).await.map_err(unavailable)?,
        }
        Ok(id)
    }

    /// The user of session `id`, while it lasts.
    pub(crate) async fn user(&self, id: &str) -> Result<Option<String>, Unavailable> {
        let id_hash = hash(id);
        match &self.backend {
            Backend::Memory(sessions) => {
                let mut sessions = sessions.lock().unwrap_or_else(|e| e.into_inner());
                match sessions.get(&id_hash) {
                    Some(s) if s.expires_ms > now_ms() => Ok(Some(s.user.clone())),
                    Some(_) => {
                        sessions.remove(&id_hash);
                        Ok(None)
                    }
                    None => Ok(None),
                }
            }
            Backend::Store(store) => Ok(store
                .signin(&id_hash)
                .await
                .map_err(unavailable)?
                .map(|s| s.user)),
        }
    }

    /// Ends session `id`; whether it existed.
    pub(crate) async fn remove(&self, id: &str) -> Result<bool, Unavailable> {
        let id_hash = hash(id);
        match &self.backend {
            Backend::Memory(sessions) => Ok(sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id_hash)
                .is_some()),
            Backend::Store(store) => store.delete_signin(&id_hash).await.map_err(unavailable),
        }
    }
}

fn unavailable(e: relay_core::store::StoreError) -> Unavailable {
    tracing::warn!("sign-in sessions: {e}");
    Unavailable(format!("the store keeping sign-ins cannot be used: {e}"))
}

/// SHA-256 (hex) of a session id: all that is kept of it.
fn hash(id: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, id.as_bytes()).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
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

    #[tokio::test]
    async fn sessions_hold_the_user_until_removed_or_expired() {
        let s = Sessions::memory(Duration::from_secs(60));
        let id = s.create("ann").await.unwrap();
        assert_eq!(id.len(), 64);
        assert_eq!(s.user(&id).await.unwrap().as_deref(), Some("ann"));
        assert_ne!(s.create("ann").await.unwrap(), id);
        assert_eq!(s.user("not-an-id").await.unwrap(), None);
        assert!(s.remove(&id).await.unwrap());
        assert!(!s.remove(&id).await.unwrap());
        assert_eq!(s.user(&id).await.unwrap(), None);
        let expired = Sessions::memory(Duration::ZERO);
        let id = expired.create("ann").await.unwrap();
        assert_eq!(expired.user(&id).await.unwrap(), None);
    }

    #[test]
    fn only_a_hash_of_the_id_is_kept() {
        let h = hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert_eq!(h, hash("abc"));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let h = "theme=dark; relay_session=abc123; other=x";
        assert_eq!(cookie(h, SESSION_COOKIE), Some("abc123"));
        assert_eq!(cookie("relay_session_x=1", SESSION_COOKIE), None);
        assert_eq!(cookie("", SESSION_COOKIE), None);
    }
}
