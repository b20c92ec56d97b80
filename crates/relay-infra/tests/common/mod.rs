//! Shared setup for the tests against the fake PVE server.
#![allow(dead_code)]

use std::time::Duration;

use futures::StreamExt;
use relay_core::infra::InfraError;
use relay_core::{Event, EventKind, Job};
use relay_infra::proxmox::{ProxmoxProvider, ProxmoxSettings, ProxmoxSettingsBuilder, TlsTrust};
use relay_testkit::proxmox::FakeProxmox;

pub const TOKEN_ID: &str = "relay@pve!tests";
pub const TOKEN_SECRET: &str = "5f0c3e9a-2b1d-4c7e-9f10-aa11bb22cc33";
pub const USER: &str = "alice@pve";
pub const PASSWORD: &str = "correct horse battery staple";
pub const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub async fn fake() -> FakeProxmox {
    FakeProxmox::builder()
        .token(TOKEN_ID, TOKEN_SECRET)
        .user(USER, PASSWORD)
        .task_duration(Duration::from_millis(120))
        .start()
        .await
        .expect("fake PVE starts")
}

/// Token auth, the fake's CA trusted, fast retries.
pub fn settings(pve: &FakeProxmox) -> ProxmoxSettingsBuilder {
    ProxmoxSettings::builder(pve.url(), pve.node())
        .token(TOKEN_ID, TOKEN_SECRET)
        .trust(TlsTrust::CaPem(pve.ca_pem().to_string()))
        .retries(4, Duration::from_millis(10), Duration::from_millis(40))
        .lxc_template(DEBIAN)
        .task_timeout(Duration::from_secs(20))
}

pub fn provider(pve: &FakeProxmox) -> ProxmoxProvider {
    ProxmoxProvider::new(settings(pve).build().unwrap()).unwrap()
}

/// Runs a job to the end, returning its result and every event.
pub async fn run<T: Send + 'static>(
    mut job: Job<T, InfraError>,
) -> (Result<T, InfraError>, Vec<Event>) {
    let events: Vec<Event> = (&mut job).collect().await;
    (job.wait().await, events)
}

pub fn messages(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Progress(p) => Some(p.message.clone()),
            EventKind::Log { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect()
}
