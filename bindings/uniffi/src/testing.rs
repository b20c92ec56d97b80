//! Test-only functions (cargo feature `testing`): never part of a published build. A library
//! built with the feature gets `syntheticJob` in its generated Kotlin/Swift bindings.

use std::sync::Arc;

use relay_bindings_common::{SyntheticJob, synthetic_job as start_synthetic};

use crate::job::Job;
use crate::runtime;

/// Starts a job that streams `events` progress events (one every `interval_ms`) and returns
/// `events`, or fails with `Repo(code = "synthetic_failure")` when `fail_with` is given.
/// For tests and for measuring the cost of streaming events.
#[uniffi::export(default(interval_ms = 0, fail_with = None))]
pub fn synthetic_job(events: u64, interval_ms: u64, fail_with: Option<String>) -> Arc<Job> {
    let spec = SyntheticJob {
        events,
        interval_ms,
        fail_with,
    };
    Job::new(runtime::enter(|| start_synthetic(spec)))
}
