//! Authentication and TLS against the fake PVE server.

mod common;

use std::time::Duration;

use common::*;
use relay_core::infra::{InfraError, InfraProvider};
use relay_infra::proxmox::{ProxmoxClient, ProxmoxProvider, ProxmoxSettings, TlsTrust};

#[tokio::test]
async fn api_token_is_sent_in_the_authorization_header() {
    let pve = fake().await;
    let envs = provider(&pve).list().await.unwrap();
    assert!(envs.is_empty());
    let requests = pve.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "cluster/resources");
    assert_eq!(requests[0].auth, "token");
    assert_eq!(requests[0].status, 200);
}

#[tokio::test]
async fn a_wrong_token_secret_is_a_clear_error_without_the_secret() {
    let pve = fake().await;
    let settings = settings(&pve)
        .token(TOKEN_ID, "wrong-secret-value")
        .build()
        .unwrap();
    let err = ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth");
    let text = err.to_string();
    assert!(
        text.contains("Proxmox refused API token `relay@pve!tests`: invalid token value!"),
        "{text}"
    );
    assert!(text.contains("PROXMOX_TOKEN_SECRET"), "{text}");
    assert!(!text.contains("wrong-secret-value"), "{text}");
    assert_eq!(pve.requests().len(), 1, "auth failures are not retried");
}

#[tokio::test]
async fn an_unknown_token_is_named() {
    let pve = fake().await;
    let settings = settings(&pve)
        .token("relay@pve!nope", TOKEN_SECRET)
        .build()
        .unwrap();
    let err = ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no such token 'nope' for user 'relay@pve'"),
        "{err}"
    );
}

#[tokio::test]
async fn password_login_uses_a_ticket_and_csrf_token_on_writes() {
    let pve = fake().await;
    pve.add_guest(relay_testkit::proxmox::GuestKind::Lxc, 9000, "tmpl", true);
    let settings = settings(&pve).password(USER, PASSWORD).build().unwrap();
    let client = ProxmoxClient::new(settings).unwrap();
    let id = client.next_id().await.unwrap();
    assert_eq!(id, 100);
    let upid = client
        .clone_guest(
            "pve",
            relay_infra::proxmox::GuestKind::Lxc,
            9000,
            id,
            "ticketed",
            true,
        )
        .await
        .unwrap();
    client.wait_task(&upid, None).await.unwrap();
    assert_eq!(pve.tickets_issued(), 1, "one login serves many requests");
    let requests = pve.requests();
    assert_eq!(requests[0].path, "access/ticket");
    let clone = requests
        .iter()
        .find(|r| r.path.ends_with("/clone"))
        .unwrap();
    assert_eq!(
        (clone.auth, clone.csrf_header, clone.status),
        ("ticket", true, 200)
    );
    let get = requests
        .iter()
        .find(|r| r.path == "cluster/nextid")
        .unwrap();
    assert_eq!((get.auth, get.csrf_header), ("ticket", false));
    assert_eq!(pve.guest(100).unwrap().name, "ticketed");
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_error() {
    let pve = fake().await;
    let settings = settings(&pve).password(USER, "guess").build().unwrap();
    let err = ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.code(), "auth");
    assert!(
        text.contains("Proxmox login as `alice@pve` failed: authentication failure"),
        "{text}"
    );
    assert!(text.contains("PROXMOX_PASSWORD"), "{text}");
    assert!(!text.contains("guess"), "{text}");
}

#[tokio::test]
async fn an_expired_ticket_leads_to_a_new_login() {
    let pve = fake().await;
    let settings = settings(&pve).password(USER, PASSWORD).build().unwrap();
    let provider = ProxmoxProvider::new(settings).unwrap();
    provider.list().await.unwrap();
    pve.expire_tickets();
    provider.list().await.unwrap();
    assert_eq!(pve.tickets_issued(), 2);
    let statuses: Vec<u16> = pve.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![200, 200, 401, 200, 200],
        "login, list, refused list, login, list"
    );
}

