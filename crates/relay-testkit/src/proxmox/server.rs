//! The HTTPS listener: TLS with the test CA's certificate, HTTP/1.1, PVE reason phrases.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::api;
use super::request::{ApiRequest, Reply};
use super::state::State;
use crate::http::ReadRequest;

/// Accepts connections until the returned task is aborted.
pub(crate) fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Mutex<State>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                // A client that rejects our certificate ends the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let io = hyper_util::rt::TokioIo::new(tls);
                let service = hyper::service::service_fn(move |req| {
                    let shared = Arc::clone(&shared);
                    async move { Ok::<_, Infallible>(respond(&shared, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    })
}

async fn respond(shared: &Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = match parse(req).await {
        Ok(api_req) => {
            let stall = take_stall(shared, &api_req);
            let shared = Arc::clone(shared);
            // Handlers take a std mutex and may spawn; keep them off the async poll path.
            let reply = api::handle(&shared, api_req);
            if stall {
                // Carried out, never answered: the client's request times out.
                std::future::pending::<()>().await;
            }
            reply
        }
        Err(reply) => reply,
    };
    let body = serde_json::to_vec(&reply.body).unwrap_or_default();
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", "application/json;charset=UTF-8")
        .header("server", "pve-api-daemon/3.0")
        .body(Full::new(Bytes::from(body)))
        .expect("valid response");
    if let Some(reason) = reply.reason {
        // PVE writes the error text into the status line, e.g. `500 CT 100 is locked (backup)`.
        let clean: String = reason.chars().filter(|c| !c.is_control()).collect();
        if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(clean.into_bytes()) {
            response.extensions_mut().insert(phrase);
        }
    }
    response
}

/// Whether this request's answer is scripted to stall (consumes one match).
fn take_stall(shared: &Arc<Mutex<State>>, req: &ApiRequest) -> bool {
    let Ok(mut state) = shared.lock() else {
        return false;
    };
    let Some(stall) = state
        .stalls
        .iter_mut()
        .find(|s| s.times > 0 && s.method == req.method && req.path.contains(&s.path_contains))
    else {
        return false;
    };
    stall.times -= 1;
    true
}

async fn parse(req: Request<Incoming>) -> Result<ApiRequest, Reply> {
    let req = ReadRequest::read(req)
        .await
        .map_err(|message| Reply::error(400, message))?;
    let (method, uri) = (req.method.clone(), req.uri.clone());
    let authorization = req.header("authorization");
    let csrf = req.header("csrfpreventiontoken");
    let content_type = req.header("content-type").unwrap_or_default();
    let cookie_ticket = req.header("cookie").and_then(|c| {
        c.split(';').find_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            (k == "PVEAuthCookie").then(|| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned()
            })
        })
    });
    let Some(path) = uri.path().strip_prefix("/api2/json/") else {
        return Err(Reply::error(
            501,
            format!("Unknown API path '{}'", uri.path()),
        ));
    };
    let path = path.trim_end_matches('/').to_string();
    let segments = path
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let mut params: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let body = req.body;
    if content_type.starts_with("application/json") && !body.is_empty() {
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| Reply::error(400, format!("unable to parse JSON body: {e}")))?;
        if let Some(map) = value.as_object() {
            for (k, v) in map {
                match v {
                    serde_json::Value::Array(items) => {
                        params.extend(items.iter().map(|i| (k.clone(), scalar(i))));
                    }
                    other => params.push((k.clone(), scalar(other))),
                }
            }
        }
    } else if !body.is_empty() {
        params.extend(form_urlencoded::parse(&body).into_owned());
    }
    Ok(ApiRequest {
        method,
        path,
        segments,
        params,
        authorization,
        cookie_ticket,
        csrf,
    })
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => (*b as u8).to_string(),
        other => other.to_string(),
    }
}
