//! `relay serve`'s security and operations layer over real HTTP on loopback: users' tokens made
//! through the store (valid, wrong, revoked), sign-in cookies, the WebSocket `Origin` check,
//! the rate limit of failures, loopback without a team, `--behind-proxy`, `/readyz`,
//! `/metrics`, and a page over TLS with a certificate made here. A refused request never
//! reaches its handler: every test route counts its calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use relay::core::team::Caller;
use relay::server::auth::RateLimit;
use relay::server::axum::routing::get;
use relay::server::axum::{Extension, Router};
use relay::server::webhooks::{WebhookSecret, Webhooks};
use relay::server::{App, AppBuilder, ReadyCheck, Server, TlsConfig};
use relay::{Relay, StoreChoice};
use relay_testkit::git::write_workspace;
use reqwest::StatusCode;
use serde_json::Value;

const TEAM: &str = "team:\n  - user: ann\n    role: admin\n  - user: bob\n    role: developer\n";

fn workspace(team: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[]), ("app", &["api"])]);
    let file = dir.path().join("relay.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{yaml}{team}")).unwrap();
    dir
}

/// Relay as `user`, with the workspace's store.
async fn relay_as(dir: &tempfile::TempDir, user: &str) -> Relay {
    Relay::builder()
        .workspace(dir.path())
        .store(StoreChoice::Configured)
        .user(user)
        .build()
        .await
        .unwrap()
}

/// A served router: test routes that count their calls, behind the app's layers.
struct Served {
    base: String,
    hits: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn test_routes(hits: Arc<AtomicUsize>) -> Router {
    let (a, b) = (hits.clone(), hits);
    Router::new()
        .route(
            "/probe",
            get(move |Extension(caller): Extension<Caller>| {
                a.fetch_add(1, Ordering::SeqCst);
                async move { format!("{} ({})", caller.user, caller.role) }
            })
            .post(|Extension(caller): Extension<Caller>| async move { caller.user }),
        )
        .route(
            "/ws",
            get(move || {
                b.fetch_add(1, Ordering::SeqCst);
                async { "the gateway would upgrade here" }
            }),
        )
        .route(
            "/",
            get(|| async { "<!doctype html><title>Relay</title><form data-testid=signin></form>" }),
        )
}

async fn serve_with(app: App, extra: Router, tls: Option<TlsConfig>) -> Served {
    let hits = Arc::new(AtomicUsize::new(0));
    let router = app.router(test_routes(hits.clone()).merge(extra));
    let mut server = Server::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some(tls) = tls {
        server = server.tls(tls);
    }
    let port = server.local_addr().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(router, async move {
        let _ = stopped.await;
    }));
    let host = if scheme == "https" {
        "localhost"
    } else {
        "127.0.0.1"
    };
    Served {
        base: format!("{scheme}://{host}:{port}"),
        hits,
        stop: Some(stop),
    }
}

