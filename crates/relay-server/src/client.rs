//! What the server knows about a request's client: its address, whether it came over HTTPS,
//! and the origin it reached the server as — from the connection, or, only when the server is
//! told it is behind a proxy, from the proxy's `X-Forwarded-*` headers.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, header};

use crate::auth::Origin;

/// The client of a request, as the server sees it. The layer puts it into the request's
/// extensions (`axum::Extension<relay_server::Client>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address: the peer's, or behind a proxy the last `X-Forwarded-For` entry
    /// (the one the proxy added). `None` when the server was not served with connect info.
    pub ip: Option<IpAddr>,
    /// Whether the client reached the server over HTTPS (TLS here, or behind a proxy
    /// `X-Forwarded-Proto: https`).
    pub https: bool,
    /// The origin the client reached: `scheme://Host` (behind a proxy `X-Forwarded-Host`).
    pub served_origin: Option<Origin>,
}

impl Client {
    /// The client of a request with `headers`, from peer `peer`, on a server that serves TLS
    /// itself when `tls` and trusts `X-Forwarded-*` when `behind_proxy`.
    pub(crate) fn of(
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        tls: bool,
        behind_proxy: bool,
    ) -> Client {
        let forwarded = |name: &str| -> Option<String> {
            if !behind_proxy {
                return None;
            }
            // The last entry is the one our proxy added; earlier ones are the client's word.
            let all = headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            all.rsplit(',')
                .map(str::trim)
                .find(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let ip = forwarded("x-forwarded-for")
            .and_then(|s| parse_ip(&s))
            .or(peer);
        let https = match forwarded("x-forwarded-proto") {
            Some(proto) => proto.eq_ignore_ascii_case("https"),
            None => tls,
        };
        let host = forwarded("x-forwarded-host").or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        let scheme = if https { "https" } else { "http" };
        Client {
            ip,
            https,
            served_origin: host.and_then(|h| Origin::from_parts(scheme, h.trim())),
        }
    }

    /// The peer address axum recorded (`into_make_service_with_connect_info::<SocketAddr>`).
    pub(crate) fn peer(extensions: &axum::http::Extensions) -> Option<IpAddr> {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
    }
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:5678`.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    s.parse::<SocketAddr>().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_behind_a_proxy() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "relay.example.com"),
        ]);
        let peer = Some("127.0.0.1".parse().unwrap());
        let direct = Client::of(&h, peer, false, false);
        assert_eq!(direct.ip, peer);
        assert!(!direct.https);
        assert_eq!(
            direct.served_origin.unwrap().to_string(),
            "http://127.0.0.1:8080"
        );
        let proxied = Client::of(&h, peer, false, true);
        assert_eq!(proxied.ip, Some("203.0.113.7".parse().unwrap()));
        assert!(proxied.https);
        assert_eq!(
            proxied.served_origin.unwrap().to_string(),
            "https://relay.example.com"
        );
    }

    #[test]
    fn a_proxy_that_sends_nothing_leaves_the_connection_facts() {
        let h = headers(&[("host", "localhost:1")]);
        let peer = Some("10.1.1.1".parse().unwrap());
        let c = Client::of(&h, peer, true, true);
        assert_eq!(c.ip, peer);
        assert!(c.https);
        assert_eq!(c.served_origin.unwrap().to_string(), "https://localhost:1");
        assert_eq!(parse_ip("[::1]:80"), Some("::1".parse().unwrap()));
        assert_eq!(parse_ip("garbage"), None);
    }
}
