//! One request to GitHub over octocrab, with GitHub's statuses turned into [`GitHubError`]s and
//! short rate limits waited out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use relay_core::github::GitHubError;
use serde_json::Value;

use crate::config::GitHubConfig;

/// The API version Relay is written against.
const API_VERSION: &str = "2022-11-28";

/// How many times one request is retried after waiting out a rate limit.
const RATE_LIMIT_RETRIES: u32 = 2;

/// HTTP methods Relay uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Put,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
        }
    }
}

/// A response: status, headers, JSON body (`Null` when empty).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

/// The REST and GraphQL clients.
pub(crate) struct Transport {
    rest: Octocrab,
    graphql: Octocrab,
    graphql_path: String,
    api_url: String,
    max_wait: Duration,
    requests: AtomicU64,
}

impl Transport {
    pub(crate) fn new(config: &GitHubConfig) -> Result<Self, GitHubError> {
        let graphql_url = config.graphql_endpoint();
        let (graphql_origin, graphql_path) = split_origin(&graphql_url)?;
        split_origin(config.api_endpoint())?;
        Ok(Self {
            rest: build(config, config.api_endpoint())?,
            graphql: build(config, &graphql_origin)?,
            graphql_path,
            api_url: config.api_endpoint().to_owned(),
            max_wait: config.max_wait(),
            requests: AtomicU64::new(0),
        })
    }

    /// How many HTTP requests were sent.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A REST request to `path` (starting with `/`, query included). `action` says what it is
    /// for in errors ("reading backend's pull request 3"); `target` what needs access.
    pub(crate) async fn rest(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        action: &str,
        target: &str,
    ) -> Result<Reply, GitHubError> {
        self.send(&self.rest, method, path, body, action, target)
            .await
    }

    /// A GraphQL query; returns `data`, with `errors` (if any) left to the caller.
    pub(crate) async fn graphql(
        &self,
        query: &str,
        variables: Value,
        action: &str,
    ) -> Result<Value, GitHubError> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let mut attempt = 0;
        loop {
            let reply = self
                .send(
                    &self.graphql,
                    Method::Post,
                    &self.graphql_path.clone(),
                    Some(&body),
                    action,
                    "the repositories",
                )
                .await?;
            let errors = reply.body.get("errors").and_then(Value::as_array);
            let limited = errors.is_some_and(|errors| {
                errors
                    .iter()
                    .any(|e| e.get("type").and_then(Value::as_str) == Some("RATE_LIMITED"))
            });
            if limited {
                let limit = rate_limit(&reply.headers, false);
                if attempt < RATE_LIMIT_RETRIES && limit.wait <= self.max_wait {
                    attempt += 1;
                    tracing::info!(
                        wait_secs = limit.wait.as_secs(),
                        "GitHub GraphQL rate limit; waiting"
                    );
                    tokio::time::sleep(limit.wait).await;
                    continue;
                }
                return Err(limit.error());
            }
            return Ok(reply.body);
        }
    }

    async fn send(
        &self,
        client: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&Value>,
        action: &str,
        target: &str,
    ) -> Result<Reply, GitHubError> {
        let mut attempt = 0;
        loop {
            let reply = self.send_once(client, method, path, body, action).await?;
            if reply.status < 400 {
                return Ok(reply);
            }
            if let Some(limit) = detect_rate_limit(&reply) {
                if attempt < RATE_LIMIT_RETRIES && limit.wait <= self.max_wait {
                    attempt += 1;
                    tracing::info!(
                        wait_secs = limit.wait.as_secs(),
                        secondary = limit.secondary,
                        "GitHub rate limit; waiting"
                    );
                    tokio::time::sleep(limit.wait).await;
                    continue;
                }
                return Err(limit.error());
            }
            return Err(status_error(&reply, action, target));
        }
    }

    async fn send_once(
        &self,
        client: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&Value>,
        action: &str,
    ) -> Result<Reply, GitHubError> {
        let uri: Uri = path.parse().map_err(|_| GitHubError::Protocol {
            action: action.to_owned(),
            message: format!("`{path}` is not a valid request path"),
        })?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(method = method.as_str(), path, "GitHub request");
        let result = match method {
            Method::Get => client._get(uri).await,
            Method::Post => client._post(uri, body).await,
            Method::Patch => client._patch(uri, body).await,
            Method::Put => client._put(uri, body).await,
        };
        let response = result.map_err(|e| GitHubError::Connect {
            url: self.api_url.clone(),
            message: error_chain(&e),
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| GitHubError::Connect {
                url: self.api_url.clone(),
                message: error_chain(&e),
            })?
            .to_bytes();
        tracing::debug!(method = method.as_str(), path, status, "GitHub response");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&bytes).chars().take(500).collect())
            })
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

/// An octocrab client for `base` with the token and GitHub's recommended headers.
fn build(config: &GitHubConfig, base: &str) -> Result<Octocrab, GitHubError> {
    let bad = |e: octocrab::Error| {
        GitHubError::Config(format!(
            "cannot use `{base}` as GitHub's address ({}); set GITHUB_API_URL / GITHUB_GRAPHQL_URL to an http(s) URL",
            error_chain(&e)
        ))
    };
    Octocrab::builder()
        .base_uri(base)
        .map_err(bad)?
        .personal_token(config.token().expose().to_owned())
        .add_header(
            http::header::ACCEPT,
            "application/vnd.github+json".to_owned(),
        )
        .add_header(
            HeaderName::from_static("x-github-api-version"),
            API_VERSION.to_owned(),
        )
        .add_header(http::header::USER_AGENT, "relay".to_owned())
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(config.request_timeout()))
        .build()
        .map_err(bad)
}

