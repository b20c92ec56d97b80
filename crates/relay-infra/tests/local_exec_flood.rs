//! A command in a local environment that floods its output costs Relay a bounded amount of
//! memory: the first and last 8 MiB of each stream are kept, what lies between is counted.
//! (Its own test binary, so the process's peak memory measures this run only.)

mod common;

use std::time::Duration;

use common::run;
use relay_core::infra::{EnvSpec, ExecRequest, InfraProvider};
use relay_infra::LocalProvider;
use relay_testkit::memory::peak_rss_kib as peak_kib;

#[tokio::test]
async fn a_command_writing_half_a_gigabyte_keeps_a_bounded_head_and_tail() {
    let dir = tempfile::tempdir().unwrap();
    let provider = LocalProvider::builder(dir.path().join("envs"))
        .build()
        .unwrap();
    run(provider.provision(EnvSpec::new("flood")))
        .await
        .0
        .unwrap();
    let before = peak_kib();
    // 256 MiB on stdout and on stderr, each starting and ending with a marker.
    let script = "for fd in 1 2; do { echo BEGIN; head -c 268435456 /dev/zero | tr '\\000' y; echo; echo END; } >&$fd; done";
    let out = provider
        .exec(
            "flood",
            ExecRequest::new(["sh", "-c", script]).timeout(Duration::from_secs(600)),
        )
        .await
        .unwrap();
    let grown_mib = peak_kib().saturating_sub(before) / 1024;
    assert_eq!(out.exit_code, Some(0));
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(text.starts_with("BEGIN\nyyyy"), "{name} keeps its head");
        assert!(text.ends_with("yyyy\nEND\n"), "{name} keeps its tail");
        assert!(
            text.contains("bytes of output left out here"),
            "{name} says what was left out"
        );
        assert!(
            text.len() <= 17 * 1024 * 1024,
            "{name} is bounded: {} bytes",
            text.len()
        );
    }
    assert!(
        grown_mib < 160,
        "reading 512 MiB of output grew the peak memory by {grown_mib} MiB"
    );
}