async fn serve(app: App) -> Served {
    serve_with(app, Router::new(), None).await
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Status, headers and JSON body (Null when not JSON).
async fn answer(r: reqwest::RequestBuilder) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = r.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// A refusal's body has an error and a hint.
fn assert_refusal(body: &Value, error_has: &str) {
    let error = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {body}"));
    assert!(error.contains(error_has), "{error:?} lacks {error_has:?}");
    assert!(
        !body["hint"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
}

/// A WebSocket handshake request from a page of `origin` (none when `None`).
fn upgrade(c: &reqwest::Client, url: &str, origin: Option<&str>) -> reqwest::RequestBuilder {
    let r = c
        .get(url)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    match origin {
        Some(o) => r.header("origin", o),
        None => r,
    }
}

async fn team_app(dir: &tempfile::TempDir) -> (Relay, AppBuilder) {
    let admin = relay_as(dir, "ann").await;
    let app = admin.server_app().unwrap();
    (admin, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_team_every_request_needs_a_valid_token_and_refusals_reach_no_handler() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let bob = admin.create_token("bob").await.unwrap().token;
    let served = serve(app.build()).await;
    let c = client();
    let probe = format!("{}/probe", served.base);

    let (status, headers, body) = answer(c.get(&probe)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_refusal(&body, "needs a user's token");

    let (status, _, body) = answer(c.get(&probe).bearer_auth("relay_0000wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "not valid");
    assert!(
        !body.to_string().contains("relay_0000wrong"),
        "the token is never echoed: {body}"
    );

    let (status, _, body) = answer(c.get(&probe).bearer_auth(&bob)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::String("bob (developer)".into()));
    assert_eq!(served.hits.load(Ordering::SeqCst), 1);

    // Revoked in the store: refused at once, no restart.
    assert_eq!(admin.revoke_tokens("bob").await.unwrap(), 1);
    let (status, _, body) = answer(c.get(&probe).bearer_auth(&bob)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "was revoked");
    assert_eq!(
        served.hits.load(Ordering::SeqCst),
        1,
        "no refused request reached the handler"
    );

    // Public: the page, the probes; not public: /metrics.
    let (status, _, _) = answer(c.get(format!("{}/", served.base))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = answer(c.get(format!("{}/readyz", served.base))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = answer(c.get(format!("{}/metrics", served.base))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_sets_a_session_cookie_that_is_not_the_token_and_signing_out_ends_it() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let ann = admin.create_token("ann").await.unwrap().token;
    let served = serve(app.build()).await;
    let c = client();
    let signin = format!("{}/auth/signin", served.base);

    let (status, _, body) = answer(c.post(&signin).body(r#"{"token": "relay_nope"}"#)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "not valid");
    let (status, _, body) = answer(c.post(&signin).body("{}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_refusal(&body, "no token");

    let (status, headers, body) = answer(
        c.post(&signin)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "token": ann }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, serde_json::json!({"user": "ann", "role": "admin"}));
    let set_cookie = headers["set-cookie"].to_str().unwrap().to_owned();
    let parts: Vec<&str> = set_cookie.split("; ").collect();
    let (name, id) = parts[0].split_once('=').unwrap();
    assert_eq!(name, "relay_session");
    assert_eq!(id.len(), 64);
    assert!(
        !set_cookie.contains(&ann),
        "the cookie never holds the token"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(parts.contains(&attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP: no Secure: {set_cookie}"
    );
    let cookie = parts[0].to_owned();

    let (status, _, body) = answer(
        c.get(format!("{}/auth/whoami", served.base))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(
        (status, body["user"].as_str()),
        (StatusCode::OK, Some("ann"))
    );
    let (status, _, _) = answer(
        c.get(format!("{}/probe", served.base))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A write with the cookie from a page of another origin is refused.
    let (status, _, body) = answer(
        c.post(format!("{}/probe", served.base))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_refusal(&body, "is not allowed");

    let (status, headers, body) = answer(
        c.post(format!("{}/auth/signout", served.base))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("signed out"))
    );
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, headers, body) = answer(
        c.get(format!("{}/probe", served.base))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "session has ended");
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    // The page's plain form: a redirect to the page with the cookie.
    let (status, headers, _) = answer(
        c.post(&signin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={ann}")),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/");
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("relay_session=")
    );

    // A session ends when its token is revoked.
    let (_, headers, _) = answer(
        c.post(&signin)
            .body(serde_json::json!({ "token": ann }).to_string()),
    )
    .await;
    let cookie = headers["set-cookie"]
        .to_str()
        .unwrap()
        .split("; ")
        .next()
        .unwrap()
        .to_owned();
    admin.revoke_tokens("ann").await.unwrap();
    let (status, _, body) = answer(
        c.get(format!("{}/probe", served.base))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "session has ended");
    assert_refusal(&body, "tokens were revoked");
}

/// The cookie of a sign-in (`relay_session=...`).
async fn sign_in(c: &reqwest::Client, base: &str, token: &str) -> String {
    let (status, headers, body) = answer(
        c.post(format!("{base}/auth/signin"))
            .body(serde_json::json!({ "token": token }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    headers["set-cookie"]
        .to_str()
        .unwrap()
        .split("; ")
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_is_kept_in_the_store_so_every_server_on_it_accepts_the_cookie() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let bob = admin.create_token("bob").await.unwrap().token;
    let one = serve(app.build()).await;
    let two = serve(admin.server_app().unwrap().build()).await;
    let c = client();
    let cookie = sign_in(&c, &one.base, &bob).await;
    let whoami = |base: &str| {
        c.get(format!("{base}/auth/whoami"))
            .header("cookie", &cookie)
    };
    let (status, _, body) = answer(whoami(&two.base)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"user": "bob", "role": "developer"})
    );

    // Only the id's hash is in the store, never the id or the token.
    let db = std::fs::read(dir.path().join(".relay/relay.db")).unwrap();
    let id = cookie.trim_start_matches("relay_session=");
    let contains = |needle: &str| db.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!contains(id), "the session id is not stored");
    assert!(!contains(&bob), "the token is not stored");

    // Signing out on one server ends it on the other.
    let (status, _, body) = answer(
        c.post(format!("{}/auth/signout", two.base))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("signed out"))
    );
    let (status, _, body) = answer(whoami(&one.base)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "session has ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_in_memory_ends_too_when_its_users_tokens_are_revoked() {
    let dir = workspace(TEAM);
    let admin = relay_as(&dir, "ann").await;
    let bob = admin.create_token("bob").await.unwrap().token;
    // No store for sign-ins: they live in this process; each request still asks the
    // authenticator about the user.
    let served = serve(App::builder(admin.server_access().unwrap()).build()).await;
    let c = client();
    let cookie = sign_in(&c, &served.base, &bob).await;
    let probe = || {
        c.get(format!("{}/probe", served.base))
            .header("cookie", &cookie)
    };
    let (status, _, body) = answer(probe()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    admin.revoke_tokens("bob").await.unwrap();
    let (status, headers, body) = answer(probe()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "tokens of bob were revoked");
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _, body) = answer(probe()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_refusal(&body, "session has ended");
    assert_eq!(served.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_upgrade_needs_the_served_origin_or_an_allowed_one() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let bob = admin.create_token("bob").await.unwrap().token;
    let app = app.allowed_origin("https://app.example.com".parse().unwrap());
    let served = serve(app.build()).await;
    let c = client();
    let ws = format!("{}/ws", served.base);

    for origin in [
        Some("https://evil.example"),
        Some("http://127.0.0.1:1"),
        Some("null"),
    ] {
        let (status, _, body) = answer(upgrade(&c, &ws, origin).bearer_auth(&bob)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}");
        assert_refusal(&body, "is not allowed");
    }
    // No Origin and no bearer token: not a native client with its own credential.
    let (status, _, body) = answer(upgrade(&c, &ws, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_refusal(&body, "is not allowed");
    assert_eq!(served.hits.load(Ordering::SeqCst), 0, "nothing was started");
    // A native client (no Origin: browsers always send one) with its token is let through.
    let (status, _, _) = answer(upgrade(&c, &ws, None).bearer_auth(&bob)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = answer(upgrade(&c, &ws, Some(&served.base)).bearer_auth(&bob)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) =
        answer(upgrade(&c, &ws, Some("https://app.example.com")).bearer_auth(&bob)).await;
    assert_eq!(status, StatusCode::OK);
    // The right origin does not replace the token.
    let (status, _, _) = answer(upgrade(&c, &ws, Some(&served.base))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(served.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_are_rate_limited_with_retry_after() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let bob = admin.create_token("bob").await.unwrap().token;
    let limit = RateLimit {
        max_failures: 3,
        window: Duration::from_secs(600),
        ..RateLimit::default()
    };
    let served = serve(app.rate_limit(limit).build()).await;
    let c = client();
    let probe = format!("{}/probe", served.base);
    // Requests without any token are not guesses: they do not count.
    for _ in 0..5 {
        assert_eq!(answer(c.get(&probe)).await.0, StatusCode::UNAUTHORIZED);
    }
    for _ in 0..3 {
        assert_eq!(
            answer(c.get(&probe).bearer_auth("relay_guess")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    for request in [
        c.get(&probe).bearer_auth(&bob),
        c.post(format!("{}/auth/signin", served.base))
            .body(serde_json::json!({ "token": bob }).to_string()),
    ] {
        let (status, headers, body) = answer(request).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let secs: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(secs > 0 && secs <= 600, "{secs}");
        assert_refusal(&body, &format!("retry in {secs} s"));
    }
    assert_eq!(served.hits.load(Ordering::SeqCst), 0);
    // Without --behind-proxy a forged X-Forwarded-For changes nothing.
    let (status, _, _) = answer(
        c.get(&probe)
            .bearer_auth(&bob)
            .header("x-forwarded-for", "198.51.100.9"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_are_trusted_only_behind_a_proxy() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let bob = admin.create_token("bob").await.unwrap().token;
    let limit = RateLimit {
        max_failures: 2,
        window: Duration::from_secs(600),
        ..RateLimit::default()
    };
    let proxied = serve(app.rate_limit(limit).behind_proxy(true).build()).await;
    let direct = serve(admin.server_app().unwrap().build()).await;
    let c = client();
    let from = |base: &str, ip: &str| {
        c.get(format!("{base}/probe"))
            .header("x-forwarded-for", format!("6.6.6.6, {ip}"))
    };
    // Behind the proxy, the client is the address the proxy added (the last one).
    for _ in 0..2 {
        answer(from(&proxied.base, "203.0.113.1").bearer_auth("relay_guess")).await;
    }
    assert_eq!(
        answer(from(&proxied.base, "203.0.113.1").bearer_auth(&bob))
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        answer(from(&proxied.base, "203.0.113.2").bearer_auth(&bob))
            .await
            .0,
        StatusCode::OK
    );

    // The origin a proxy serves: https://relay.example.com.
    let behind = |base: &str| {
        upgrade(&c, &format!("{base}/ws"), Some("https://relay.example.com"))
            .bearer_auth(&bob)
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "relay.example.com")
    };
    assert_eq!(answer(behind(&proxied.base)).await.0, StatusCode::OK);
    assert_eq!(answer(behind(&direct.base)).await.0, StatusCode::FORBIDDEN);

    // Secure cookies when the proxy says the client used HTTPS; only behind it.
    let signin = |base: &str| {
        c.post(format!("{base}/auth/signin"))
            .header("x-forwarded-proto", "https")
            .body(serde_json::json!({ "token": bob }).to_string())
    };
    let (_, headers, _) = answer(signin(&proxied.base)).await;
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
    let (_, headers, _) = answer(signin(&direct.base)).await;
    assert!(!headers["set-cookie"].to_str().unwrap().contains("Secure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_loopback_without_a_team_no_token_is_needed_but_only_loopback_names_answer() {
    let dir = workspace("");
    let relay = relay_as(&dir, "solo").await;
    let app = relay.server_app().unwrap().build();
    assert!(!app.access().needs_token());
    let served = serve(app).await;
    let c = client();
    let (status, _, body) = answer(c.get(format!("{}/probe", served.base))).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, Value::String("solo (admin)".into()))
    );
    let (status, _, body) = answer(c.get(format!("{}/auth/whoami", served.base))).await;
    assert_eq!(
        (status, body["user"].as_str()),
        (StatusCode::OK, Some("solo"))
    );
    // A page whose DNS name was rebound to 127.0.0.1 is refused.
    let (status, _, body) = answer(
        c.get(format!("{}/probe", served.base))
            .header("host", "attacker.example:80"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_refusal(&body, "answers only loopback names");
    // So is a write from another site's page, and a WebSocket from another origin.
    let (status, _, _) = answer(
        c.post(format!("{}/probe", served.base))
            .header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = answer(upgrade(
        &c,
        &format!("{}/ws", served.base),
        Some("https://evil.example"),
    ))
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(served.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_team_only_loopback_may_be_bound_and_with_one_tokens_need_a_store() {
    let dir = workspace("");
    let relay = relay_as(&dir, "solo").await;
    let app = relay.server_app().unwrap().build();
    assert!(app.check_bind("127.0.0.1:8080".parse().unwrap()).is_ok());
    assert!(app.check_bind("[::1]:8080".parse().unwrap()).is_ok());
    for addr in ["0.0.0.0:8080", "192.0.2.10:8080", "[::]:8080"] {
        let e = app.check_bind(addr.parse().unwrap()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("add a `team:` section to relay.yaml")
                || text.contains("Add a `team:` section to relay.yaml"),
            "{text}"
        );
        assert!(
            text.contains("relay team token create") && text.contains("bind 127.0.0.1"),
            "{text}"
        );
        assert_eq!(e.code(), "open_to_network");
    }
    let dir = workspace(TEAM);
    let (_, app) = team_app(&dir).await;
    assert!(
        app.build()
            .check_bind("0.0.0.0:8080".parse().unwrap())
            .is_ok()
    );
    let storeless = Relay::builder()
        .workspace(dir.path())
        .user("ann")
        .build()
        .await
        .unwrap();
    let e = storeless.server_access().unwrap_err().to_string();
    assert!(e.contains("tokens live in the store"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_the_failing_check() {
    let dir = workspace(TEAM);
    let (_, app) = team_app(&dir).await;
    let up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up_url = format!("ws://{}/v1/realtime", up.local_addr().unwrap());
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let ok = serve(
        app.ready_check(ReadyCheck::tcp("realtime", &up_url).unwrap())
            .build(),
    )
    .await;
    let (status, _, body) = answer(client().get(format!("{}/readyz", ok.base))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["checks"],
        serde_json::json!({"store": "ok", "realtime": "ok"})
    );

    let (_, app) = team_app(&dir).await;
    let down = serve(
        app.ready_check(
            ReadyCheck::tcp("realtime", &format!("wss://{closed}/v1/realtime")).unwrap(),
        )
        .ready_check(
            ReadyCheck::new("slow", || async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            })
            .timeout(Duration::from_millis(100)),
        )
        .build(),
    )
    .await;
    let (status, _, body) = answer(client().get(format!("{}/readyz", down.base))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["failed"], serde_json::json!(["realtime", "slow"]));
    assert_eq!(body["checks"]["store"], "ok");
    let why = body["checks"]["realtime"].as_str().unwrap();
    assert!(
        why.contains(&format!("cannot connect to {closed}")),
        "{why}"
    );
    assert!(
        body["checks"]["slow"]
            .as_str()
            .unwrap()
            .contains("no answer within 100 ms")
    );
}

/// A sample: its name, its labels, its value.
type Sample = (String, Vec<(String, String)>, f64);

/// Checks the Prometheus text format line by line; returns (family, type) pairs and samples.
fn parse_exposition(text: &str) -> (Vec<(String, String)>, Vec<Sample>) {
    let mut types = Vec::new();
    let mut samples = Vec::new();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, ch)| {
                ch.is_ascii_alphabetic() || ch == '_' || ch == ':' || (i > 0 && ch.is_ascii_digit())
            })
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(name_ok(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(types.iter().all(|(n, _)| n != name), "TYPE twice: {line}");
            types.push((name.to_owned(), kind.to_owned()));
            continue;
        }
        if line.starts_with("# HELP ") || line.is_empty() {
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment {line}");
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, Vec::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                let mut labels = Vec::new();
                let mut chars = body.chars().peekable();
                while chars.peek().is_some() {
                    let key: String = chars.by_ref().take_while(|ch| *ch != '=').collect();
                    assert!(name_ok(&key), "{line}");
                    assert_eq!(chars.next(), Some('"'), "{line}");
                    let mut v = String::new();
                    loop {
                        match chars
                            .next()
                            .unwrap_or_else(|| panic!("unterminated {line}"))
                        {
                            '\\' => match chars.next() {
                                Some('n') => v.push('\n'),
                                Some(ch @ ('\\' | '"')) => v.push(ch),
                                other => panic!("bad escape {other:?} in {line}"),
                            },
                            '"' => break,
                            ch => v.push(ch),
                        }
                    }
                    labels.push((key, v));
                    if chars.peek() == Some(&',') {
                        chars.next();
                    }
                }
                (name, labels)
            }
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.iter().any(|(n, k)| n == f && k == "histogram"))
            })
            .unwrap_or(name);
        assert!(
            types.iter().any(|(n, _)| n == family),
            "sample before its TYPE: {line}"
        );
        samples.push((name.to_owned(), labels, value));
    }
    (types, samples)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_a_valid_exposition_with_relays_families() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let ann = admin.create_token("ann").await.unwrap().token;
    let app = app.build();
    let webhooks = Webhooks::builder(admin.require_graph().unwrap())
        .secret(WebhookSecret::new("s3cret").unwrap())
        .metrics(app.metrics())
        .build()
        .unwrap();
    let metrics = app.metrics();
    {
        let _open = metrics.session_started();
        let _still_open = metrics.session_started();
        drop(_open);
    }
    let _session = metrics.session_started();
    metrics.observe_turn_latency(Duration::from_millis(180));
    metrics.observe_turn_latency(Duration::from_millis(900));
    metrics.observe_tool("repo_status", Duration::from_millis(40));
    metrics.observe_tool("sync \"all\"", Duration::from_secs(12));
    metrics.approval("approved");
    metrics.approval("denied");
    metrics.approval("denied");
    let served = serve_with(app, relay::server::router(&webhooks), None).await;
    let c = client();
    // An unsigned delivery and a failed token, counted.
    let (status, _, _) = answer(
        c.post(format!("{}/webhooks/github", served.base))
            .header("x-github-event", "push")
            .body("{}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    answer(
        c.get(format!("{}/metrics", served.base))
            .bearer_auth("relay_wrong"),
    )
    .await;

    let response = c
        .get(format!("{}/metrics", served.base))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let text = response.text().await.unwrap();
    let (types, samples) = parse_exposition(&text);
    let kinds: Vec<(&str, &str)> = types
        .iter()
        .map(|(n, k)| (n.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("relay_sessions_active", "gauge"),
            ("relay_turn_latency_seconds", "histogram"),
            ("relay_tool_duration_seconds", "histogram"),
            ("relay_approvals_total", "counter"),
            ("relay_webhook_deliveries_total", "counter"),
            ("relay_jobs", "gauge"),
            ("relay_auth_failures_total", "counter"),
        ]
    );
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && l.len() == labels.len()
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .unwrap_or_else(|| panic!("no {name}{labels:?} in\n{text}"))
            .2
    };
    assert_eq!(value("relay_sessions_active", &[]), 1.0);
    assert_eq!(value("relay_turn_latency_seconds_count", &[]), 2.0);
    assert_eq!(
        value("relay_turn_latency_seconds_bucket", &[("le", "0.2")]),
        1.0
    );
    assert_eq!(
        value("relay_turn_latency_seconds_bucket", &[("le", "+Inf")]),
        2.0
    );
    assert!((value("relay_turn_latency_seconds_sum", &[]) - 1.08).abs() < 1e-9);
    assert_eq!(
        value(
            "relay_tool_duration_seconds_count",
            &[("tool", "sync \"all\"")]
        ),
        1.0
    );
    assert_eq!(
        value(
            "relay_tool_duration_seconds_bucket",
            &[("tool", "repo_status"), ("le", "0.05")]
        ),
        1.0
    );
    assert_eq!(
        value("relay_approvals_total", &[("outcome", "denied")]),
        2.0
    );
    assert_eq!(
        value(
            "relay_webhook_deliveries_total",
            &[("event", "unverified"), ("outcome", "bad_signature")]
        ),
        1.0
    );
    assert_eq!(value("relay_jobs", &[("status", "queued")]), 0.0);
    assert_eq!(
        value("relay_auth_failures_total", &[("reason", "invalid")]),
        1.0
    );
    // Histogram buckets are cumulative.
    let buckets: Vec<f64> = samples
        .iter()
        .filter(|(n, l, _)| n == "relay_turn_latency_seconds_bucket" && l.len() == 1)
        .map(|(_, _, v)| *v)
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
}

/// A CA and a server certificate for localhost it signs, as PEM files in `dir`; returns the
/// CA's PEM and the certificate and key paths.
fn certificates(dir: &std::path::Path) -> (String, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (ca.pem(), cert_path, key_path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_over_tls_and_the_session_cookie_is_secure() {
    let dir = workspace(TEAM);
    let (admin, app) = team_app(&dir).await;
    let bob = admin.create_token("bob").await.unwrap().token;
    let (ca, cert, key) = certificates(dir.path());
    let tls = TlsConfig::from_pem_files(&cert, &key).unwrap();
    let served = serve_with(app.tls(true).build(), Router::new(), Some(tls)).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
        .build()
        .unwrap();
    assert!(served.base.starts_with("https://localhost:"));
    let page = c.get(format!("{}/", served.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("data-testid=signin"));
    let (_, headers, body) = answer(
        c.post(format!("{}/auth/signin", served.base))
            .body(serde_json::json!({ "token": bob }).to_string()),
    )
    .await;
    assert_eq!(body["user"], "bob");
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
    let (status, _, _) =
        answer(upgrade(&c, &format!("{}/ws", served.base), Some(&served.base)).bearer_auth(&bob))
            .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the served origin is https://localhost:PORT"
    );
    // A client that does not trust the certificate gets no answer at all.
    let untrusting = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{}/", served.base))
            .send()
            .await
            .is_err()
    );
    // Plain HTTP to the TLS port is not served.
    let plain = format!(
        "http://127.0.0.1:{}/",
        served.base.rsplit(':').next().unwrap()
    );
    assert!(
        client()
            .get(plain)
            .send()
            .await
            .map(|r| r.status() != StatusCode::OK)
            .unwrap_or(true)
    );
}

#[test]
fn unusable_tls_files_are_named_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = certificates(dir.path());
    let other = tempfile::tempdir().unwrap();
    let (_, _, other_key) = certificates(other.path());
    let missing = dir.path().join("missing.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not pem at all").unwrap();
    let cases = [
        (&missing, &key, "certificate", &missing, "cannot read it"),
        (&cert, &missing, "private key", &missing, "cannot read it"),
        (
            &key,
            &key,
            "certificate",
            &key,
            "no `BEGIN CERTIFICATE` block",
        ),
        (
            &garbage,
            &key,
            "certificate",
            &garbage,
            "no `BEGIN CERTIFICATE` block",
        ),
        (
            &cert,
            &cert,
            "private key",
            &cert,
            "no `BEGIN PRIVATE KEY` block",
        ),
        (
            &cert,
            &other_key,
            "private key",
            &other_key,
            "cannot be used with the certificate",
        ),
    ];
    for (c, k, what, named, problem) in cases {
        let e = TlsConfig::from_pem_files(c, k).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("cannot use the TLS {what} {}", named.display())),
            "{text}"
        );
        assert!(text.contains(problem), "{text}");
        assert_eq!(e.code(), "tls");
    }
}
