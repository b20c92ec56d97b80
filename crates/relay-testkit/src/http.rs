//! What the HTTP peers (GitHub, Proxmox) read from every request before routing it: the
//! method, the URI, the headers they look at, and the whole body.

use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, Uri};

/// A request read to its end.
pub(crate) struct ReadRequest {
    pub method: String,
    pub uri: Uri,
    headers: HeaderMap,
    pub body: Bytes,
}

impl ReadRequest {
    /// Reads `req`'s body to its end; the error says why it could not be read.
    pub async fn read(req: Request<Incoming>) -> Result<ReadRequest, String> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("unable to read request body: {e}"))?
            .to_bytes();
        Ok(ReadRequest {
            method: parts.method.as_str().to_string(),
            uri: parts.uri,
            headers: parts.headers,
            body,
        })
    }

    /// The header `name` as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}
