//! Who may talk to the server: users' tokens, sign-in sessions, the `Origin` of WebSocket
//! upgrades, and a limit on repeated failures.
//!
//! [`Access`] says how requests are authenticated:
//!
//! - [`Access::Local`]: one developer on their own machine (bound to loopback, no `team:`
//!   configured). No token is needed; every request is that [`Caller`]. Requests whose `Host` is
//!   not a loopback name (or the host of an allowed origin) are refused, so a web page that
//!   rebinds its DNS name to 127.0.0.1 cannot talk to the server.
//! - [`Access::Tokens`]: every request outside the [public routes](PUBLIC_ROUTES) carries a
//!   user's token, `Authorization: Bearer TOKEN`, or the session cookie that
//!   `POST /auth/signin` sets. An [`Authenticate`] implementation (the `relay` facade's checks
//!   tokens against the store and the team) turns a token into a [`Caller`]. Sign-in sessions
//!   are kept in the store given to [`AppBuilder::signins`](crate::AppBuilder::signins)
//!   (shared by every server on it, surviving restarts), else in memory.
//!
//! The layer ([`App`](crate::App) installs it) puts the authenticated caller into the request's
//! extensions, so a handler reads it with `axum::Extension<relay_core::team::Caller>`. A refused
//! request never reaches its handler: it gets 401, 403 or 429 with a JSON body
//! `{"error": ..., "hint": ...}`.

pub(crate) mod layer;
mod origin;
mod public;
mod ratelimit;
pub(crate) mod refusal;
mod sessions;
mod signin;

use std::sync::Arc;

use relay_core::team::Caller;

pub(crate) use layer::{Guard, guard};
pub use origin::{Origin, OriginError};
pub use public::{PUBLIC_ROUTES, PublicRoute};
pub(crate) use ratelimit::FailureLimiter;
pub use ratelimit::RateLimit;
pub(crate) use refusal::refusal;
pub(crate) use sessions::Sessions;
pub use sessions::{SESSION_COOKIE, SESSION_TTL};
pub(crate) use signin::router as signin_router;

/// The path of the sign-in form's target (`POST`, body `token=...` or `{"token": "..."}`).
pub const SIGNIN_PATH: &str = "/auth/signin";
/// The path that ends a sign-in session (`POST`).
pub const SIGNOUT_PATH: &str = "/auth/signout";
/// The path answering who the request is authenticated as (`GET`, `{"user", "role"}`).
pub const WHOAMI_PATH: &str = "/auth/whoami";

/// Turns a user's token into the [`Caller`] it belongs to.
///
/// The `relay` facade implements it over the store's tokens (only hashes are kept) and the
/// workspace's `team:` section; an embedding service may bring its own.
#[async_trait::async_trait]
pub trait Authenticate: Send + Sync {
    /// The caller `token` belongs to, or why not. Called once per request (tokens revoked in
    /// the store stop working at once), so it should be quick.
    async fn authenticate(&self, token: &str) -> Result<Caller, AuthError>;

    /// The caller `user` is now, for a sign-in session of theirs (made by `POST /auth/signin`
    /// with one of their tokens): refused when none of their tokens is valid any more
    /// (revoked) or they may no longer use the server. Called on every request that carries
    /// the session cookie.
    async fn authenticate_user(&self, user: &str) -> Result<Caller, AuthError>;
}

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No such token (wrong, mistyped, or from another server). 401; counts as a failure for
    /// rate limiting.
    #[error("{0}")]
    Invalid(String),
    /// The token was revoked. 401; counts as a failure.
    #[error("{0}")]
    Revoked(String),
    /// The token is valid but its user may not use this server (e.g. no longer in `team:`).
    /// 403; counts as a failure.
    #[error("{0}")]
    Forbidden(String),
    /// Tokens cannot be checked right now (the store is unreachable). 503; not a failure of the
    /// client's.
    #[error("{0}")]
    Unavailable(String),
}

impl AuthError {
    /// A stable code for logs and metrics: `invalid`, `revoked`, `forbidden`, `unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Invalid(_) => "invalid",
            AuthError::Revoked(_) => "revoked",
            AuthError::Forbidden(_) => "forbidden",
            AuthError::Unavailable(_) => "unavailable",
        }
    }
}

/// How requests are authenticated.
#[derive(Clone)]
pub enum Access {
    /// No token needed: every request is this caller. Only for a server bound to loopback
    /// (see [`App::check_bind`](crate::App::check_bind)).
    Local(Caller),
    /// Every request outside the public routes needs a token this authenticator accepts.
    Tokens(Arc<dyn Authenticate>),
}

impl Access {
    /// [`Access::Tokens`] over `authenticator`.
    pub fn tokens(authenticator: impl Authenticate + 'static) -> Self {
        Access::Tokens(Arc::new(authenticator))
    }

    /// Whether requests need a token.
    pub fn needs_token(&self) -> bool {
        matches!(self, Access::Tokens(_))
    }
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Local(caller) => f.debug_tuple("Local").field(caller).finish(),
            Access::Tokens(_) => f.write_str("Tokens(..)"),
        }
    }
}
