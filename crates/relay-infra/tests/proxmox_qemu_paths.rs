//! The QEMU side of the failure paths and the config call, against the fake PVE server.

mod common;

use std::time::Duration;

use common::*;
use relay_core::infra::{EnvKind, EnvSpec, EnvStatus, InfraProvider, StopOptions};
use relay_infra::proxmox::GuestKind as ApiKind;
use relay_testkit::proxmox::GuestKind;

async fn vm(pve: &relay_testkit::proxmox::FakeProxmox) -> relay_infra::ProxmoxProvider {
    pve.add_guest(GuestKind::Qemu, 9001, "tmpl", true);
    let provider = provider(pve);
    run(provider.provision(EnvSpec::new("vm").kind(EnvKind::Qemu).template("9001")))
        .await
        .0
        .unwrap();
    provider
}

#[tokio::test]
async fn a_vm_that_ignores_acpi_shutdown_is_stopped() {
    let pve = fake().await;
    let provider = vm(&pve).await;
    pve.ignore_shutdown(100);
    let (env, events) = run(provider.stop(
        "vm",
        StopOptions {
            timeout: Duration::from_secs(3),
            force: false,
        },
    ))
    .await;
    assert_eq!(env.unwrap().status, EnvStatus::Stopped);
    let said = messages(&events);
    assert!(
        said.iter()
            .any(|m| m.contains("VM quit/powerdown failed - got timeout")),
        "{said:?}"
    );
    let order: Vec<String> = pve
        .requests()
        .iter()
        .filter(|r| r.path.contains("/status/") && r.method == "POST")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        order,
        vec![
            "nodes/pve/qemu/100/status/start",
            "nodes/pve/qemu/100/status/shutdown",
            "nodes/pve/qemu/100/status/stop"
        ]
    );
}

#[tokio::test]
async fn a_locked_vm_is_retried_and_a_failed_vm_start_is_cleaned_up() {
    let pve = fake().await;
    let provider = vm(&pve).await;
    pve.lock_guest(100, "backup", 1);
    let (snap, _) = run(provider.snapshot("vm", "s1")).await;
    snap.unwrap();
    assert_eq!(pve.guest(100).unwrap().snapshots, vec!["s1"]);

    pve.script_task_outcome(
        "qmstart",
        "start failed: QEMU exited with code 1",
        &["kvm: -drive ...: Could not open '/dev/pve/vm-101-disk-0'"],
    );
    let (env, _) =
        run(provider.provision(EnvSpec::new("vm2").kind(EnvKind::Qemu).template("9001"))).await;
    let text = env.unwrap_err().to_string();
    assert!(
        text.starts_with("task qmstart 101 on pve failed: start failed: QEMU exited with code 1"),
        "{text}"
    );
    assert!(text.contains("Could not open"), "{text}");
    assert_eq!(
        pve.guest_ids(),
        vec![100, 9001],
        "the failed VM was removed, the others stay"
    );
}

#[tokio::test]
async fn destroying_a_running_vm_stops_it_first() {
    let pve = fake().await;
    let provider = vm(&pve).await;
    let (done, events) = run(provider.destroy("vm")).await;
    done.unwrap();
    assert!(messages(&events).contains(&"stopping vm".to_string()));
    assert!(pve.guest(100).is_none());
}

#[tokio::test]
async fn guest_config_reads_pve_config_with_its_digest() {
    let pve = fake().await;
    let provider = vm(&pve).await;
    let config = provider
        .client()
        .guest_config("pve", ApiKind::Qemu, 100)
        .await
        .unwrap();
    assert_eq!(config["name"], "vm");
    assert_eq!(config["balloon"], "2048");
    assert_eq!(
        config["digest"].as_str().unwrap().len(),
        40,
        "PVE's SHA-1 config digest"
    );
    let status = provider
        .client()
        .guest_status("pve", ApiKind::Qemu, 100)
        .await
        .unwrap();
    assert_eq!(status.status, "running");
    assert_eq!(status.cpus, Some(4));
}
