//! `GET /readyz`: whether the server can do its work now — every registered [`ReadyCheck`]
//! passes within its timeout (200), or which ones failed and why (503).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::refusal::json;

/// The path of the readiness check.
pub const READY_PATH: &str = "/readyz";

/// How long one check may take by default before it counts as failed.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

type CheckFn = dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync;

/// One named readiness check: a closure returning a future that says `Ok(())` or why not.
#[derive(Clone)]
pub struct ReadyCheck {
    name: String,
    timeout: Duration,
    check: Arc<CheckFn>,
}

impl std::fmt::Debug for ReadyCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadyCheck")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ReadyCheck {
    /// A check called `name` (`store`, `realtime`, ...) that runs `check` on every
    /// `GET /readyz`, failing after [`DEFAULT_CHECK_TIMEOUT`].
    pub fn new<F, Fut>(name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        ReadyCheck {
            name: name.into(),
            timeout: DEFAULT_CHECK_TIMEOUT,
            check: Arc::new(move || Box::pin(check())),
        }
    }

    /// Another timeout for this check.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the check once, within its timeout.
    pub async fn run(&self) -> Result<(), String> {
        match tokio::time::timeout(self.timeout, (self.check)()).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }

    /// A check that a TCP connection to the host and port of `url` opens (`ws`/`http` default
    /// to port 80, `wss`/`https` to 443): e.g. the Realtime endpoint. Credentials in the URL
    /// are never shown.
    pub fn tcp(name: impl Into<String>, url: &str) -> Result<Self, String> {
        let target = host_port(url).ok_or_else(|| {
            format!(
                "`{}` is not a URL with a host (e.g. wss://api.openai.com/v1/realtime)",
                relay_core::redact::redact_url_credentials(url)
            )
        })?;
        Ok(ReadyCheck::new(name, move || {
            let target = target.clone();
            async move {
                tokio::net::TcpStream::connect(&target)
                    .await
                    .map(drop)
                    .map_err(|e| format!("cannot connect to {target}: {e}"))
            }
        }))
    }
}

/// `host:port` of `scheme://host[:port]/...`.
fn host_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let origin = crate::auth::Origin::from_parts(scheme, authority)?;
    Some(format!("{}:{}", origin.host(), origin.port()))
}

/// Runs every check at once; 200 `{"status": "ready", "checks": {...}}` or 503
/// `{"status": "not ready", "failed": [...], "checks": {...}}`.
pub(crate) async fn respond(checks: &[ReadyCheck]) -> Response {
    let results = futures::future::join_all(
        checks
            .iter()
            .map(|c| async move { (c.name().to_owned(), c.run().await) }),
    )
    .await;
    let mut report = serde_json::Map::new();
    let mut failed = Vec::new();
    for (name, result) in results {
        match result {
            Ok(()) => {
                report.insert(name, "ok".into());
            }
            Err(why) => {
                tracing::warn!(check = %name, "not ready: {why}");
                failed.push(serde_json::Value::from(name.clone()));
                report.insert(name, why.into());
            }
        }
    }
    if failed.is_empty() {
        json(
            StatusCode::OK,
            &serde_json::json!({ "status": "ready", "checks": report }),
        )
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({ "status": "not ready", "failed": failed, "checks": report }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_and_port() {
        assert_eq!(
            host_port("wss://api.openai.com/v1/realtime?model=x").as_deref(),
            Some("api.openai.com:443")
        );
        assert_eq!(
            host_port("ws://127.0.0.1:9000/v1").as_deref(),
            Some("127.0.0.1:9000")
        );
        assert_eq!(host_port("http://[::1]/x").as_deref(), Some("[::1]:80"));
        assert_eq!(
            host_port("https://user:pw@host.example:8443").as_deref(),
            Some("host.example:8443")
        );
        assert_eq!(host_port("not a url"), None);
    }

    #[tokio::test]
    async fn a_slow_check_fails_by_its_timeout() {
        let slow = ReadyCheck::new("slow", || async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        })
        .timeout(Duration::from_millis(10));
        let e = slow.run().await.unwrap_err();
        assert!(e.contains("no answer within 10 ms"), "{e}");
    }
}
