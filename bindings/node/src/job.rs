//! `Job`: a running long operation. Events through `nextBatch()` (and `for await` via relay.js),
//! the result through `wait()`, `cancel()` to stop it.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{DEFAULT_BATCH, JobHandle};

use crate::convert::{next_batch_promise, spawn_json};

/// A running long operation (a sync, an agent run, ...) streaming events.
/// `for await (const event of job)` iterates over its events; `await job.wait()` gives its result.
#[napi]
pub struct Job {
    inner: Arc<JobHandle>,
}

impl Job {
    pub(crate) fn new(handle: JobHandle) -> Self {
        Self {
            inner: Arc::new(handle),
        }
    }
}

#[napi]
impl Job {
    /// The job's id, as in each of its events.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// Asks the job to stop; the stream then ends with a cancelled `job_finished` event and
    /// `wait()` rejects with code `cancelled`.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// The job's result; rejects with the job's error (`err.code`, `err.kind`, `err.message`).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn wait<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = Arc::clone(&self.inner);
        spawn_json(env, async move { inner.wait_json().await })
    }

    /// The next events (at most `max`, default 512), or `null` once the stream is over.
    /// `for await` uses this; call it directly only to control batching.
    #[napi(ts_return_type = "Promise<RelayEvent[] | null>")]
    pub fn next_batch<'env>(
        &self,
        env: &'env Env,
        max: Option<u32>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = Arc::clone(&self.inner);
        let max = max.map_or(DEFAULT_BATCH, |m| m as usize);
        next_batch_promise(env, async move { inner.next_batch_json(max).await })
    }
}
