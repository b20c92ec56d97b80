//! `relay serve`'s security flags end to end, with the real binary: a non-loopback address
//! without a team refuses to start, TLS files that cannot be used are named, and with a team
//! the page, `/metrics` and `/readyz` are served over HTTPS to a client trusting a certificate
//! made here, `/metrics` only with a token made by `relay team token create`.

mod serve_support;

use std::path::{Path, PathBuf};

use serve_support::{Serving, command, create_token, run, stderr, workspace};

const TEAM: &str = "team:\n  - user: ann\n    role: admin\n  - user: bob\n    role: developer\n";

#[test]
fn without_a_team_a_non_loopback_address_is_refused_before_serving() {
    let dir = workspace("");
    let out = run(dir.path(), &["serve", "--bind", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("refusing to serve 0.0.0.0:"), "{err}");
    assert!(
        err.contains("Add a `team:` section to relay.yaml")
            && err.contains("relay team token create USER")
            && err.contains("bind 127.0.0.1"),
        "{err}"
    );
    assert!(!err.contains("listening"), "{err}");
}

#[test]
fn tls_flags_name_the_file_that_cannot_be_used() {
    let dir = workspace("");
    let missing = dir.path().join("missing-cert.pem");
    let key = dir.path().join("not-a-key.pem");
    std::fs::write(&key, "not a key").unwrap();
    let out = run(
        dir.path(),
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            missing.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot use the TLS certificate {}: cannot read it",
            missing.display()
        )),
        "{err}"
    );
    let (_, cert, _) = certificates(dir.path());
    let out = run(
        dir.path(),
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot use the TLS private key {}: there is no `BEGIN PRIVATE KEY` block",
            key.display()
        )),
        "{err}"
    );

    let out = run(dir.path(), &["serve", "--tls-cert", cert.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--tls-key"), "{}", stderr(&out));
    let out = run(
        dir.path(),
        &["serve", "--allowed-origin", "relay.example.com"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a web origin (no scheme)"),
        "{}",
        stderr(&out)
    );
}

fn certificates(dir: &Path) -> (String, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (ca.pem(), cert_path, key_path)
}

#[test]
fn with_a_team_the_page_metrics_and_readyz_are_served_over_tls() {
    let dir = workspace(TEAM);
    let token = create_token(dir.path(), "bob", &[]);
    let (ca, cert, key) = certificates(dir.path());
    let mut serve = command(
        dir.path(),
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--behind-proxy",
        ],
    );
    serve.env("RELAY_LOG", "info");
    let serving = Serving::start(serve);
    let first = &serving.first;
    assert!(first.contains("https://127.0.0.1:"), "{first}");
    assert!(first.contains("users' tokens required"), "{first}");
    let port = serving.addr.rsplit(':').next().unwrap().to_owned();
    let base = format!("https://localhost:{port}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let c = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
            .build()
            .unwrap();
        let get = |path: &str| c.get(format!("{base}{path}"));
        assert_eq!(get("/healthz").send().await.unwrap().status(), 200);
        let ready = get("/readyz").send().await.unwrap();
        assert_eq!(ready.status(), 200);
        assert_eq!(
            ready.text().await.unwrap(),
            r#"{"checks":{"store":"ok"},"status":"ready"}"#
        );
        let refused = get("/metrics").send().await.unwrap();
        assert_eq!(refused.status(), 401);
        let body: serde_json::Value = refused.json_text().await;
        assert!(
            body["hint"]
                .as_str()
                .unwrap()
                .contains("relay team token create")
        );
        let metrics = get("/metrics").bearer_auth(&token).send().await.unwrap();
        assert_eq!(metrics.status(), 200);
        let text = metrics.text().await.unwrap();
        assert!(
            text.contains("# TYPE relay_webhook_deliveries_total counter"),
            "{text}"
        );
        assert!(text.contains("relay_jobs{status=\"running\"} 0"), "{text}");
        assert!(
            text.contains("relay_auth_failures_total{reason=\"missing\"} 1"),
            "{text}"
        );
        let whoami = get("/auth/whoami")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            whoami.text().await.unwrap(),
            r#"{"role":"developer","user":"bob"}"#
        );
    });
    let (_, logged) = serving.stop();
    assert!(
        !logged.contains(&token),
        "tokens are never logged: {logged}"
    );
}

/// `.json()` without reqwest's json feature.
trait JsonText {
    async fn json_text(self) -> serde_json::Value;
}

impl JsonText for reqwest::Response {
    async fn json_text(self) -> serde_json::Value {
        serde_json::from_str(&self.text().await.unwrap()).unwrap()
    }
}
