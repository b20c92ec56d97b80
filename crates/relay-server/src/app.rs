//! [`App`]: Relay's operations and security layers around a router — authentication, the
//! WebSocket `Origin` check, rate limiting of failures, `/auth/*`, `/readyz`, `/metrics`,
//! request ids and request logs. `relay serve` uses it; so can a service of your own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use relay_core::store::Store;
use relay_core::team::Caller;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::ServerError;
use crate::auth::{
    self, Access, FailureLimiter, Guard, Origin, PUBLIC_ROUTES, PublicRoute, RateLimit,
    SESSION_TTL, Sessions,
};
use crate::metrics::{self, Collect, Metrics};
use crate::ready::{self, ReadyCheck};

/// How long one metrics collector may take at a scrape.
const COLLECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The layers and operational routes of a Relay server; see [`App::builder`].
///
/// ```
/// use relay_core::team::{Caller, Role};
/// use relay_server::{Access, App, ReadyCheck, axum::Router, axum::routing::get};
///
/// let app = App::builder(Access::Local(Caller::new("ann", Role::Admin)))
///     .ready_check(ReadyCheck::new("store", || async { Ok(()) }))
///     .build();
/// let metrics = app.metrics();                   // hand clones to your handlers
/// let routes = Router::new().route("/hello", get(|| async { "hi" }));
/// let router = app.router(routes);               // + /auth/*, /readyz, /metrics, all guarded
/// app.check_bind("127.0.0.1:8080".parse().unwrap()).unwrap();
/// assert!(app.check_bind("0.0.0.0:8080".parse().unwrap()).is_err());
/// # let _ = (router, metrics);
/// ```
#[derive(Clone)]
pub struct App {
    guard: Arc<Guard>,
    checks: Arc<Vec<ReadyCheck>>,
    collectors: Arc<Vec<Arc<dyn Collect>>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("access", &self.guard.access)
            .field("behind_proxy", &self.guard.behind_proxy)
            .field("tls", &self.guard.tls)
            .field("allowed_origins", &self.guard.allowed_origins)
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

impl App {
    /// A builder: requests authenticated as `access` says, no proxy trusted, plain HTTP, the
    /// default [public routes](crate::auth::PUBLIC_ROUTES) and [`RateLimit`], no readiness
    /// checks, fresh [`Metrics`].
    pub fn builder(access: Access) -> AppBuilder {
        AppBuilder {
            access,
            allowed_origins: Vec::new(),
            public: PUBLIC_ROUTES.to_vec(),
            path_tokens: Vec::new(),
            behind_proxy: false,
            tls: false,
            rate_limit: RateLimit::default(),
            session_ttl: SESSION_TTL,
            signins: None,
            metrics: None,
            checks: Vec::new(),
            collectors: Vec::new(),
        }
    }

    /// The metrics `/metrics` serves (a clone shares them).
    pub fn metrics(&self) -> Metrics {
        self.guard.metrics.clone()
    }

    /// How requests are authenticated.
    pub fn access(&self) -> &Access {
        &self.guard.access
    }

    /// `Err` when serving on `addr` would open the server to other machines without tokens
    /// ([`Access::Local`] on a non-loopback address): call it with the bound address before
    /// serving.
    pub fn check_bind(&self, addr: SocketAddr) -> Result<(), ServerError> {
        match self.guard.access {
            Access::Local(_) if !addr.ip().is_loopback() => {
                Err(ServerError::OpenToNetwork { addr })
            }
            _ => Ok(()),
        }
    }

    /// `routes` with `POST /auth/signin`, `POST /auth/signout`, `GET /auth/whoami`,
    /// `GET /readyz` and `GET /metrics` added, and every request passing, in order: a request
    /// id (`X-Request-Id`, kept when the client sent one, echoed in the response), a request
    /// span and log line (`request_id`, `method`, `path`, and empty `user` and `session_id`
    /// fields for handlers to record), then the auth layer, which puts the
    /// [`Caller`](relay_core::team::Caller), the [`Client`](crate::Client) and the
    /// [`Metrics`] into the request's extensions or refuses the request.
    ///
    /// Merge every route in `routes` before calling this: routes added to the result later
    /// are not guarded. Serve it with connect info (as [`Server::serve`](crate::Server::serve)
    /// does) so that failures are rate limited per client address.
    pub fn router(&self, routes: Router) -> Router {
        let checks = self.checks.clone();
        let collectors = self.collectors.clone();
        let metrics = self.guard.metrics.clone();
        let ops = Router::new()
            .route(
                ready::READY_PATH,
                get(move || {
                    let checks = checks.clone();
                    async move { ready::respond(&checks).await }
                }),
            )
            .route(
                metrics::METRICS_PATH,
                get(move || {
                    let (collectors, metrics) = (collectors.clone(), metrics.clone());
                    async move { scrape(&collectors, &metrics).await }
                }),
            );
        routes
            .merge(ops)
            .merge(auth::signin_router(self.guard.clone()))
            .layer(axum::middleware::from_fn_with_state(
                self.guard.clone(),
                auth::guard,
            ))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
            )
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    }
}

