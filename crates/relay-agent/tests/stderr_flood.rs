//! An agent that floods stderr without a newline costs Relay a bounded amount of memory: lines
//! are cut while they are read, not buffered whole first. (Its own test binary, so the process's
//! peak memory measures this run only.)

use relay_agent::shell::ShellAgent;
use relay_core::agent::{AgentContext, AgentStatus, AgentTask, CodingAgent};
use relay_testkit::memory::peak_rss_kib as peak_kib;

#[tokio::test]
async fn a_quarter_gigabyte_stderr_line_is_cut_while_reading() {
    let dir = tempfile::tempdir().unwrap();
    let before = peak_kib();
    // 256 MiB of 'x' on stderr, no newline, then a failing exit.
    let task = AgentTask::builder(
        "sh -c 'head -c 268435456 /dev/zero | tr \"\\000\" x >&2; echo last words >&2; exit 3'",
        dir.path(),
    )
    .build();
    let outcome = ShellAgent::new()
        .run(task, AgentContext::discard())
        .await
        .unwrap();
    assert_eq!(outcome.status, AgentStatus::Failed);
    let grown_mib = peak_kib().saturating_sub(before) / 1024;
    assert!(
        grown_mib < 64,
        "reading 256 MiB of stderr grew the peak memory by {grown_mib} MiB"
    );
    let error = outcome.error.unwrap_or_default();
    assert!(error.contains("exit code 3"), "{error}");
    assert!(error.contains("last words"), "{error}");
    assert!(
        error.contains("xxxx…"),
        "the long line is cut and marked: {}",
        &error[..200.min(error.len())]
    );
    assert!(
        error.len() < 10_000,
        "the error is bounded: {} bytes",
        error.len()
    );
}
