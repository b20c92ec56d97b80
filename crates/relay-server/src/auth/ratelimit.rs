//! Repeated authentication failures from one client are slowed down: a sliding window of
//! failure times per client address, in a map of bounded size.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failed authentications a client may have in a window before it is refused with
/// 429 until the oldest one leaves the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Failures allowed within [`window`](Self::window) (default 10).
    pub max_failures: u32,
    /// The sliding window (default 60 s).
    pub window: Duration,
    /// Most clients remembered at once (default 4096); when full, expired entries go first,
    /// then the client whose last failure is oldest.
    pub max_clients: usize,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            max_failures: 10,
            window: Duration::from_secs(60),
            max_clients: 4096,
        }
    }
}

/// The failure windows of the clients that failed recently.
#[derive(Debug)]
pub(crate) struct FailureLimiter {
    limit: RateLimit,
    clients: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl FailureLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        FailureLimiter {
            limit: RateLimit {
                max_failures: limit.max_failures.max(1),
                max_clients: limit.max_clients.max(1),
                ..limit
            },
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// How long `client` must wait, when it is refused now.
    pub(crate) fn retry_after(&self, client: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let times = clients.get_mut(&key(client))?;
        self.prune(times, now);
        self.wait(times, now)
    }

    /// Records a failure of `client`; returns how long it must wait when that was one too many.
    pub(crate) fn record_failure(&self, client: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let client = key(client);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if !clients.contains_key(&client) && clients.len() >= self.limit.max_clients {
            let window = self.limit.window;
            clients.retain(|_, t| {
                t.back()
                    .is_some_and(|last| now.duration_since(*last) < window)
            });
            if clients.len() >= self.limit.max_clients
                && let Some(oldest) = clients
                    .iter()
                    .min_by_key(|(_, t)| t.back().copied())
                    .map(|(ip, _)| *ip)
            {
                clients.remove(&oldest);
            }
        }
        let times = clients.entry(client).or_default();
        self.prune(times, now);
        times.push_back(now);
        while times.len() > self.limit.max_failures as usize {
            times.pop_front();
        }
        self.wait(times, now)
    }

    /// How many clients are remembered (for tests of the bound).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.clients.lock().unwrap().len()
    }

    fn prune(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.window)
        {
            times.pop_front();
        }
    }

    fn wait(&self, times: &VecDeque<Instant>, now: Instant) -> Option<Duration> {
        if times.len() < self.limit.max_failures as usize {
            return None;
        }
        let oldest = *times.front()?;
        Some(self.limit.window.saturating_sub(now.duration_since(oldest)))
    }
}

/// One key per client: IPv4 addresses as they are (IPv4-mapped IPv6 too), IPv6 by their /64
/// (one host usually owns a whole /64, and could rotate through it).
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, clients: usize) -> FailureLimiter {
        FailureLimiter::new(RateLimit {
            max_failures: max,
            window: Duration::from_secs(3600),
            max_clients: clients,
        })
    }

    #[test]
    fn the_failure_that_reaches_the_limit_blocks_the_client_alone() {
        let l = limiter(3, 100);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(l.record_failure(a), None);
        assert_eq!(l.record_failure(a), None);
        assert_eq!(l.retry_after(a), None);
        let wait = l.record_failure(a).expect("third failure blocks");
        assert!(wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600));
        assert!(l.retry_after(a).is_some());
        assert_eq!(l.retry_after(b), None);
    }

    #[test]
    fn memory_is_bounded_by_max_clients() {
        let l = limiter(2, 16);
        for i in 0..1000u32 {
            l.record_failure(IpAddr::V4(i.into()));
        }
        assert!(l.len() <= 16);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let l = limiter(2, 16);
        l.record_failure("2001:db8::1".parse().unwrap());
        assert!(
            l.record_failure("2001:db8::ffff:2".parse().unwrap())
                .is_some()
        );
        assert!(l.retry_after("2001:db8:0:1::1".parse().unwrap()).is_none());
        assert_eq!(
            key("::ffff:10.0.0.1".parse().unwrap()),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn failures_leave_the_window() {
        let l = FailureLimiter::new(RateLimit {
            max_failures: 1,
            window: Duration::ZERO,
            max_clients: 4,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        l.record_failure(a);
        assert_eq!(l.retry_after(a), None);
    }
}
