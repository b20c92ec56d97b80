//! The middleware every request passes: WebSocket `Origin`, then the caller (local, token or
//! session cookie), then the handler — or a refusal, and the handler never runs.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use relay_core::team::Caller;

use super::sessions::{Unavailable, cookie};
use super::{
    Access, AuthError, FailureLimiter, Origin, PublicRoute, SESSION_COOKIE, Sessions, refusal,
};
use crate::client::Client;
use crate::metrics::Metrics;

/// A static token accepted under a path prefix (the `/mcp` token, `RELAY_MCP_TOKEN`).
#[derive(Clone)]
pub(crate) struct PathToken {
    pub(crate) prefix: String,
    pub(crate) token: String,
    pub(crate) caller: Caller,
}

impl PathToken {
    fn covers(&self, path: &str) -> bool {
        path == self.prefix
            || path
                .strip_prefix(self.prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// What the layer and the sign-in routes share.
pub(crate) struct Guard {
    pub(crate) access: Access,
    pub(crate) sessions: Sessions,
    pub(crate) limiter: FailureLimiter,
    pub(crate) allowed_origins: Vec<Origin>,
    pub(crate) public: Vec<PublicRoute>,
    pub(crate) path_tokens: Vec<PathToken>,
    pub(crate) behind_proxy: bool,
    pub(crate) tls: bool,
    pub(crate) metrics: Metrics,
}

/// A failure to authenticate, ready to answer.
pub(crate) struct Refused {
    pub(crate) status: StatusCode,
    pub(crate) error: String,
    pub(crate) hint: &'static str,
    /// Whether it counts toward the client's rate limit (a credential was presented and failed).
    pub(crate) counts: bool,
    pub(crate) reason: &'static str,
}

const TOKEN_HINT: &str = "send `Authorization: Bearer TOKEN` with a token from `relay team token create USER`, or sign in on the page";

impl Guard {
    pub(crate) fn client(&self, req: &Request) -> Client {
        Client::of(
            req.headers(),
            Client::peer(req.extensions()),
            self.tls,
            self.behind_proxy,
        )
    }

    fn is_public(&self, method: &Method, path: &str) -> bool {
        self.public.iter().any(|r| r.matches(method, path))
    }

    /// Whether `origin` is the served origin or an allowed one.
    pub(crate) fn origin_allowed(&self, origin: &Origin, client: &Client) -> bool {
        client.served_origin.as_ref() == Some(origin) || self.allowed_origins.contains(origin)
    }

    /// The refusal when the request carries an `Origin` that is neither served nor allowed
    /// (for requests that change something: a browser sends `Origin` on them).
    pub(crate) fn check_cross_origin(
        &self,
        headers: &HeaderMap,
        client: &Client,
    ) -> Option<Response> {
        let given = headers.get(header::ORIGIN)?;
        match given.to_str().ok().and_then(|s| Origin::parse(s).ok()) {
            Some(origin) if self.origin_allowed(&origin, client) => None,
            _ => Some(self.refuse_origin(given, client)),
        }
    }

    fn refuse_origin(&self, given: &HeaderValue, client: &Client) -> Response {
        self.metrics.auth_failure("origin");
        let served = client
            .served_origin
            .as_ref()
            .map_or_else(|| "unknown (no Host header)".to_owned(), Origin::to_string);
        tracing::warn!(origin = ?given, %served, "request refused: origin not allowed");
        refusal(
            StatusCode::FORBIDDEN,
            &format!(
                "origin {:?} is not allowed (this server is reached as {served})",
                given.to_str().unwrap_or("<not text>")
            ),
            "open the page from the server's own address, or start the server with --allowed-origin ORIGIN for the page's origin",
        )
    }

    /// The caller a token stands for.
    pub(crate) async fn authenticate(&self, token: &str, path: &str) -> Result<Caller, Refused> {
        if let Some(pt) = self
            .path_tokens
            .iter()
            .find(|pt| pt.covers(path) && constant_time_eq(pt.token.as_bytes(), token.as_bytes()))
        {
            return Ok(pt.caller.clone());
        }
        let Access::Tokens(authenticator) = &self.access else {
            return Err(Refused {
                status: StatusCode::UNAUTHORIZED,
                error: "wrong bearer token for this path".into(),
                hint: "send the token the server was started with (RELAY_MCP_TOKEN for /mcp)",
                counts: true,
                reason: "invalid",
            });
        };
        authenticator.authenticate(token).await.map_err(refused_for)
    }

    /// The caller of a sign-in session of `user`.
    async fn authenticate_user(&self, user: &str) -> Result<Caller, Refused> {
        match &self.access {
            Access::Tokens(authenticator) => authenticator
                .authenticate_user(user)
                .await
                .map_err(refused_for),
            Access::Local(caller) => Ok(caller.clone()),
        }
    }

    /// The caller session `id` stands for now, or why not (never counted toward the rate
    /// limit: a session id is not guessed by retrying). A session whose user was refused is
    /// ended.
    pub(crate) async fn session_caller(&self, id: &str) -> Result<Caller, Refused> {
        let user = match self.sessions.user(id).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                return Err(Refused {
                    status: StatusCode::UNAUTHORIZED,
                    error: "the sign-in session has ended (expired, signed out, or its user's tokens were revoked)".into(),
                    hint: "sign in again on the page",
                    counts: false,
                    reason: "session_ended",
                });
            }
            Err(Unavailable(why)) => {
                return Err(Refused {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    error: why,
                    hint: "the server cannot check sign-ins right now; retry later (see GET /readyz)",
                    counts: false,
                    reason: "unavailable",
                });
            }
        };
        match self.authenticate_user(&user).await {
            Ok(caller) => Ok(caller),
            Err(refused) => {
                if refused.status != StatusCode::SERVICE_UNAVAILABLE {
                    let _ = self.sessions.remove(id).await;
                }
                Err(Refused {
                    counts: false,
                    ..refused
                })
            }
        }
    }

    /// Answers `refused`, counting it toward `client`'s limit when it should.
    pub(crate) fn refuse(&self, refused: Refused, client: &Client) -> Response {
        self.metrics.auth_failure(refused.reason);
        tracing::warn!(
            status = refused.status.as_u16(),
            reason = refused.reason,
            client = ?client.ip,
            "request refused: {}",
            refused.error
        );
        let blocked = if refused.counts {
            client.ip.and_then(|ip| self.limiter.record_failure(ip))
        } else {
            None
        };
        let mut response = refusal(refused.status, &refused.error, refused.hint);
        if let Some(wait) = blocked {
            set_retry_after(&mut response, wait);
        }
        response
    }

    /// The 429 when `client` failed too often lately.
    pub(crate) fn check_rate(&self, client: &Client) -> Option<Response> {
        let wait = client.ip.and_then(|ip| self.limiter.retry_after(ip))?;
        self.metrics.auth_failure("rate_limited");
        let secs = retry_secs(wait);
        let mut response = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("too many failed sign-ins from this address; retry in {secs} s"),
            "check the token (`relay team token list` shows yours), then wait for Retry-After seconds",
        );
        set_retry_after(&mut response, wait);
        Some(response)
    }