#[tokio::test]
async fn tickets_are_renewed_before_they_expire() {
    let pve = fake().await;
    let settings = settings(&pve)
        .password(USER, PASSWORD)
        .ticket_renew_after(Duration::from_millis(50))
        .build()
        .unwrap();
    let provider = ProxmoxProvider::new(settings).unwrap();
    provider.list().await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    provider.list().await.unwrap();
    assert_eq!(pve.tickets_issued(), 2);
    assert!(
        pve.requests().iter().all(|r| r.status == 200),
        "renewal happens before any refusal"
    );
}

#[tokio::test]
async fn a_pinned_fingerprint_is_accepted() {
    let pve = fake().await;
    let settings = settings(&pve)
        .trust(TlsTrust::Fingerprint(pve.fingerprint()))
        .build()
        .unwrap();
    ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_ca_file_is_accepted() {
    let pve = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = pve.write_ca_file(dir.path()).unwrap();
    let settings = settings(&pve).trust(TlsTrust::CaFile(ca)).build().unwrap();
    ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_fingerprint_is_refused_with_advice() {
    let pve = fake().await;
    let wrong = vec!["AB"; 32].join(":");
    let settings = settings(&pve)
        .trust(TlsTrust::Fingerprint(wrong))
        .build()
        .unwrap();
    let err = ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "tls", "{err}");
    let text = err.to_string();
    assert!(text.contains("is not the pinned AB:AB"), "{text}");
    assert!(
        text.contains(&pve.fingerprint()),
        "the actual fingerprint is shown: {text}"
    );
    assert!(text.contains("PROXMOX_FINGERPRINT"), "{text}");
    assert!(
        pve.requests().is_empty(),
        "no request is sent over an unverified connection"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_by_default() {
    let pve = fake().await;
    let settings = settings(&pve).trust(TlsTrust::System).build().unwrap();
    // Without system roots on the machine, building the client already refuses.
    let err = match ProxmoxProvider::new(settings) {
        Ok(provider) => provider.list().await.unwrap_err(),
        Err(e) => e,
    };
    match &err {
        InfraError::Tls { message, .. } => assert!(
            message.contains("UnknownIssuer") || message.contains("issuer"),
            "{message}"
        ),
        InfraError::Config(message) => {
            assert!(message.contains("no system CA certificates"), "{message}");
        }
        other => panic!("expected a TLS refusal, got {other}"),
    }
    assert!(pve.requests().is_empty());
}

#[tokio::test]
async fn a_wrong_ca_is_refused() {
    let pve = fake().await;
    let other = fake().await;
    let settings = settings(&pve)
        .trust(TlsTrust::CaPem(other.ca_pem().to_string()))
        .build()
        .unwrap();
    let err = ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "tls", "{err}");
    assert!(err.to_string().contains("PROXMOX_CA_FILE"), "{err}");
}

#[tokio::test]
async fn insecure_mode_is_an_explicit_opt_in_that_connects() {
    let pve = fake().await;
    let settings = settings(&pve).trust(TlsTrust::Insecure).build().unwrap();
    ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_missing_or_invalid_ca_file_is_a_config_error() {
    let pve = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.pem");
    let err = ProxmoxProvider::new(
        settings(&pve)
            .trust(TlsTrust::CaFile(missing))
            .build()
            .unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("cannot read the Proxmox CA file"),
        "{err}"
    );
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let err = ProxmoxProvider::new(
        settings(&pve)
            .trust(TlsTrust::CaFile(garbage))
            .build()
            .unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("holds no PEM certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn settings_are_checked_when_built() {
    let err = ProxmoxSettings::builder("http://pve:8006", "pve")
        .token("no-realm", "x")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("must start with https://"), "{err}");
    assert!(err.contains("must look like user@realm!tokenname"), "{err}");
    let err = ProxmoxSettings::builder("https://pve:8006", "pve")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("no credentials"), "{err}");
}

#[tokio::test]
async fn a_secret_that_cannot_be_a_header_is_refused_without_showing_it() {
    let pve = fake().await;
    let settings = settings(&pve)
        .token(TOKEN_ID, "line\nbreak")
        .build()
        .unwrap();
    let err = ProxmoxProvider::new(settings)
        .unwrap()
        .list()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "config");
    assert!(!err.to_string().contains("line\nbreak"), "{err}");
    assert!(pve.requests().is_empty());
}
