//! The routes that need no token: what must work before anyone signs in, and what has its own
//! authentication.

use std::borrow::Cow;

use axum::http::Method;

/// A route every client may use without a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRoute {
    /// The method (`GET` also covers `HEAD`).
    pub method: Method,
    /// The path, exactly; or, when [`prefix`](Self::prefix), every path starting with it.
    pub path: Cow<'static, str>,
    /// Whether [`path`](Self::path) is a prefix.
    pub prefix: bool,
}

impl PublicRoute {
    /// `GET path` (and `HEAD`), exactly.
    pub fn get(path: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::GET, path, false)
    }

    /// `GET` (and `HEAD`) of every path under `prefix` (e.g. `/assets/`).
    pub fn get_prefix(prefix: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::GET, prefix, true)
    }

    /// `POST path`, exactly.
    pub fn post(path: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Method::POST, path, false)
    }

    const fn fixed(method: Method, path: &'static str, prefix: bool) -> Self {
        PublicRoute {
            method,
            path: Cow::Borrowed(path),
            prefix,
        }
    }

    fn new(method: Method, path: impl Into<Cow<'static, str>>, prefix: bool) -> Self {
        PublicRoute {
            method,
            path: path.into(),
            prefix,
        }
    }

    /// Whether a request `method path` is this route.
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        let method_ok =
            *method == self.method || (self.method == Method::GET && *method == Method::HEAD);
        method_ok
            && if self.prefix {
                path.starts_with(self.path.as_ref())
            } else {
                path == self.path
            }
    }
}

/// The routes that need no token, by default:
///
/// | route | why |
/// |---|---|
/// | `GET /`, `GET /index.html`, `GET /favicon.ico`, `GET /assets/*` | the page and its static assets: it must load to show the sign-in form (it holds no data) |
/// | `GET /healthz`, `GET /readyz` | probes of load balancers and orchestrators |
/// | `POST /webhooks/github` | signed with the webhook's own secret (`X-Hub-Signature-256`) |
/// | `POST /auth/signin` | takes the token itself (failures are rate limited like any other) |
/// | `POST /auth/signout` | ends the session its cookie names, if any |
///
/// Everything else — `/metrics`, `/mcp`, `/auth/whoami`, the voice gateway — needs a token.
/// [`AppBuilder::public_route`](crate::AppBuilder::public_route) adds to the list.
pub const PUBLIC_ROUTES: [PublicRoute; 9] = [
    PublicRoute::fixed(Method::GET, "/", false),
    PublicRoute::fixed(Method::GET, "/index.html", false),
    PublicRoute::fixed(Method::GET, "/favicon.ico", false),
    PublicRoute::fixed(Method::GET, "/assets/", true),
    PublicRoute::fixed(Method::GET, crate::HEALTH_PATH, false),
    PublicRoute::fixed(Method::GET, crate::ready::READY_PATH, false),
    PublicRoute::fixed(Method::POST, crate::webhooks::WEBHOOK_PATH, false),
    PublicRoute::fixed(Method::POST, super::SIGNIN_PATH, false),
    PublicRoute::fixed(Method::POST, super::SIGNOUT_PATH, false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_probes_are_public_and_the_rest_is_not() {
        let public = |m: Method, p: &str| PUBLIC_ROUTES.iter().any(|r| r.matches(&m, p));
        assert!(public(Method::GET, "/"));
        assert!(public(Method::HEAD, "/"));
        assert!(public(Method::GET, "/assets/app.js"));
        assert!(public(Method::GET, "/healthz"));
        assert!(public(Method::POST, "/webhooks/github"));
        assert!(public(Method::POST, "/auth/signin"));
        assert!(!public(Method::POST, "/"));
        assert!(!public(Method::GET, "/webhooks/github"));
        assert!(!public(Method::GET, "/metrics"));
        assert!(!public(Method::GET, "/auth/whoami"));
        assert!(!public(Method::POST, "/mcp"));
        assert!(!public(Method::GET, "/ws"));
        assert!(!public(Method::GET, "/assetsx"));
    }
}
