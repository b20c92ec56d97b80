//! Delivery ids already accepted, so a redelivery (which keeps its `X-GitHub-Delivery` id) is
//! acted on once.
//!
//! In memory and bounded: the oldest ids are forgotten first. A redelivery older than the last
//! `capacity` deliveries, or one after a restart, is acted on again. With a store
//! (`WebhooksBuilder::store`) the store keeps the ids instead (see `durable`).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// The bounded set of accepted delivery ids.
#[derive(Debug)]
pub(crate) struct DeliveryLog {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    seen: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl DeliveryLog {
    /// Remembers up to `capacity` ids (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        DeliveryLog {
            inner: Mutex::new(Inner {
                seen: HashSet::new(),
                order: VecDeque::new(),
                capacity: capacity.max(1),
            }),
        }
    }

    /// Records `id`; `false` when it was already recorded (a redelivery).
    pub(crate) fn insert(&self, id: &str) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.seen.contains(id) {
            return false;
        }
        if inner.order.len() >= inner.capacity
            && let Some(oldest) = inner.order.pop_front()
        {
            inner.seen.remove(&oldest);
        }
        inner.seen.insert(id.to_owned());
        inner.order.push_back(id.to_owned());
        true
    }

    /// Forgets `id` (its delivery could not be queued, so a redelivery must be accepted).
    pub(crate) fn remove(&self, id: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.seen.remove(id) {
            inner.order.retain(|x| x != id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_accepted_once_and_memory_stays_bounded() {
        let log = DeliveryLog::new(2);
        assert!(log.insert("a"));
        assert!(!log.insert("a"));
        assert!(log.insert("b"));
        assert!(log.insert("c")); // forgets "a"
        assert!(log.insert("a"));
        assert!(!log.insert("c"));
        log.remove("c");
        assert!(log.insert("c"));
        let inner = log.inner.lock().unwrap();
        assert_eq!(inner.seen.len(), 2);
        assert_eq!(inner.order.len(), 2);
    }
}
