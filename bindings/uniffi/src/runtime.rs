//! The tokio runtime all jobs of this library run on. Foreign executors (Kotlin coroutines, Swift
//! tasks) poll our futures; the work itself always runs here, so it never depends on who polls.

use std::future::Future;
use std::sync::LazyLock;

use relay_bindings_common::{BindingError, ErrorKind};
use tokio::runtime::Runtime;
use tokio_util::task::AbortOnDropHandle;

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("relay")
        .enable_all()
        .build()
        .expect("the tokio runtime for Relay could not start (out of threads or file descriptors?)")
});

/// Runs `f` inside the runtime's context (jobs are spawned onto the current runtime).
pub fn enter<R>(f: impl FnOnce() -> R) -> R {
    let _guard = RUNTIME.enter();
    f()
}

/// Runs `fut` on the runtime and waits for it. If the caller's future is dropped (the coroutine
/// was cancelled), the task is aborted, dropping `fut`.
pub async fn run<F>(fut: F) -> Result<F::Output, BindingError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    AbortOnDropHandle::new(RUNTIME.spawn(fut))
        .await
        .map_err(|e| {
            BindingError::new(
                ErrorKind::Internal,
                "internal",
                format!("internal error: a Relay task failed: {e}; please report this as a bug"),
            )
        })
}

/// Spawns `fut` on the runtime without waiting.
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    RUNTIME.spawn(fut)
}
