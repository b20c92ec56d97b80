//! Who may use `relay serve`, and what it reports about itself: the server's [`Access`] from
//! the workspace's `team:` and the store's tokens, a readiness check of the store, and the job
//! counts of `/metrics`.

use std::sync::Arc;

use relay_core::store::{JobFilter, Store};
use relay_core::team::{Caller, TeamMember};
use relay_server::auth::{Access, AuthError, Authenticate};
use relay_server::metrics::{Collect, Metrics};
use relay_server::{App, AppBuilder, ReadyCheck};

use crate::identity::{TokenCheck, check_token};
use crate::{Error, Relay};

/// Checks users' tokens against the store (hashes only) and the workspace's `team:` section:
/// the [`Authenticate`] of `relay serve`.
pub struct TokenAuthenticator {
    store: Arc<dyn Store>,
    team: Vec<TeamMember>,
}

impl std::fmt::Debug for TokenAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthenticator")
            .field("store", &self.store.url())
            .field("team", &self.team.len())
            .finish()
    }
}

impl TokenAuthenticator {
    /// Tokens of `store`, users of `team` (every user is an admin when `team` is empty, as
    /// without a `team:` section).
    pub fn new(store: Arc<dyn Store>, team: Vec<TeamMember>) -> Self {
        TokenAuthenticator { store, team }
    }
}

#[async_trait::async_trait]
impl Authenticate for TokenAuthenticator {
    async fn authenticate(&self, token: &str) -> Result<Caller, AuthError> {
        let user = match check_token(token, self.store.as_ref()).await {
            Ok(TokenCheck::Valid(user)) => user,
            Ok(TokenCheck::Unknown(why)) => return Err(AuthError::Invalid(why)),
            Ok(TokenCheck::Revoked(why)) => return Err(AuthError::Revoked(why)),
            Err(e) => {
                tracing::warn!("cannot check a token: {e}");
                return Err(AuthError::Unavailable(
                    "the store holding the tokens cannot be reached".into(),
                ));
            }
        };
        self.member(user)
    }

    async fn authenticate_user(&self, user: &str) -> Result<Caller, AuthError> {
        let tokens = self
            .store
            .tokens(Some(user.to_owned()))
            .await
            .map_err(|e| {
                tracing::warn!("cannot check a user's tokens: {e}");
                AuthError::Unavailable("the store holding the tokens cannot be reached".into())
            })?;
        if !tokens.iter().any(|t| t.revoked_ms.is_none()) {
            return Err(AuthError::Revoked(format!(
                "the tokens of {user} were revoked, which ended this sign-in; ask an admin for a new token"
            )));
        }
        self.member(user.to_owned())
    }
}

impl TokenAuthenticator {
    /// `user` as a caller of this workspace: their role in `team:` (admin without a team).
    fn member(&self, user: String) -> Result<Caller, AuthError> {
        if self.team.is_empty() {
            return Ok(Caller::new(user, relay_core::team::Role::Admin));
        }
        match self.team.iter().find(|m| m.user == user) {
            Some(member) => Ok(Caller::member(member)),
            None => Err(AuthError::Forbidden(format!(
                "user `{user}` has a token but is not in the team: section of relay.yaml"
            ))),
        }
    }
}

/// `relay_jobs{status}` from the store's durable jobs, at each scrape.
struct JobCounts(Arc<dyn Store>);

#[async_trait::async_trait]
impl Collect for JobCounts {
    async fn collect(&self, metrics: &Metrics) {
        let jobs = match self.0.jobs(JobFilter::default()).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!("cannot count jobs for /metrics: {e}");
                return;
            }
        };
        let mut counts = std::collections::BTreeMap::<&str, u64>::new();
        for state in [
            "queued",
            "running",
            "succeeded",
            "failed",
            "cancelled",
            "interrupted",
        ] {
            counts.insert(state, 0);
        }
        for job in &jobs {
            *counts.entry(job.state.as_str()).or_default() += 1;
        }
        for (state, n) in counts {
            metrics.set_jobs(state, n);
        }
    }
}

impl Relay {
    /// How a server of this workspace authenticates requests: without a `team:` section, no
    /// token is needed and every request is [`Relay::caller`] (only on loopback:
    /// [`App::check_bind`] refuses other addresses); with one, every request needs a user's
    /// token, checked against the store (which must be configured).
    pub fn server_access(&self) -> Result<Access, Error> {
        let team = self
            .workspace()
            .map(|w| w.team().to_vec())
            .unwrap_or_default();
        if team.is_empty() {
            return Ok(Access::Local(self.caller().clone()));
        }
        let store = self.store().ok_or_else(|| {
            Error::usage(
                "relay.yaml has a team: section, so the server needs users' tokens, and tokens live in the store: build Relay with .store(StoreChoice::Configured)",
            )
        })?;
        Ok(Access::tokens(TokenAuthenticator::new(store, team)))
    }

    /// An [`App`] builder for serving this workspace: [`Relay::server_access`], and with a
    /// store a `store` readiness check, `relay_jobs` counted from its jobs and (with users'
    /// tokens) sign-in sessions kept in it ([`AppBuilder::signins`]). Add TLS, proxy,
    /// origins and further checks, then [`AppBuilder::build`].
    pub fn server_app(&self) -> Result<AppBuilder, Error> {
        let access = self.server_access()?;
        let tokens = access.needs_token();
        let mut app = App::builder(access);
        if let Some(store) = self.store() {
            if tokens {
                app = app.signins(store.clone());
            }
            let probe = store.clone();
            app = app
                .ready_check(ReadyCheck::new("store", move || {
                    let store = probe.clone();
                    async move {
                        store
                            .schema_version()
                            .await
                            .map(drop)
                            .map_err(|e| format!("the store {} does not answer: {e}", store.url()))
                    }
                }))
                .collector(JobCounts(store));
        }
        Ok(app)
    }
}
