//! The HTTP listener: authentication, GitHub's rate-limit headers, injected failures, the
//! description checks, and dispatch to REST or GraphQL.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::graphql::{self, Root};
use super::openapi::OpenApi;
use super::rest::{self, Call};
use super::state::{Failure, RecordedRequest, State};
use crate::http::ReadRequest;

/// What is sent back: status, body, extra headers.
struct Answer {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl From<(u16, Value)> for Answer {
    fn from((status, body): (u16, Value)) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }
}

pub(crate) fn serve(
    listener: TcpListener,
    shared: Arc<Mutex<State>>,
    base_url: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let shared = Arc::clone(&shared);
            let base_url = base_url.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(tcp);
                let service = hyper::service::service_fn(move |req| {
                    let shared = Arc::clone(&shared);
                    let base_url = base_url.clone();
                    async move { Ok::<_, Infallible>(respond(&shared, req, &base_url).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn respond(
    shared: &Arc<Mutex<State>>,
    req: Request<Incoming>,
    base_url: &str,
) -> Response<Full<Bytes>> {
    let req = match ReadRequest::read(req).await {
        Ok(req) => req,
        Err(message) => {
            let mut response = Response::new(Full::new(Bytes::from(
                json!({ "message": message }).to_string(),
            )));
            *response.status_mut() = hyper::StatusCode::BAD_REQUEST;
            return response;
        }
    };
    let (method, uri, bytes) = (req.method.clone(), req.uri.clone(), req.body.clone());
    let authorization = req.header("authorization");
    let api_version = req.header("x-github-api-version");
    let content_type = req.header("content-type").unwrap_or_default();
    let latency = shared.lock().map(|s| s.latency).unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let answer = {
        let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
        handle(
            &mut state,
            &method,
            &uri,
            authorization.as_deref(),
            api_version.as_deref(),
            &content_type,
            &bytes,
            base_url,
        )
    };
    let resource = if uri.path() == "/graphql" {
        "graphql"
    } else {
        "core"
    };
    let mut response = Response::builder()
        .status(answer.status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-github-media-type", "github.v3; format=json")
        .header("x-ratelimit-limit", "5000")
        .header("x-ratelimit-used", "1")
        .header("x-ratelimit-resource", resource);
    let mut has_remaining = false;
    for (k, v) in &answer.headers {
        has_remaining |= *k == "x-ratelimit-remaining";
        response = response.header(*k, v);
    }
    if !has_remaining {
        response = response
            .header("x-ratelimit-remaining", "4999")
            .header("x-ratelimit-reset", (now() + 3600).to_string());
    }
    let body = if answer.body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&answer.body).unwrap_or_default()
    };
    response
        .body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

#[allow(clippy::too_many_arguments)]
fn handle(
    state: &mut State,
    method: &str,
    uri: &hyper::Uri,
    authorization: Option<&str>,
    api_version: Option<&str>,
    content_type: &str,
    bytes: &[u8],
    base_url: &str,
) -> Answer {
    let body: Option<Value> = if bytes.is_empty() {
        None
    } else {
        match serde_json::from_slice(bytes) {
            Ok(v) => Some(v),
            Err(_) => {
                state
                    .violations
                    .push(format!("{method} {uri}: the body is not JSON"));
                return rest::error(400, "Problems parsing JSON").into();
            }
        }
    };
    state.requests.push(RecordedRequest {
        method: method.to_owned(),
        path: uri.to_string(),
        body: body.clone().unwrap_or(Value::Null),
    });
    if body.is_some() && !content_type.starts_with("application/json") {
        state.violations.push(format!(
            "{method} {uri}: a JSON body sent as `{content_type}`"
        ));
    }
    if let Some(version) = api_version
        && version != "2022-11-28"
    {
        return rest::error(400, &format!("API version {version} is not supported.")).into();
    }
    let token = authorization.and_then(|a| {
        a.strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("token "))
    });
    match token {
        None => return rest::error(401, "Requires authentication").into(),
        Some(t) if t != state.token => return rest::error(401, "Bad credentials").into(),
        Some(_) => {}
    }
    let graphql_request = uri.path() == "/graphql";
    if let Some(failure) = state.failures.pop_front() {
        return failure_answer(&failure, graphql_request);
    }
    if graphql_request {
        if method != "POST" {
            state
                .violations
                .push(format!("{method} /graphql: GraphQL is POST only"));
            return rest::error(404, "Not Found").into();
        }
        return graphql_answer(state, body.as_ref(), base_url);
    }
    rest_answer(state, method, uri, body.as_ref(), base_url)
}

fn failure_answer(failure: &Failure, graphql_request: bool) -> Answer {
    match failure {
        Failure::Unauthorized => rest::error(401, "Bad credentials").into(),
        Failure::Forbidden(message) => rest::error(403, message).into(),
        Failure::NotFound => rest::error(404, "Not Found").into(),
        Failure::PrimaryRateLimit { reset_in } => {
            let headers = vec![
                ("x-ratelimit-remaining", "0".to_owned()),
                ("x-ratelimit-reset", (now() + reset_in).to_string()),
            ];
            if graphql_request {
                // GitHub answers a GraphQL query over its limit with 200 and a RATE_LIMITED error.
                Answer {
                    status: 200,
                    body: json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]}),
                    headers,
                }
            } else {
                Answer {
                    status: 403,
                    body: rest::error(403, "API rate limit exceeded for user ID 1.").1,
                    headers,
                }
            }
        }
        Failure::SecondaryRateLimit { retry_after } => Answer {
            status: 403,
            body: rest::error(
                403,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            )
            .1,
            headers: vec![("retry-after", retry_after.to_string())],
        },
    }
}

fn rest_answer(
    state: &mut State,
    method: &str,
    uri: &hyper::Uri,
    body: Option<&Value>,
    base_url: &str,
) -> Answer {
    let api = match OpenApi::get() {
        Ok(api) => api,
        Err(e) => {
            state.violations.push(e);
            return rest::error(500, "the peer has no API description").into();
        }
    };
    let segments: Vec<String> = uri
        .path()
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let Some(op) = api.operation(method, &segments) else {
        state.violations.push(format!(
            "{method} {}: GitHub's API description has no such operation",
            uri.path()
        ));
        return rest::error(404, "Not Found").into();
    };
    let problems = op.check_request(&query, body);
    if !problems.is_empty() {
        state.violations.extend(
            problems
                .iter()
                .map(|p| format!("{method} {uri} ({}): {p}", op.id())),
        );
        return (
            422,
            json!({"message": "Invalid request.", "errors": problems, "documentation_url": "https://docs.github.com/rest"}),
        )
            .into();
    }
    let params: Vec<(String, String)> = op_params(&op.key, &segments);
    let call = Call {
        op: &op,
        api,
        params: &params,
        query: &query,
        body,
        base_url,
    };
    let Some((status, reply)) = rest::handle(state, &call) else {
        state.violations.push(format!(
            "{method} {} ({}): a valid GitHub operation the peer does not serve",
            uri.path(),
            op.id()
        ));
        return rest::error(404, "Not Found").into();
    };
    let problems = op.check_response(status, &reply);
    if !problems.is_empty() {
        state.violations.extend(
            problems
                .iter()
                .map(|p| format!("the peer's answer to {method} {uri} ({}): {p}", op.id())),
        );
    }
    (status, reply).into()
}

fn op_params(template: &str, segments: &[String]) -> Vec<(String, String)> {
    template
        .split('/')
        .zip(segments)
        .filter(|(t, _)| t.starts_with('{'))
        .map(|(t, s)| {
            (
                t.trim_matches(|c| c == '{' || c == '}').to_owned(),
                s.clone(),
            )
        })
        .collect()
}

struct Served<'a> {
    state: &'a State,
    base_url: &'a str,
}

