//! The harness's bad paths: a server that cannot start, or exits before it listens, is reported
//! with what went wrong and its output — no run, no hang, nothing left running.

use std::time::Duration;

use relay_gateway_load::{LoadConfig, LoadError, ServerKind, run};

fn small() -> LoadConfig {
    LoadConfig {
        conversations: 2,
        turns: 2,
        deadline: Duration::from_secs(30),
        ..LoadConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_server_binary_is_reported() {
    let kind = ServerKind::Relay {
        bin: "/nonexistent/relay".into(),
    };
    let Err(LoadError::Server { what, message }) = run(&kind, &small()).await else {
        panic!("a missing binary cannot be run");
    };
    assert!(what.contains("/nonexistent/relay"), "{what}");
    assert!(message.starts_with("cannot start it: "), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_exits_before_it_listens_is_reported_with_its_output() {
    // `sh -c` without a command stands in for a server that fails at start-up, saying why
    // on stderr.
    let kind = ServerKind::Node {
        node: "sh".into(),
        script: "-c".into(),
    };
    let Err(LoadError::Server { message, .. }) = run(&kind, &small()).await else {
        panic!("a server that exits cannot be run");
    };
    assert!(
        message.starts_with("it exited before it listened; its output:\n"),
        "{message}"
    );
    assert!(message.contains("-c"), "its output is included: {message}");
}