fn request_span<B>(req: &Request<B>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        user = tracing::field::Empty,
        session_id = tracing::field::Empty,
    )
}

async fn scrape(collectors: &[Arc<dyn Collect>], metrics: &Metrics) -> Response {
    futures::future::join_all(collectors.iter().map(|c| async move {
        if tokio::time::timeout(COLLECT_TIMEOUT, c.collect(metrics))
            .await
            .is_err()
        {
            tracing::warn!("a metrics collector took longer than {COLLECT_TIMEOUT:?}");
        }
    }))
    .await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        metrics.encode(),
    )
        .into_response()
}

/// Configures an [`App`]; made by [`App::builder`].
#[must_use = "a builder does nothing until .build()"]
pub struct AppBuilder {
    access: Access,
    allowed_origins: Vec<Origin>,
    public: Vec<PublicRoute>,
    path_tokens: Vec<auth::layer::PathToken>,
    behind_proxy: bool,
    tls: bool,
    rate_limit: RateLimit,
    session_ttl: Duration,
    signins: Option<Arc<dyn Store>>,
    metrics: Option<Metrics>,
    checks: Vec<ReadyCheck>,
    collectors: Vec<Arc<dyn Collect>>,
}

impl std::fmt::Debug for AppBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppBuilder")
            .field("access", &self.access)
            .field("allowed_origins", &self.allowed_origins)
            .field("behind_proxy", &self.behind_proxy)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl AppBuilder {
    /// Also accepts WebSocket upgrades (and cross-origin writes) from pages of `origin`,
    /// besides the origin the server is reached as. Without tokens, its host also counts as a
    /// local name.
    pub fn allowed_origin(mut self, origin: Origin) -> Self {
        self.allowed_origins.push(origin);
        self
    }

    /// Trusts `X-Forwarded-For` (the client address, for rate limiting), `X-Forwarded-Proto`
    /// (HTTPS, for `Secure` cookies and the served origin) and `X-Forwarded-Host` (the served
    /// origin), each by its last entry. Only set this behind a proxy that overwrites or
    /// appends them: a client reaching the server directly could otherwise forge them.
    pub fn behind_proxy(mut self, yes: bool) -> Self {
        self.behind_proxy = yes;
        self
    }

    /// The server serves HTTPS itself ([`Server::tls`](crate::Server::tls)): the served
    /// origin is `https://...` and cookies are `Secure`.
    pub fn tls(mut self, yes: bool) -> Self {
        self.tls = yes;
        self
    }

    /// Another route that needs no token (see [`PUBLIC_ROUTES`](crate::auth::PUBLIC_ROUTES)).
    pub fn public_route(mut self, route: PublicRoute) -> Self {
        self.public.push(route);
        self
    }

    /// Accepts `Authorization: Bearer <token>` for paths under `prefix` as `caller` (the
    /// `/mcp` token of `RELAY_MCP_TOKEN`). With [`Access::Local`] the token is required there;
    /// with [`Access::Tokens`] users' tokens are accepted too. Compared in constant time,
    /// never logged.
    pub fn path_token(
        mut self,
        prefix: impl Into<String>,
        token: impl Into<String>,
        caller: Caller,
    ) -> Self {
        self.path_tokens.push(auth::layer::PathToken {
            prefix: prefix.into().trim_end_matches('/').to_owned(),
            token: token.into(),
            caller,
        });
        self
    }

    /// How failed authentications are limited (default [`RateLimit::default`]).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// How long a sign-in lasts (default [`SESSION_TTL`]).
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Keeps sign-in sessions in `store` (only hashes of their ids): every server on the same
    /// store accepts a cookie any of them issued, a restart signs nobody out, and revoking a
    /// user's tokens ([`Store::revoke_tokens`]) ends their sessions everywhere. Without it
    /// sessions live in this process's memory.
    pub fn signins(mut self, store: Arc<dyn Store>) -> Self {
        self.signins = Some(store);
        self
    }

    /// These metrics instead of fresh ones (e.g. a handle the webhook receiver already has).
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// A check `GET /readyz` runs.
    pub fn ready_check(mut self, check: ReadyCheck) -> Self {
        self.checks.push(check);
        self
    }

    /// A collector `GET /metrics` runs before answering.
    pub fn collector(mut self, collector: impl Collect + 'static) -> Self {
        self.collectors.push(Arc::new(collector));
        self
    }

    /// The app.
    pub fn build(self) -> App {
        App {
            guard: Arc::new(Guard {
                access: self.access,
                sessions: match self.signins {
                    Some(store) => Sessions::in_store(store, self.session_ttl),
                    None => Sessions::memory(self.session_ttl),
                },
                limiter: FailureLimiter::new(self.rate_limit),
                allowed_origins: self.allowed_origins,
                public: self.public,
                path_tokens: self.path_tokens,
                behind_proxy: self.behind_proxy,
                tls: self.tls,
                metrics: self.metrics.unwrap_or_default(),
            }),
            checks: Arc::new(self.checks),
            collectors: Arc::new(self.collectors),
        }
    }
}
