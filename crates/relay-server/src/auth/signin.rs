//! `POST /auth/signin` (a token in, a session cookie out), `POST /auth/signout`,
//! `GET /auth/whoami`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use relay_core::team::Caller;

use super::layer::{Guard, session_id};
use super::refusal::json;
use super::sessions::Unavailable;
use super::{Access, SIGNIN_PATH, SIGNOUT_PATH, WHOAMI_PATH, refusal};

/// Largest sign-in body read.
const MAX_SIGNIN_BODY: usize = 8 * 1024;

pub(crate) fn router(guard: Arc<Guard>) -> Router {
    Router::new()
        .route(SIGNIN_PATH, post(signin))
        .route(SIGNOUT_PATH, post(signout))
        .route(WHOAMI_PATH, get(whoami))
        .with_state(guard)
}

fn caller_json(caller: &Caller) -> serde_json::Value {
    serde_json::json!({ "user": caller.user, "role": caller.role.to_string() })
}

async fn signin(State(g): State<Arc<Guard>>, req: Request) -> Response {
    let client = g.client(&req);
    if let Some(r) = g.check_cross_origin(req.headers(), &client) {
        return r;
    }
    if let Access::Local(caller) = &g.access {
        let mut body = caller_json(caller);
        body["note"] = "this server needs no token (loopback, no team: configured)".into();
        return json(StatusCode::OK, &body);
    }
    if let Some(r) = g.check_rate(&client) {
        return r;
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_SIGNIN_BODY).await else {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the sign-in request is too large",
            "send only the token: `token=...` or {\"token\": \"...\"}",
        );
    };
    let token = if form {
        form_urlencoded::parse(&body)
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.trim().to_owned())
    } else {
        serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("token")?.as_str().map(|s| s.trim().to_owned()))
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "no token in the sign-in request",
            "POST the token as a form field `token` or as JSON {\"token\": \"...\"}",
        );
    };
    let caller = match g.authenticate(&token, SIGNIN_PATH).await {
        Ok(caller) => caller,
        Err(refused) => return g.refuse(refused, &client),
    };
    let id = match g.sessions.create(&caller.user).await {
        Ok(id) => id,
        Err(Unavailable(why)) => {
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                &why,
                "retry later; use the bearer token meanwhile",
            );
        }
    };
    tracing::info!(user = %caller.user, "signed in");
    let cookie = g.session_cookie(&id, &client);
    let mut response = if form {
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, HeaderValue::from_static("/"))],
        )
            .into_response()
    } else {
        json(StatusCode::OK, &caller_json(&caller))
    };
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

async fn signout(State(g): State<Arc<Guard>>, req: Request) -> Response {
    let client = g.client(&req);
    if let Some(r) = g.check_cross_origin(req.headers(), &client) {
        return r;
    }
    let ended = match session_id(req.headers()) {
        Some(id) => match g.sessions.remove(&id).await {
            Ok(ended) => ended,
            Err(Unavailable(why)) => {
                return refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &why,
                    "retry signing out later: the session is still live until then",
                );
            }
        },
        None => false,
    };
    let status = if ended { "signed out" } else { "not signed in" };
    let mut response = json(StatusCode::OK, &serde_json::json!({ "status": status }));
    response
        .headers_mut()
        .append(header::SET_COOKIE, g.session_cookie("", &client));
    response
}

async fn whoami(req: Request) -> Response {
    match req.extensions().get::<Caller>() {
        Some(caller) => json(StatusCode::OK, &caller_json(caller)),
        None => refusal(
            StatusCode::UNAUTHORIZED,
            "not signed in",
            "sign in on the page or send `Authorization: Bearer TOKEN`",
        ),
    }
}
