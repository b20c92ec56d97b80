//! The web page `relay serve` serves at `/`: talk to Relay from a browser or a phone.
//!
//! Plain ES modules, a stylesheet and an AudioWorklet, embedded in the binary (no build step):
//! microphone capture converted to PCM16 24 kHz mono, reply playback with barge-in that reports
//! exactly how much it played, the running transcript, tool calls with live progress, the
//! briefing, approvals with buttons, a sign-in form when the server answers 401. It speaks
//! protocol 1 of docs/serve.md over `GET /v1/conversation`.
//!
//! Routes ([`router`]):
//! - `GET /`: the page (`Cache-Control: no-cache`, an `ETag`, a Content-Security-Policy that
//!   allows only this origin and its WebSocket endpoint);
//! - `GET /assets/{version}/{file}`: the scripts and the stylesheet. The page names them under
//!   the [`assets_version`] (a hash of their contents), so they are cached as immutable; an
//!   older version in the path is still served, but revalidated.
//!
//! The page holds no secret and is served to anyone: the conversation endpoint is what
//! authentication protects (the page shows its sign-in form when that endpoint answers 401).

mod assets;
mod headers;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use assets::assets_version;

/// The path of the page.
pub const PAGE_PATH: &str = "/";
/// The prefix of the page's assets: `/assets/{version}/{file}`.
pub const ASSETS_PREFIX: &str = "/assets";

/// A router with `GET /` (the page) and `GET /assets/{version}/{file}` (its scripts and
/// stylesheet). Merge it beside the conversation endpoint, outside any authentication layer.
pub fn router() -> Router {
    Router::new()
        .route(PAGE_PATH, get(index))
        .route("/assets/{version}/{file}", get(asset))
}

async fn index(request_headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", assets_version());
    if headers::matches_etag(&request_headers, &etag) {
        return not_modified(&etag);
    }
    let csp = headers::content_security_policy(&request_headers);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
            (header::ETAG, etag),
            (header::CONTENT_SECURITY_POLICY, csp),
        ],
        headers::common(),
        assets::index_html(),
    )
        .into_response()
}

async fn asset(
    Path((version, file)): Path<(String, String)>,
    request_headers: HeaderMap,
) -> Response {
    let Some(asset) = assets::find(&file) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "no such asset `{file}`: the page's assets are {}",
                assets::names()
            ),
        )
            .into_response();
    };
    let etag = format!("\"{}\"", assets_version());
    let cache = if version == assets_version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    if headers::matches_etag(&request_headers, &etag) {
        return not_modified(&etag);
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, asset.content_type.to_owned()),
            (header::CACHE_CONTROL, cache.to_owned()),
            (header::ETAG, etag),
        ],
        headers::common(),
        asset.body,
    )
        .into_response()
}

fn not_modified(etag: &str) -> Response {
    (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.to_owned())]).into_response()
}
