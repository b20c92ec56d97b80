//! Web origins (`scheme://host[:port]`): what a browser sends in `Origin`, what the server is
//! reached as, and what `--allowed-origin` names.

use std::net::IpAddr;

/// A web origin, normalised: scheme and host lower-case, the port explicit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

/// Why a string is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a web origin ({why}); write scheme://host[:port], e.g. https://relay.example.com"
)]
pub struct OriginError {
    /// What was given.
    pub given: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl Origin {
    /// Parses `scheme://host[:port]` (a trailing `/` is allowed; a path is not).
    pub fn parse(s: &str) -> Result<Origin, OriginError> {
        let err = |why| OriginError {
            given: s.to_owned(),
            why,
        };
        let trimmed = s.trim();
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| err("no scheme"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') || rest.contains('#') {
            return Err(err("an origin has no path"));
        }
        Origin::from_parts(scheme, rest).ok_or_else(|| err("bad scheme, host or port"))
    }

    /// The origin of a server reached with `scheme` (`http`, `https`) at `authority` (a `Host`
    /// header: `host[:port]`).
    pub fn from_parts(scheme: &str, authority: &str) -> Option<Origin> {
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" | "ws" => 80,
            "https" | "wss" => 443,
            _ => return None,
        };
        if authority.is_empty()
            || authority.contains('@')
            || authority.contains(char::is_whitespace)
        {
            return None;
        }
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            Some(p) => p.parse::<u16>().ok()?,
            None => default_port,
        };
        if host.is_empty() {
            return None;
        }
        Some(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The host (IPv6 addresses in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (the scheme's default when none was written).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The scheme.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the host is a loopback name or address (`localhost`, `*.localhost`,
    /// `127.0.0.0/8`, `::1`).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let default = matches!(
            (self.scheme.as_str(), self.port),
            ("http" | "ws", 80) | ("https" | "wss", 443)
        );
        if default {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

impl std::str::FromStr for Origin {
    type Err = OriginError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse(s)
    }
}

/// `host[:port]` or `[v6][:port]`.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &authority[..end + 2];
        let after = &rest[end + 1..];
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, Some(port))),
        Some(_) => None,
        None => Some((authority, None)),
    }
}

/// Whether `host` (a name, an IPv4 address or a bracketed IPv6 address) is loopback.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_normalised() {
        let a = Origin::parse("HTTPS://Relay.Example.com").unwrap();
        let b = Origin::from_parts("https", "relay.example.com:443").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "https://relay.example.com");
        assert_ne!(a, Origin::parse("http://relay.example.com").unwrap());
        assert_ne!(a, Origin::parse("https://relay.example.com:8443").unwrap());
        let v6 = Origin::from_parts("http", "[::1]:8080").unwrap();
        assert_eq!(v6.to_string(), "http://[::1]:8080");
        assert!(v6.is_loopback());
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080/").unwrap().to_string(),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn bad_origins_say_why() {
        for (s, why) in [
            ("relay.example.com", "no scheme"),
            ("https://relay.example.com/app", "an origin has no path"),
            ("ftp://relay.example.com", "bad scheme, host or port"),
            (
                "https://relay.example.com:99999",
                "bad scheme, host or port",
            ),
            ("https://", "bad scheme, host or port"),
            ("https://user@host", "bad scheme, host or port"),
        ] {
            let e = Origin::parse(s).unwrap_err();
            assert_eq!(e.why, why, "{s}");
            assert!(e.to_string().contains("scheme://host[:port]"));
        }
        assert!(Origin::parse("null").is_err());
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "app.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "example.com",
            "10.0.0.1",
            "[::2]",
            "localhost.example.com",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
