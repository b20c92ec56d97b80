//! The API client: authentication (token or ticket with CSRF and renewal), requests with retries
//! of transient failures, PVE error text from the reason phrase and the `errors` object, and a
//! per-node limit on concurrent operations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relay_core::infra::InfraError;
use reqwest::Method;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::poll::DurationModel;
use super::retry::{backoff, is_refusal, is_transient};
use super::settings::{ProxmoxAuth, ProxmoxSettings, Secret};

/// A client for one PVE cluster. Cheap to clone.
#[derive(Clone)]
pub struct ProxmoxClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    api: String,
    pub(crate) settings: ProxmoxSettings,
    session: tokio::sync::Mutex<Option<Session>>,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    pub(crate) durations: DurationModel,
}

struct Session {
    ticket: Secret,
    csrf: Secret,
    obtained: Instant,
}

impl std::fmt::Debug for ProxmoxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxmoxClient")
            .field("url", &self.inner.settings.url)
            .field("node", &self.inner.settings.node)
            .finish_non_exhaustive()
    }
}

impl ProxmoxClient {
    /// A client for the API described by `settings`.
    pub fn new(settings: ProxmoxSettings) -> Result<Self, InfraError> {
        let tls = super::tls::client_config(&settings.trust, &settings.url)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(settings.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| InfraError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                api: format!("{}/api2/json", settings.url),
                settings,
                session: tokio::sync::Mutex::new(None),
                limits: Mutex::new(HashMap::new()),
                durations: DurationModel::default(),
            }),
        })
    }

    /// The settings this client was made with.
    pub fn settings(&self) -> &ProxmoxSettings {
        &self.inner.settings
    }

    /// `GET path` with query parameters; returns the `data` member.
    pub async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Value, InfraError> {
        self.request(Method::GET, path, params).await
    }

    /// `POST path` with form parameters; returns the `data` member.
    pub async fn post(&self, path: &str, params: &[(&str, String)]) -> Result<Value, InfraError> {
        self.request(Method::POST, path, params).await
    }

    /// `PUT path` with form parameters; returns the `data` member.
    pub async fn put(&self, path: &str, params: &[(&str, String)]) -> Result<Value, InfraError> {
        self.request(Method::PUT, path, params).await
    }

    /// `DELETE path` with query parameters; returns the `data` member.
    pub async fn delete(&self, path: &str, params: &[(&str, String)]) -> Result<Value, InfraError> {
        self.request(Method::DELETE, path, params).await
    }

    /// Waits for a slot among the node's concurrent operations; hold it until the operation's
    /// task has finished.
    pub async fn node_permit(&self, node: &str) -> OwnedSemaphorePermit {
        let semaphore = {
            let mut limits = self.inner.limits.lock().expect("limits lock");
            Arc::clone(limits.entry(node.to_string()).or_insert_with(|| {
                Arc::new(Semaphore::new(self.inner.settings.max_parallel_per_node))
            }))
        };
        semaphore
            .acquire_owned()
            .await
            .expect("semaphore never closed")
    }

    /// Sends a request, retrying transient failures with bounded backoff and logging in again
    /// once when a ticket has expired.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Value, InfraError> {
        let settings = &self.inner.settings;
        let mut attempt = 0;
        let mut relogged = false;
        loop {
            attempt += 1;
            let mut builder = self
                .inner
                .http
                .request(method.clone(), format!("{}{}", self.inner.api, path));
            builder = if method == Method::GET || method == Method::DELETE {
                builder.query(params)
            } else {
                builder.form(params)
            };
            builder = self.authorize(builder, &method).await?;
            // Not connected: nothing reached PVE. Any later failure (a timeout, a reset) may
            // come after PVE carried the request out.
            let mut delivered = true;
            let outcome = match builder.send().await {
                Ok(response) => read_response(response).await,
                Err(e) => {
                    delivered = !e.is_connect();
                    Err(self.transport_error(e))
                }
            };
            let (status, message, errors) = match outcome {
                Ok(data) => return Ok(data),
                Err(Failure::Transport(error)) => {
                    // Sent again only when that cannot do it twice: idempotent requests, and
                    // others (create, clone, snapshot) only if they never reached PVE; their
                    // callers find out whether they happened.
                    let resend = !delivered || is_idempotent(&method, path);
                    if matches!(error, InfraError::Connect { .. })
                        && resend
                        && attempt < settings.max_attempts
                    {
                        let delay = backoff(attempt, settings.retry_base, settings.retry_max);
                        tracing::debug!(path, attempt, ?delay, %error, "retrying after a connection failure");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(error);
                }
                Err(Failure::Http {
                    status,
                    message,
                    errors,
                }) => (status, message, errors),
            };
            if status == 401 {
                if matches!(settings.auth, ProxmoxAuth::Password { .. }) && !relogged {
                    // The ticket expired or was revoked: log in again once.
                    relogged = true;
                    attempt -= 1;
                    *self.inner.session.lock().await = None;
                    continue;
                }
                return Err(self.auth_error(&message));
            }
            // A POST is resent only after PVE refused it (a lock, no worker): a gateway error
            // (502, 504, 596) may come after the node carried it out.
            let resend = is_idempotent(&method, path) || is_refusal(status, &message);
            if resend && is_transient(status, &message) && attempt < settings.max_attempts {
                let delay = backoff(attempt, settings.retry_base, settings.retry_max);
                tracing::info!(path, attempt, ?delay, status, message = %message, "transient Proxmox failure; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(InfraError::Api {
                method: method.to_string(),
                path: path.to_string(),
                status,
                message,
                errors,
                attempts: attempt,
            });
        }
    }

    async fn authorize(
        &self,
        builder: reqwest::RequestBuilder,
        method: &Method,
    ) -> Result<reqwest::RequestBuilder, InfraError> {
        match &self.inner.settings.auth {
            ProxmoxAuth::Token { id, secret } => Ok(builder.header(
                "Authorization",
                sensitive(&format!("PVEAPIToken={id}={}", secret.expose()))?,
            )),
            ProxmoxAuth::Password { user, password } => {
                let mut session = self.inner.session.lock().await;
                let renew_after = self.inner.settings.ticket_renew_after;
                let fresh = match session.as_ref() {
                    None => Some(self.login(user, password).await?),
                    Some(s) if s.obtained.elapsed() >= renew_after => {
                        // Renew with the ticket itself; fall back to the password if refused.
                        match self.login(user, &s.ticket).await {
                            Ok(new) => Some(new),
                            Err(_) => Some(self.login(user, password).await?),
                        }
                    }
                    Some(_) => None,
                };
                if let Some(fresh) = fresh {
                    *session = Some(fresh);
                }
                let s = session.as_ref().expect("session set above");
                let mut builder = builder.header(
                    "Cookie",
                    sensitive(&format!(
                        "PVEAuthCookie={}",
                        encode_cookie(s.ticket.expose())
                    ))?,
                );
                if *method != Method::GET {
                    builder = builder.header("CSRFPreventionToken", sensitive(s.csrf.expose())?);
                }
                Ok(builder)
            }
        }
    }

    async fn login(&self, user: &str, password: &Secret) -> Result<Session, InfraError> {
        let response = self
            .inner
            .http
            .post(format!("{}/access/ticket", self.inner.api))
            .form(&[("username", user), ("password", password.expose())])
            .send()
            .await
            .map_err(|e| self.transport_error(e))
            .map_err(|f| match f {
                Failure::Transport(e) => e,
                Failure::Http { message, .. } => InfraError::Auth { message },
            })?;
        let data = match read_response(response).await {
            Ok(data) => data,
            Err(Failure::Transport(e)) => return Err(e),
            Err(Failure::Http { message, .. }) => {
                return Err(InfraError::Auth {
                    message: format!(
                        "Proxmox login as `{user}` failed: {message}; check PROXMOX_USER and PROXMOX_PASSWORD"
                    ),
                });
            }
        };
        let field = |name: &str| data.get(name).and_then(Value::as_str).map(str::to_string);
        match (field("ticket"), field("CSRFPreventionToken")) {
            (Some(ticket), Some(csrf)) => Ok(Session {
                ticket: Secret::new(ticket),
                csrf: Secret::new(csrf),
                obtained: Instant::now(),
            }),
            _ => Err(InfraError::Auth {
                message: "Proxmox answered the login without a ticket and CSRF token".to_string(),
            }),
        }
    }

    fn auth_error(&self, message: &str) -> InfraError {
        let message = match &self.inner.settings.auth {
            ProxmoxAuth::Token { id, .. } => format!(
                "Proxmox refused API token `{id}`: {message}; check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET \
                 (Datacenter > Permissions > API Tokens)"
            ),
            ProxmoxAuth::Password { user, .. } => format!(
                "Proxmox refused the login of `{user}`: {message}; check PROXMOX_USER and PROXMOX_PASSWORD"
            ),
        };
        InfraError::Auth { message }
    }

    fn transport_error(&self, e: reqwest::Error) -> Failure {
        let url = self.inner.settings.url.clone();
        if let Some(tls) = find_rustls_error(&e) {
            return Failure::Transport(InfraError::Tls {
                url,
                message: tls.to_string(),
            });
        }
        let chain = error_chain(&e);
        if e.is_timeout() {
            return Failure::Transport(InfraError::Connect {
                url,
                message: format!("the request timed out ({chain})"),
            });
        }
        Failure::Transport(InfraError::Connect {
            url,
            message: chain,
        })
    }
}

