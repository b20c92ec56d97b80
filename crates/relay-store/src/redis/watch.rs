//! Waking idle workers: every enqueue publishes on [`ENQUEUED_CHANNEL`]; each [`RedisStore`]
//! (one per process) keeps one pub/sub connection subscribed to it, started the first time a
//! worker asks for the [`QueueSignal`], and wakes its waiting workers on every message. A lost
//! connection is re-opened; until then, and for leases that run out, workers poll every
//! [`REDIS_QUEUE_POLL`].
//!
//! [`RedisStore`]: super::RedisStore

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::StreamExt;
use relay_core::store::QueueSignal;
use tokio::sync::Notify;

/// The channel every enqueue publishes the job id on.
pub(super) const ENQUEUED_CHANNEL: &str = "relay:queue:enqueued";

/// The fallback poll: what a lost pub/sub connection or an expired lease may cost at most.
pub(super) const REDIS_QUEUE_POLL: Duration = Duration::from_secs(5);

/// The store's queue signal, with its subscriber started (once) when a runtime is there.
pub(super) fn signal(
    client: &redis::Client,
    notify: &Arc<Notify>,
    started: &std::sync::OnceLock<()>,
) -> QueueSignal {
    if tokio::runtime::Handle::try_current().is_ok() {
        started.get_or_init(|| {
            tokio::spawn(subscribe(client.clone(), Arc::downgrade(notify)));
        });
    }
    QueueSignal {
        notify: notify.clone(),
        poll: REDIS_QUEUE_POLL,
    }
}

/// Wakes `notify`'s waiters on every message until the store is gone.
async fn subscribe(client: redis::Client, notify: Weak<Notify>) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(ENQUEUED_CHANNEL).await {
                Ok(()) => {
                    // Jobs enqueued while (re)connecting: look now.
                    match notify.upgrade() {
                        Some(n) => n.notify_waiters(),
                        None => return,
                    }
                    let mut messages = pubsub.into_on_message();
                    while messages.next().await.is_some() {
                        match notify.upgrade() {
                            Some(n) => n.notify_waiters(),
                            None => return,
                        }
                    }
                    tracing::warn!("the store's pub/sub connection closed; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to queue notifications"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot open a pub/sub connection"),
        }
        if notify.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
