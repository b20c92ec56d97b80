//! Test-only functions (cargo feature `testing`): never part of a published build, nor of the
//! committed index.js / index.d.ts. Node tests and benchmarks reach them through `testing.js`.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{SyntheticJob, synthetic_job as start_synthetic};

use crate::job::Job;

/// Options of `syntheticJob`.
#[napi(object)]
pub struct SyntheticJobOptions {
    /// How many progress events to emit.
    pub events: u32,
    /// Pause between two events, in milliseconds (default 0).
    pub interval_ms: Option<u32>,
    /// When set, the job fails with code `synthetic_failure` and this message.
    pub fail_with: Option<String>,
}

/// Starts a job that streams `events` progress events and returns `events` (or fails as asked).
/// For tests and for measuring the cost of streaming events into Node.
#[napi]
pub fn synthetic_job(options: SyntheticJobOptions) -> Job {
    let spec = SyntheticJob {
        events: u64::from(options.events),
        interval_ms: u64::from(options.interval_ms.unwrap_or(0)),
        fail_with: options.fail_with,
    };
    Job::new(within_runtime_if_available(|| start_synthetic(spec)))
}
