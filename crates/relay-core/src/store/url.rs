use std::path::{Path, PathBuf};

use super::StoreError;
use crate::redact::redact_url_credentials;

/// Which store to open: `sqlite:PATH` or `redis://[:PASSWORD@]HOST[:PORT][/DB]`.
///
/// ```
/// use relay_core::store::StoreUrl;
/// let url: StoreUrl = "redis://:hunter2@cache:6379/2".parse().unwrap();
/// assert_eq!(url.redacted(), "redis://***@cache:6379/2");
/// assert!(matches!("sqlite:.relay/relay.db".parse::<StoreUrl>(), Ok(StoreUrl::Sqlite(_))));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An SQLite database file (created when missing).
    Sqlite(PathBuf),
    /// A Redis server; the string is the full URL as given.
    Redis(String),
}

impl StoreUrl {
    /// The default store of a workspace: `<root>/.relay/relay.db`.
    pub fn default_for(root: &Path) -> Self {
        StoreUrl::Sqlite(root.join(".relay").join("relay.db"))
    }

    /// The URL as text with any password replaced by `***`: what messages and logs show.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
            StoreUrl::Redis(url) => redact_url_credentials(url),
        }
    }

    /// The URL with a relative SQLite path resolved against `base`.
    pub fn resolve(self, base: &Path) -> Self {
        match self {
            StoreUrl::Sqlite(path) if path.is_relative() => StoreUrl::Sqlite(base.join(path)),
            other => other,
        }
    }

    /// Whether a Redis URL carries a password (which belongs in the environment, not a file).
    pub fn has_password(&self) -> bool {
        match self {
            StoreUrl::Sqlite(_) => false,
            StoreUrl::Redis(url) => url
                .split_once("://")
                .map(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
                .unwrap_or(false),
        }
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::str::FromStr for StoreUrl {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = |reason: &str| StoreError::InvalidUrl {
            url: redact_url_credentials(text),
            reason: reason.to_owned(),
        };
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(invalid(
                    "no database path; write sqlite:PATH, e.g. sqlite:.relay/relay.db",
                ));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some(rest) = text.strip_prefix("redis://") {
            let authority = rest.split('/').next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or("");
            if host.is_empty() || host.starts_with(':') {
                return Err(invalid(
                    "no host; write redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0",
                ));
            }
            if let Some((_, port)) = host.rsplit_once(':')
                && port.parse::<u16>().is_err()
            {
                return Err(invalid("the port must be a number from 1 to 65535"));
            }
            if let Some(db) = rest.split_once('/').map(|(_, db)| db)
                && !db.is_empty()
                && db.parse::<u32>().is_err()
            {
                return Err(invalid("the database after `/` must be a number, e.g. /0"));
            }
            return Ok(StoreUrl::Redis(text.to_owned()));
        }
        Err(invalid(
            "use sqlite:PATH (embedded, the default) or redis://HOST:PORT/DB (shared by several hosts)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds_and_rejects_others_with_what_to_write() {
        assert_eq!(
            "sqlite:/tmp/x.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            "redis://127.0.0.1:6380/3".parse::<StoreUrl>().unwrap(),
            StoreUrl::Redis("redis://127.0.0.1:6380/3".into())
        );
        let err = "postgres://u:secret@h/db"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("use sqlite:PATH"), "{err}");
        assert!(!err.contains("secret"), "{err}");
        let err = "redis://:pw@h:port/0"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("port must be a number") && !err.contains("pw"),
            "{err}"
        );
        assert!("sqlite:".parse::<StoreUrl>().is_err());
        assert!("redis:///0".parse::<StoreUrl>().is_err());
        assert!("redis://h:1/x".parse::<StoreUrl>().is_err());
    }

    #[test]
    fn passwords_never_show() {
        let url: StoreUrl = "redis://user:pw@h:1/0".parse().unwrap();
        assert!(url.has_password());
        assert_eq!(
            format!("{url} {url:?}"),
            "redis://***@h:1/0 redis://***@h:1/0"
        );
        assert!(!"redis://h:1/0".parse::<StoreUrl>().unwrap().has_password());
    }
}
