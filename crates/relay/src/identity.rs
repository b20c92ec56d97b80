//! Who is asking: the acting user resolved to a [`Caller`] from the workspace's `team:` and,
//! for servers, a token checked against the store.

use relay_core::Workspace;
use relay_core::store::Store;
use relay_core::team::{Caller, Role};

use crate::Error;

/// How the acting user is named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Identity {
    /// `RELAY_USER`, else the OS user (the CLI's default).
    #[default]
    FromEnvironment,
    /// This user, as the embedding application vouches.
    User(String),
    /// Whoever this token belongs to (servers authenticate users this way).
    Token(String),
}

/// `RELAY_USER`, else the OS user (`USER`, `LOGNAME`, `USERNAME`, else the name of this
/// process's user id in `/etc/passwd`), else `unknown`.
pub fn current_user() -> String {
    ["RELAY_USER", "USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
        .or_else(user_of_this_process)
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(unix)]
fn user_of_this_process() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's user; no libc call needed.
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn user_of_this_process() -> Option<String> {
    None
}

/// The caller `identity` names. Without a `team:` section the user is an admin (a single
/// developer is never blocked); with one, the user must be listed.
pub(crate) async fn resolve(
    identity: &Identity,
    workspace: Option<&Workspace>,
    store: Option<&dyn Store>,
) -> Result<Caller, Error> {
    let user = match identity {
        Identity::FromEnvironment => current_user(),
        Identity::User(user) => user.clone(),
        Identity::Token(token) => user_of_token(token, store).await?,
    };
    let team = workspace.map(|w| w.team()).unwrap_or_default();
    if team.is_empty() {
        return Ok(Caller::new(user, Role::Admin));
    }
    match team.iter().find(|m| m.user == user) {
        Some(member) => Ok(Caller::member(member)),
        None => Err(Error::Unauthenticated(format!(
            "user `{user}` is not in the team: section of relay.yaml (members: {}); ask an admin \
             to add them, or set RELAY_USER to your team name",
            team.iter()
                .map(|m| m.user.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn user_of_token(token: &str, store: Option<&dyn Store>) -> Result<String, Error> {
    let store = store.ok_or_else(|| {
        Error::usage("a token can only be checked with a store: build Relay with .store(..)")
    })?;
    match check_token(token, store).await? {
        TokenCheck::Valid(user) => Ok(user),
        TokenCheck::Unknown(why) | TokenCheck::Revoked(why) => Err(Error::Unauthenticated(why)),
    }
}

/// What the store says about a token.
pub(crate) enum TokenCheck {
    /// It belongs to this user.
    Valid(String),
    /// No such token; the sentence to show.
    Unknown(String),
    /// It was revoked; the sentence to show.
    Revoked(String),
}

/// Looks `token` up by its hash (the store never sees the token).
pub(crate) async fn check_token(token: &str, store: &dyn Store) -> Result<TokenCheck, Error> {
    let hash = relay_store::token::hash(token);
    Ok(match store.token_by_hash(&hash).await? {
        None => TokenCheck::Unknown(
            "the token is not valid (wrong or unknown); ask an admin for one with `relay team token create USER`"
                .into(),
        ),
        Some(record) if record.revoked_ms.is_some() => TokenCheck::Revoked(format!(
            "the token {} of {} was revoked; ask an admin for a new one",
            record.id, record.user
        )),
        Some(record) => TokenCheck::Valid(record.user),
    })
}