/// Whether sending `method path` twice has the effect of sending it once: GET, PUT and DELETE,
/// and the power actions (`POST .../status/start|stop|shutdown`: the guest ends in the same
/// state). Creates, clones, snapshots and rollbacks are not.
fn is_idempotent(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::PUT | Method::DELETE)
        || (*method == Method::POST && path.contains("/status/"))
}

/// How a request failed before any retry decision.
enum Failure {
    Transport(InfraError),
    Http {
        status: u16,
        message: String,
        errors: Vec<(String, String)>,
    },
}

async fn read_response(response: reqwest::Response) -> Result<Value, Failure> {
    let status = response.status();
    // PVE writes the error text into the reason phrase (`HTTP/1.1 500 CT 100 is locked`).
    let reason = response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
    let body = response.bytes().await.unwrap_or_default();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(json.get("data").cloned().unwrap_or(Value::Null));
    }
    let mut errors: Vec<(String, String)> = json
        .get("errors")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    errors.sort();
    let message = reason
        .filter(|r| !r.trim().is_empty())
        .or_else(|| {
            json.get("message")
                .and_then(Value::as_str)
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("unknown error")
                .to_string()
        });
    Err(Failure::Http {
        status: status.as_u16(),
        message,
        errors,
    })
}

/// The rustls error behind a transport failure, if any. tokio-rustls nests it in io::Errors,
/// whose `source()` skips the wrapped error, so those are unwrapped with `get_ref`.
fn find_rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && let Some(tls) = find_rustls_error(inner)
    {
        return Some(tls);
    }
    err.source().and_then(find_rustls_error)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// A header value marked sensitive, so HTTP-level debug output never shows it.
fn sensitive(value: &str) -> Result<reqwest::header::HeaderValue, InfraError> {
    let mut v = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        InfraError::Config(
            "the Proxmox credentials contain characters not allowed in an HTTP header".to_string(),
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Tickets may hold characters that are not allowed raw in a cookie value.
fn encode_cookie(ticket: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b':')
        .remove(b'@')
        .remove(b'!')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    percent_encoding::utf8_percent_encode(ticket, SET).to_string()
}