impl Root for Served<'_> {
    fn viewer(&self) -> Value {
        json!({ "__typename": "User", "login": self.state.viewer })
    }

    fn repository(&self, owner: &str, name: &str) -> Option<Value> {
        self.state
            .repo(owner, name)
            .map(|r| r.graphql(self.base_url))
    }
}

fn graphql_answer(state: &mut State, body: Option<&Value>, base_url: &str) -> Answer {
    let schema = match graphql::Schema::get() {
        Ok(s) => s,
        Err(e) => {
            state.violations.push(e);
            return rest::error(500, "the peer has no GraphQL schema").into();
        }
    };
    let Some(query) = body.and_then(|b| b.get("query")).and_then(Value::as_str) else {
        state
            .violations
            .push("POST /graphql without a `query`".into());
        return (200, json!({"errors": [{"message": "A query attribute must be specified and must be a string."}]})).into();
    };
    let variables = body
        .and_then(|b| b.get("variables"))
        .cloned()
        .unwrap_or(json!({}));
    let doc = match graphql_parser::parse_query::<String>(query) {
        Ok(doc) => doc,
        Err(e) => {
            state
                .violations
                .push(format!("GraphQL query does not parse: {e}"));
            return (
                200,
                json!({"errors": [{"message": format!("Parse error: {e}")}]}),
            )
                .into();
        }
    };
    let problems = schema.check(&doc);
    if !problems.is_empty() {
        state.violations.extend(
            problems
                .iter()
                .map(|p| format!("GraphQL query against GitHub's schema: {p}")),
        );
        let errors: Vec<Value> = problems.iter().map(|p| json!({"message": p})).collect();
        return (200, json!({ "errors": errors })).into();
    }
    let execution = graphql::execute(&doc, &variables, &Served { state, base_url });
    state.violations.extend(
        execution
            .unserved
            .iter()
            .map(|f| format!("GraphQL field not served by the peer: {f}")),
    );
    let mut body = json!({ "data": execution.data });
    if !execution.errors.is_empty() {
        body["errors"] = Value::Array(execution.errors);
    }
    (200, body).into()
}
