//! The page's files, embedded in the binary, and the version (content hash) they are served under.

use std::sync::OnceLock;

/// One embedded file.
pub(crate) struct Asset {
    /// The file name under `/assets/{version}/`.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("www/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file the page loads (index.html names them under `{{ASSETS}}/`).
const ASSETS: &[Asset] = &[
    asset!("app.js", JS),
    asset!("connection.js", JS),
    asset!("audio.js", JS),
    asset!("player.js", JS),
    asset!("pcm.js", JS),
    asset!("capture-worklet.js", JS),
    asset!("view.js", JS),
    asset!("metrics.js", JS),
    asset!("style.css", "text/css; charset=utf-8"),
];

const INDEX_HTML: &str = include_str!("www/index.html");

/// The asset named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The asset names, for error messages.
pub(crate) fn names() -> String {
    ASSETS.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
}

/// The version the assets are served under: the first 16 hex digits of the SHA-256 of the page
/// and all its assets, so a new build never meets a stale cached copy.
pub fn assets_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        digest.update(INDEX_HTML.as_bytes());
        for asset in ASSETS {
            digest.update(asset.name.as_bytes());
            digest.update(&(asset.body.len() as u64).to_le_bytes());
            digest.update(asset.body);
        }
        digest.finish().as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// The page, its assets named under `/assets/{version}`.
pub(crate) fn index_html() -> &'static str {
    static HTML: OnceLock<String> = OnceLock::new();
    HTML.get_or_init(|| {
        INDEX_HTML.replace(
            "{{ASSETS}}",
            &format!("{}/{}", super::ASSETS_PREFIX, assets_version()),
        )
    })
}