/// `https://host:port/path` into (`https://host:port`, `/path`).
fn split_origin(url: &str) -> Result<(String, String), GitHubError> {
    let uri: Uri = url.parse().map_err(|_| {
        GitHubError::Config(format!(
            "`{url}` is not a URL; set GITHUB_API_URL / GITHUB_GRAPHQL_URL to e.g. https://api.github.com"
        ))
    })?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(GitHubError::Config(format!(
            "`{url}` is not an absolute http(s) URL; set GITHUB_API_URL / GITHUB_GRAPHQL_URL to e.g. https://api.github.com"
        )));
    };
    if scheme != "https" && scheme != "http" {
        return Err(GitHubError::Config(format!(
            "`{url}` is not an http(s) URL; GitHub's API is reached over https"
        )));
    }
    let path = match uri.path() {
        "" => "/".to_owned(),
        p => p.to_owned(),
    };
    Ok((format!("{scheme}://{authority}"), path))
}

/// The whole chain of an error's sources, in one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// A rate limit GitHub reported.
struct Limit {
    secondary: bool,
    wait: Duration,
    reset_at: Option<u64>,
}

impl Limit {
    fn error(&self) -> GitHubError {
        GitHubError::RateLimited {
            secondary: self.secondary,
            wait_secs: self.wait.as_secs(),
            reset_at: self.reset_at,
        }
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The wait a limit asks for: `Retry-After` seconds, else until `X-RateLimit-Reset`, else a
/// minute (GitHub's advice for a secondary limit without headers).
fn rate_limit(headers: &HeaderMap, secondary: bool) -> Limit {
    let reset_at = header(headers, "x-ratelimit-reset").and_then(|v| v.trim().parse::<u64>().ok());
    let wait = if let Some(after) =
        header(headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok())
    {
        Duration::from_secs(after)
    } else if let Some(reset) = reset_at {
        Duration::from_secs(reset.saturating_sub(now_secs()) + 1)
    } else {
        Duration::from_secs(60)
    };
    Limit {
        secondary,
        wait,
        reset_at,
    }
}

/// A 403 or 429 that is a rate limit, as GitHub documents them: `Retry-After` (secondary),
/// `X-RateLimit-Remaining: 0` (primary), or a message naming the secondary limit.
fn detect_rate_limit(reply: &Reply) -> Option<Limit> {
    if reply.status != 403 && reply.status != 429 {
        return None;
    }
    let message = message(&reply.body).to_ascii_lowercase();
    if header(&reply.headers, "retry-after").is_some() || message.contains("secondary rate limit") {
        return Some(rate_limit(&reply.headers, true));
    }
    if header(&reply.headers, "x-ratelimit-remaining") == Some("0")
        || message.contains("rate limit exceeded")
    {
        return Some(rate_limit(&reply.headers, false));
    }
    None
}

/// GitHub's `message`, with the `errors[].message` details of a 422.
pub(crate) fn message(body: &Value) -> String {
    let mut text = body
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| body.as_str().map(str::to_owned))
        .unwrap_or_else(|| "no message".into());
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        let details: Vec<String> = errors
            .iter()
            .filter_map(|e| {
                if let Some(text) = e.as_str() {
                    return Some(text.to_owned());
                }
                e.get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| {
                        let field = e.get("field").and_then(Value::as_str)?;
                        let code = e.get("code").and_then(Value::as_str).unwrap_or("invalid");
                        Some(format!("{field} is {code}"))
                    })
            })
            .collect();
        if !details.is_empty() {
            text = format!("{text}: {}", details.join("; "));
        }
    }
    text
}

fn status_error(reply: &Reply, action: &str, target: &str) -> GitHubError {
    match reply.status {
        401 => GitHubError::Unauthorized,
        403 => GitHubError::Forbidden {
            action: action.to_owned(),
            target: target.to_owned(),
            message: message(&reply.body),
        },
        404 => GitHubError::NotFound {
            what: target.to_owned(),
        },
        422 => GitHubError::Rejected {
            action: action.to_owned(),
            message: message(&reply.body),
        },
        status => GitHubError::Api {
            status,
            action: action.to_owned(),
            message: message(&reply.body),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&'static str, &str)], body: Value) -> Reply {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Reply {
            status,
            headers: map,
            body,
        }
    }

    #[test]
    fn rate_limits_are_told_from_other_403s() {
        let secondary = detect_rate_limit(&reply(
            403,
            &[("retry-after", "7")],
            serde_json::json!({"message": "You have exceeded a secondary rate limit."}),
        ))
        .unwrap();
        assert!(secondary.secondary);
        assert_eq!(secondary.wait, Duration::from_secs(7));
        let reset = (now_secs() + 3000).to_string();
        let primary = detect_rate_limit(&reply(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset),
            ],
            serde_json::json!({"message": "API rate limit exceeded for user ID 1."}),
        ))
        .unwrap();
        assert!(!primary.secondary);
        assert!(primary.wait > Duration::from_secs(2990));
        let text = primary.error().to_string();
        assert!(
            text.contains("primary rate limit") && text.contains("try again"),
            "{text}"
        );
        assert!(
            detect_rate_limit(&reply(
                403,
                &[("x-ratelimit-remaining", "4999")],
                serde_json::json!({"message": "Resource not accessible by personal access token"}),
            ))
            .is_none()
        );
    }

    #[test]
    fn origins_split_from_paths() {
        assert_eq!(
            split_origin("https://ghe.example.com/api/graphql").unwrap(),
            ("https://ghe.example.com".into(), "/api/graphql".into())
        );
        assert!(split_origin("ftp://x/y").is_err());
        assert!(split_origin("not a url").is_err());
    }
}
