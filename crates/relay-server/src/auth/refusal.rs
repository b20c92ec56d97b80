//! The answer to a refused request: a status and `{"error": ..., "hint": ...}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `status` with `{"error": error, "hint": hint}`.
pub(crate) fn refusal(status: StatusCode, error: &str, hint: &str) -> Response {
    let body = serde_json::json!({ "error": error, "hint": hint }).to_string();
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// `status` with the JSON `body`.
pub(crate) fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
