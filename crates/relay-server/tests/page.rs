//! The page `relay serve` serves at `/` over HTTP: the HTML names its assets under the content
//! hash, every asset is served with its type and caching, the policy allows only this origin and
//! its conversation endpoint, and what is not an asset is a 404 that says what is.

use relay_server::Server;
use relay_server::gateway::page::{self, assets_version};

struct Page {
    base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Page {
    async fn start() -> Page {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let server = Server::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .serve(page::router(), async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Page {
            base,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            stop: Some(stop),
            task,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("host", "relay.example:8443")
            .send()
            .await
            .unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The asset paths the page names (`src=` / `href=` under /assets/).
fn asset_paths(html: &str) -> Vec<String> {
    html.split(['"', '\''])
        .filter(|s| s.starts_with("/assets/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_page_names_its_assets_under_the_content_hash_with_a_strict_policy() {
    let page = Page::start().await;
    let response = page.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert_eq!(
        header(&response, "etag"),
        format!("\"{}\"", assets_version())
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    let csp = header(&response, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "worker-src 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self' ws://relay.example:8443/v1/conversation wss://relay.example:8443/v1/conversation",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let html = response.text().await.unwrap();
    // Nothing inline for the policy to refuse: scripts and styles are files.
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "{html}"
    );
    assert!(!html.contains("{{ASSETS}}"));
    let assets = asset_paths(&html);
    assert_eq!(
        assets,
        vec![
            format!("/assets/{}/style.css", assets_version()),
            format!("/assets/{}/pcm.js", assets_version()),
            format!("/assets/{}/app.js", assets_version()),
        ]
    );
    for hook in [
        "talk",
        "transcript",
        "tools",
        "approvals",
        "session-id",
        "signin",
        "briefing",
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{hook}\"")),
            "the page lacks the {hook} hook"
        );
    }
    // A revalidation costs nothing.
    let again = page
        .client
        .get(format!("{}/", page.base))
        .header("if-none-match", format!("\"{}\"", assets_version()))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    page.stop().await;
}

#[tokio::test]
async fn every_asset_is_served_with_its_type_and_cached_as_immutable_under_its_version() {
    let page = Page::start().await;
    let version = assets_version();
    for (file, content_type) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("connection.js", "text/javascript; charset=utf-8"),
        ("audio.js", "text/javascript; charset=utf-8"),
        ("player.js", "text/javascript; charset=utf-8"),
        ("pcm.js", "text/javascript; charset=utf-8"),
        ("capture-worklet.js", "text/javascript; charset=utf-8"),
        ("view.js", "text/javascript; charset=utf-8"),
        ("metrics.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
    ] {
        let response = page.get(&format!("/assets/{version}/{file}")).await;
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(header(&response, "content-type"), content_type, "{file}");
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable",
            "{file}"
        );
        assert!(!response.bytes().await.unwrap().is_empty(), "{file}");
        // A page cached from an older build still gets the file, revalidated every time.
        let stale = page.get(&format!("/assets/0123456789abcdef/{file}")).await;
        assert_eq!(stale.status(), 200);
        assert_eq!(header(&stale, "cache-control"), "no-cache");
    }
    // Every module the page imports is one the server has (no 404 at load).
    let app = page
        .get(&format!("/assets/{version}/app.js"))
        .await
        .text()
        .await
        .unwrap();
    for import in app.lines().filter_map(|l| l.split(" from './").nth(1)) {
        let file = import.trim_end_matches(['\'', ';']);
        assert_eq!(
            page.get(&format!("/assets/{version}/{file}"))
                .await
                .status(),
            200,
            "{file}"
        );
    }
    page.stop().await;
}

#[tokio::test]
async fn what_is_not_an_asset_is_a_404_that_names_the_assets() {
    let page = Page::start().await;
    let version = assets_version();
    for path in [
        format!("/assets/{version}/secret.txt"),
        format!("/assets/{version}/..%2FCargo.toml"),
        format!("/assets/{version}/mod.rs"),
    ] {
        let response = page.get(&path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.starts_with("no such asset `"), "{body}");
        assert!(body.contains("app.js, "), "{body}");
    }
    assert_eq!(page.get("/assets/app.js").await.status(), 404);
    page.stop().await;
}

#[tokio::test]
async fn a_host_header_that_could_break_the_policy_is_left_out_of_it() {
    let page = Page::start().await;
    let response = page
        .client
        .get(format!("{}/", page.base))
        .header("host", "evil.example; script-src *")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = header(&response, "content-security-policy");
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert!(!csp.contains("evil"), "{csp}");
    page.stop().await;
}
