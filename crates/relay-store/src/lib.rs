//! # relay-store
//!
//! Implementations of relay-core's [`Store`]: [`SqliteStore`] (embedded, the default, at
//! `<workspace>/.relay/relay.db`: nothing to install, nothing to start) and [`RedisStore`] (one
//! Redis shared by several Relay processes on several hosts, using Redis's own structures: keys
//! with a TTL for sessions, a stream with a consumer group for the job queue, pub/sub for
//! notifications). [`open`] picks one from a [`StoreUrl`]; a store that cannot be reached or
//! opened is an error naming the URL (password redacted), never a silent fallback.
//!
//! Also here, shared by both: the audit chain ([`chain`]: hashing and verification) and user
//! tokens ([`token`]: generation and hashing).

pub mod chain;
mod redis;
mod sqlite;
pub mod token;

use std::sync::Arc;

use relay_core::store::{Store, StoreError, StoreUrl};

pub use crate::redis::RedisStore;
pub use crate::sqlite::SqliteStore;

/// The newest schema version this build knows; older stores are migrated forward on open.
pub const SCHEMA_VERSION: u32 = 4;

/// Opens the store `url` names, migrating its schema forward.
pub async fn open(url: &StoreUrl) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match url {
        StoreUrl::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        StoreUrl::Redis(_) => Arc::new(RedisStore::open(url).await?),
    })
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The listing line of a session.
pub(crate) fn summary(
    s: &relay_core::store::SessionRecord,
    expires_ms: u64,
) -> relay_core::store::SessionSummary {
    relay_core::store::SessionSummary {
        id: s.id.clone(),
        user: s.user.clone(),
        updated_ms: s.updated_ms,
        expires_ms,
        primary: s.primary.clone(),
        turns: s.turns.len() as u64,
    }
}

/// The jobs of `all` that `filter` selects, in the order given.
pub(crate) fn filter_jobs(
    all: Vec<relay_core::store::JobRecord>,
    filter: &relay_core::store::JobFilter,
) -> Vec<relay_core::store::JobRecord> {
    all.into_iter()
        .filter(|j| filter.states.is_empty() || filter.states.contains(&j.state))
        .filter(|j| filter.since_ms.is_none_or(|since| j.updated_ms >= since))
        .filter(|j| filter.user.as_ref().is_none_or(|u| &j.user == u))
        .collect()
}

/// `text` with the password of `url` (if it has one) replaced, for client errors that echo it.
pub(crate) fn redact(text: &str, url: &str) -> String {
    let text = relay_core::redact::redact_url_credentials(text);
    match url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|authority| authority.rsplit_once('@'))
        .map(|(userinfo, _)| userinfo.rsplit(':').next().unwrap_or(userinfo))
    {
        Some(password) if !password.is_empty() => text.replace(password, "***"),
        _ => text,
    }
}

/// `ms` (since the Unix epoch) as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn format_time(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_format_as_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00:00");
        assert_eq!(super::format_time(1_796_469_296_000), "2026-12-05 11:14:56");
    }
}