    /// `Set-Cookie` for session `id` (empty: clears it).
    pub(crate) fn session_cookie(&self, id: &str, client: &Client) -> HeaderValue {
        let max_age = if id.is_empty() {
            0
        } else {
            self.sessions.ttl().as_secs()
        };
        let secure = if client.https { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("relay_session=; Max-Age=0"))
    }
}

/// The answer to an authenticator's refusal.
fn refused_for(e: AuthError) -> Refused {
    let (status, counts, hint) = match &e {
        AuthError::Invalid(_) | AuthError::Revoked(_) => {
            (StatusCode::UNAUTHORIZED, true, TOKEN_HINT)
        }
        AuthError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            true,
            "ask an admin to add you to the team: section of relay.yaml",
        ),
        AuthError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            false,
            "the server cannot check tokens right now; retry later (see GET /readyz)",
        ),
    };
    Refused {
        status,
        error: e.to_string(),
        hint,
        counts,
        reason: e.code(),
    }
}

/// The middleware (installed by [`App::router`](crate::App::router)).
pub(crate) async fn guard(State(g): State<Arc<Guard>>, mut req: Request, next: Next) -> Response {
    let client = g.client(&req);
    req.extensions_mut().insert(g.metrics.clone());
    req.extensions_mut().insert(client.clone());
    if is_websocket_upgrade(req.headers()) {
        let allowed = match req.headers().get(header::ORIGIN) {
            Some(origin) => origin
                .to_str()
                .ok()
                .and_then(|s| Origin::parse(s).ok())
                .is_some_and(|o| g.origin_allowed(&o, &client)),
            // Browsers always send an Origin: a handshake without one comes from a native
            // client (a phone app, a script), which cross-site WebSocket hijacking cannot
            // involve. It still needs its own bearer token (or the loopback-only local mode);
            // a cookie alone is a browser's credential and is not enough.
            None => {
                matches!(g.access, Access::Local(_))
                    || req.headers().contains_key(header::AUTHORIZATION)
            }
        };
        if !allowed {
            let given = req
                .headers()
                .get(header::ORIGIN)
                .cloned()
                .unwrap_or_else(|| HeaderValue::from_static("<none>"));
            return g.refuse_origin(&given, &client);
        }
    }
    let path = req.uri().path().to_owned();
    let public = g.is_public(req.method(), &path);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    match &g.access {
        Access::Local(caller) => {
            if !public {
                if let Some(r) = local_host(&g, &client) {
                    return r;
                }
                if unsafe_method && let Some(r) = g.check_cross_origin(req.headers(), &client) {
                    return r;
                }
                if let Some(pt) = g.path_tokens.iter().find(|pt| pt.covers(&path)) {
                    let ok = bearer(req.headers())
                        .is_some_and(|t| constant_time_eq(t.as_bytes(), pt.token.as_bytes()));
                    if !ok {
                        let refused = Refused {
                            status: StatusCode::UNAUTHORIZED,
                            error: format!("missing or wrong bearer token for {}", pt.prefix),
                            hint: "send `Authorization: Bearer <token>` with the token the server was started with (RELAY_MCP_TOKEN for /mcp)",
                            counts: bearer(req.headers()).is_some(),
                            reason: "invalid",
                        };
                        return g.refuse(refused, &client);
                    }
                }
            }
            if !public {
                tracing::Span::current().record("user", caller.user.as_str());
            }
            req.extensions_mut().insert(caller.clone());
            next.run(req).await
        }
        Access::Tokens(_) if public => next.run(req).await,
        Access::Tokens(_) => {
            if let Some(r) = g.check_rate(&client) {
                return r;
            }
            let caller = if let Some(token) = bearer(req.headers()) {
                match g.authenticate(token, &path).await {
                    Ok(caller) => caller,
                    Err(refused) => return g.refuse(refused, &client),
                }
            } else if let Some(id) = session_id(req.headers()) {
                if unsafe_method && let Some(r) = g.check_cross_origin(req.headers(), &client) {
                    return r;
                }
                match g.session_caller(&id).await {
                    Ok(caller) => caller,
                    Err(refused) => {
                        let ended = refused.status != StatusCode::SERVICE_UNAVAILABLE;
                        let mut r = g.refuse(refused, &client);
                        if ended {
                            r.headers_mut()
                                .append(header::SET_COOKIE, g.session_cookie("", &client));
                        }
                        return r;
                    }
                }
            } else {
                return g.refuse(
                    Refused {
                        status: StatusCode::UNAUTHORIZED,
                        error: "this server needs a user's token".into(),
                        hint: TOKEN_HINT,
                        counts: false,
                        reason: "missing",
                    },
                    &client,
                );
            };
            tracing::Span::current().record("user", caller.user.as_str());
            tracing::debug!(user = %caller.user, role = %caller.role, "authenticated");
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
    }
}

/// Without tokens, only loopback names may reach the server: a page whose DNS name was
/// rebound to 127.0.0.1 must not talk to it.
fn local_host(g: &Guard, client: &Client) -> Option<Response> {
    let ok = client
        .served_origin
        .as_ref()
        .is_some_and(|o| o.is_loopback() || g.allowed_origins.iter().any(|a| a.host() == o.host()));
    if ok {
        return None;
    }
    g.metrics.auth_failure("host");
    Some(refusal(
        StatusCode::FORBIDDEN,
        &format!(
            "this server has no tokens and answers only loopback names; the request was for {}",
            client
                .served_origin
                .as_ref()
                .map_or_else(|| "no Host".to_owned(), |o| o.host().to_owned())
        ),
        "open it as http://127.0.0.1:PORT or http://localhost:PORT, or add team: to relay.yaml so that tokens are required",
    ))
}

/// `Authorization: Bearer TOKEN`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The session cookie's value.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| cookie(h, SESSION_COOKIE))
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// `Upgrade: websocket` (any case), as a browser's WebSocket handshake sends.
pub(crate) fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        })
}

fn retry_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn set_retry_after(response: &mut Response, wait: Duration) {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_secs(wait)));
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
