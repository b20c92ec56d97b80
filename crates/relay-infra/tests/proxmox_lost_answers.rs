//! Never send a create twice: PVE carries out a create, clone or snapshot request but its answer
//! is lost (the fake accepts it and stalls); Relay does not send it again, finds out from the
//! node's tasks that it happened, follows its task, and ends with exactly one guest (one
//! snapshot).

mod common;

use std::time::Duration;

use common::*;
use relay_core::infra::{EnvSpec, InfraError, InfraProvider};
use relay_infra::proxmox::ProxmoxProvider;
use relay_testkit::proxmox::GuestKind;

/// A provider whose requests give up after a second.
fn impatient(pve: &relay_testkit::proxmox::FakeProxmox) -> ProxmoxProvider {
    ProxmoxProvider::new(
        settings(pve)
            .request_timeout(Duration::from_secs(1))
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn posts_to(pve: &relay_testkit::proxmox::FakeProxmox, path: &str) -> usize {
    pve.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_makes_exactly_one_guest() {
    let pve = fake().await;
    pve.stall_replies("POST", "nodes/pve/lxc", 1);
    let (env, events) = run(impatient(&pve).provision(EnvSpec::new("once"))).await;
    let env = env.unwrap_or_else(|e| panic!("{e}\n{:?}", messages(&events)));
    assert_eq!(env.name, "once");
    assert_eq!(pve.guest_ids(), vec![100], "exactly one guest");
    assert!(pve.guest(100).unwrap().running);
    assert_eq!(
        posts_to(&pve, "nodes/pve/lxc"),
        1,
        "the create was sent once"
    );
    let said = messages(&events);
    assert!(
        said.iter()
            .any(|m| m.contains("got no answer") && m.contains("PVE carried it out")),
        "{said:?}"
    );
}

#[tokio::test]
async fn a_clone_whose_answer_is_lost_makes_exactly_one_guest() {
    let pve = fake().await;
    pve.add_guest(GuestKind::Qemu, 9000, "tmpl", true);
    pve.stall_replies("POST", "/clone", 1);
    let spec = EnvSpec::new("cloned")
        .kind(relay_core::infra::EnvKind::Qemu)
        .template("9000");
    let (env, events) = run(impatient(&pve).provision(spec)).await;
    env.unwrap_or_else(|e| panic!("{e}\n{:?}", messages(&events)));
    assert_eq!(
        pve.guest_ids(),
        vec![100, 9000],
        "the template and one clone"
    );
    assert_eq!(posts_to(&pve, "nodes/pve/qemu/9000/clone"), 1);
}

#[tokio::test]
async fn a_snapshot_whose_answer_is_lost_is_taken_once() {
    let pve = fake().await;
    let provider = impatient(&pve);
    run(provider.provision(EnvSpec::new("snappy")))
        .await
        .0
        .unwrap();
    pve.stall_replies("POST", "/snapshot", 1);
    let (info, events) = run(provider.snapshot("snappy", "before")).await;
    let info = info.unwrap_or_else(|e| panic!("{e}\n{:?}", messages(&events)));
    assert_eq!(info.name, "before");
    assert_eq!(pve.guest(100).unwrap().snapshots, vec!["before"]);
    assert_eq!(posts_to(&pve, "nodes/pve/lxc/100/snapshot"), 1);
}

#[tokio::test]
async fn a_lost_answer_of_a_create_that_did_not_happen_is_reported_not_resent() {
    let pve = fake().await;
    // The create is refused (so nothing is made) and its answer lost on the way: the fake's
    // fault answers first, the stall withholds the answer.
    pve.fail_requests(Some("POST"), "nodes/pve/lxc", 400, "refused", 1);
    pve.stall_replies("POST", "nodes/pve/lxc", 1);
    let (env, _) = run(impatient(&pve).provision(EnvSpec::new("ghost"))).await;
    let err = env.unwrap_err();
    assert!(matches!(err, InfraError::Connect { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("was not sent again"), "{text}");
    assert!(text.contains("no guest 100 was created"), "{text}");
    assert!(pve.guest_ids().is_empty());
    assert_eq!(posts_to(&pve, "nodes/pve/lxc"), 1);
}
