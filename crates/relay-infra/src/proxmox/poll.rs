//! The adaptive polling model for PVE worker tasks: the [`PollSchedule`] and the remembered
//! task durations it predicts from.
//!
//! Polling adapts to what Relay has seen: it remembers how long each task type took on each node
//! (an exponentially weighted mean and mean deviation). When those are consistent, the task is
//! expected to end within mean ± `window_spread` deviations: Relay first polls at the start of
//! that window and spreads the requests it has saved up evenly over it. Without a history it
//! polls densely at first and backs off, since most PVE tasks (start, stop, snapshot) are short.
//! The history is read again before every poll, so a task learns from one of its type that
//! finished while it ran. `benches/task_notice.rs` compares this with fixed one-second polling.
//!
//! Pure logic, below the client: the settings hold a [`PollSchedule`], the client holds the
//! [`DurationModel`], and `task.rs` runs the wait loop with both.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::upid::Upid;

/// How task status is polled.
///
/// Two regimes. When Relay can predict a task's length tightly (tasks of that type on that node
/// took consistent times: mean deviation at most a fifth of the mean), it sleeps until the
/// expected end window opens (the mean minus `window_spread` deviations; at most `max_interval`
/// while the history holds fewer than 3 tasks), spreads the requests its budget allows evenly
/// until the window closes (never closer than `min_interval`), then backs off from
/// `min_interval` to `blind_max`. A looser prediction, or any prediction with `window_spread` 0
/// (as in [`PollSchedule::fixed`]), only shapes the gap: `approach` times the distance to the
/// expected end, between `min_interval` and `max_interval` (see [`PollSchedule::next_interval`]),
/// and with the window on never sparser than the blind gap. Without a prediction the gap is
/// `blind_approach` times the elapsed time, between `blind_min` and `blind_max`, which keeps the
/// request rate near one per 250 ms. `benches/RESULTS-infra.md` has the numbers behind these
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    /// Shortest gap between two polls when the end is predictable.
    pub min_interval: Duration,
    /// Longest gap between two polls when the end is predictable.
    pub max_interval: Duration,
    /// Gap as a fraction of the distance to the expected end.
    pub approach: f64,
    /// Shortest gap when the end cannot be predicted.
    pub blind_min: Duration,
    /// Longest gap when the end cannot be predicted.
    pub blind_max: Duration,
    /// Gap as a fraction of the elapsed time when the end cannot be predicted.
    pub blind_approach: f64,
    /// Request budget per second of waiting: polls are delayed so that one wait never sends
    /// more than `budget_burst` plus this many requests per second on average.
    pub budget_per_sec: f64,
    /// Requests a wait may send before the budget has accrued.
    pub budget_burst: f64,
    /// Most unspent requests a wait can save up (spent near the expected end).
    pub budget_cap: f64,
    /// Half-width of the expected end window, in mean deviations of the task type's history;
    /// 0 turns the window off.
    pub window_spread: f64,
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_millis(60),
            max_interval: Duration::from_secs(1),
            approach: 0.35,
            blind_min: Duration::from_millis(150),
            blind_max: Duration::from_millis(400),
            blind_approach: 0.3,
            budget_per_sec: 4.0,
            budget_burst: 2.0,
            budget_cap: 16.0,
            window_spread: 2.0,
        }
    }
}

impl PollSchedule {
    /// Fixed-interval polling (what proxmoxer's `Tasks.blocking_status` does with 1 s).
    pub fn fixed(interval: Duration) -> Self {
        Self {
            min_interval: interval,
            max_interval: interval,
            approach: 0.0,
            blind_min: interval,
            blind_max: interval,
            blind_approach: 0.0,
            budget_per_sec: f64::INFINITY,
            budget_burst: 1.0,
            budget_cap: f64::INFINITY,
            window_spread: 0.0,
        }
    }

    /// The gap before the next poll, `elapsed` into a task expected to take `expected`.
    pub fn next_interval(&self, elapsed: Duration, expected: Option<Duration>) -> Duration {
        match expected {
            Some(e) => e
                .abs_diff(elapsed)
                .mul_f64(self.approach)
                .clamp(self.min_interval, self.max_interval),
            None => elapsed
                .mul_f64(self.blind_approach)
                .clamp(self.blind_min, self.blind_max),
        }
    }
}

/// How long a task is expected to take: the mean of its type's history and the mean deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Prediction {
    pub(crate) mean: Duration,
    pub(crate) deviation: Duration,
    /// How many tasks of the type the history has seen.
    pub(crate) samples: u32,
}

/// Samples after which a prediction is trusted enough to sleep until its window opens; before,
/// the wait before the window is at most `max_interval`, since one task is a poor guess.
const TRUSTED_SAMPLES: u32 = 3;

/// Deviation relative to the mean under which the end window is used; looser predictions
/// (like a first guess) only shape the gap (`approach`, at most the blind gap), since a wrong
/// window start is costly.
const TIGHT: f64 = 0.2;

impl PollSchedule {
    /// The gap before the next poll, `elapsed` into a task predicted by `prediction`, when
    /// `saved(d)` requests of the budget will have accrued `d` from now.
    pub(crate) fn next_gap(
        &self,
        elapsed: Duration,
        prediction: Option<Prediction>,
        saved: impl Fn(Duration) -> f64,
    ) -> Duration {
        let Some(p) = prediction else {
            return self.next_interval(elapsed, None);
        };
        if self.window_spread <= 0.0 {
            return self.next_interval(elapsed, Some(p.mean));
        }
        if p.deviation > p.mean.mul_f64(TIGHT) {
            // A loose guess may be far off: it shapes the gap but never makes it sparser than
            // polling without a prediction.
            return self
                .next_interval(elapsed, Some(p.mean))
                .min(self.next_interval(elapsed, None));
        }
        let reach = p.deviation.mul_f64(self.window_spread);
        let (opens, closes) = (p.mean.saturating_sub(reach), p.mean + reach);
        if elapsed < opens {
            // Nothing to learn before the window: one request at its start.
            let until = opens - elapsed;
            return if p.samples < TRUSTED_SAMPLES {
                until.min(self.max_interval)
            } else {
                until
            };
        }
        if elapsed < closes {
            // Spend every request the budget will allow by the close evenly over the window.
            let left = closes - elapsed;
            return left.div_f64(saved(left).max(1.0)).max(self.min_interval);
        }
        // Later than any task of its type so far: back off as without a prediction.
        (elapsed - closes)
            .mul_f64(self.blind_approach)
            .clamp(self.min_interval, self.blind_max)
    }
}

/// Remembered task durations per node and task type: a weighted mean and mean deviation.
#[derive(Debug, Default)]
pub(crate) struct DurationModel {
    stats: Mutex<HashMap<(String, String), History>>,
}

/// One task type's history on one node, in seconds.
#[derive(Debug, Clone, Copy)]
struct History {
    mean: f64,
    deviation: f64,
    samples: u32,
}

/// Weight of the newest observation.
const ALPHA: f64 = 0.3;
/// Deviation relative to the mean under which a task type counts as predictable.
const PREDICTABLE: f64 = 0.35;

impl DurationModel {
    /// The expected duration, when tasks of this type have taken consistent times.
    #[cfg(test)]
    pub(crate) fn expected(&self, upid: &Upid) -> Option<Duration> {
        self.predict(upid).map(|p| p.mean)
    }

    /// The expected duration and its spread, when tasks of this type have taken consistent times.
    pub(crate) fn predict(&self, upid: &Upid) -> Option<Prediction> {
        let stats = self.stats.lock().expect("duration model lock");
        let History {
            mean,
            deviation,
            samples,
        } = *stats.get(&(upid.node.clone(), upid.task_type.clone()))?;
        (deviation <= PREDICTABLE * mean).then(|| Prediction {
            mean: Duration::from_secs_f64(mean),
            deviation: Duration::from_secs_f64(deviation),
            samples,
        })
    }

    pub(crate) fn record(&self, upid: &Upid, took: Duration) {
        let mut stats = self.stats.lock().expect("duration model lock");
        let key = (upid.node.clone(), upid.task_type.clone());
        let x = took.as_secs_f64();
        let next = match stats.get(&key) {
            // One sample is a guess: predictable at once, but one miss makes it unpredictable.
            None => History {
                mean: x,
                deviation: x * 0.3,
                samples: 1,
            },
            Some(h) => History {
                mean: (1.0 - ALPHA) * h.mean + ALPHA * x,
                deviation: (1.0 - ALPHA) * h.deviation + ALPHA * (x - h.mean).abs(),
                samples: h.samples.saturating_add(1),
            },
        };
        stats.insert(key, next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_consistent_task_types_are_predicted() {
        let model = DurationModel::default();
        let start: Upid = "UPID:pve:1:2:3:vzstart:100:root@pam:".parse().unwrap();
        let create: Upid = "UPID:pve:1:2:3:vzcreate:100:root@pam:".parse().unwrap();
        assert_eq!(model.expected(&start), None);
        model.record(&start, Duration::from_millis(1000));
        assert_eq!(
            model.expected(&start),
            Some(Duration::from_millis(1000)),
            "a first guess"
        );
        for ms in [1050, 980, 1020] {
            model.record(&start, Duration::from_millis(ms));
        }
        let e = model.expected(&start).unwrap();
        assert!(
            e > Duration::from_millis(980) && e < Duration::from_millis(1050),
            "{e:?}"
        );
        for ms in [300, 6000, 900, 4000, 200] {
            model.record(&create, Duration::from_millis(ms));
        }
        assert_eq!(
            model.expected(&create),
            None,
            "erratic durations are not predicted"
        );
    }

    #[test]
    fn predicted_tasks_are_polled_across_their_end_window() {
        let s = PollSchedule::default();
        let p = Some(Prediction {
            mean: Duration::from_secs(6),
            deviation: Duration::from_millis(600),
            samples: 5,
        });
        let budget = |saved: f64| move |d: Duration| saved + 4.0 * d.as_secs_f64();
        // Before the window (6 s ± 1.2 s): one request at its start.
        assert_eq!(
            s.next_gap(Duration::from_secs(1), p, budget(2.0)),
            Duration::from_millis(3800)
        );
        // In the window: the 16 saved requests plus 4 per second, spread evenly to its close.
        assert_eq!(
            s.next_gap(Duration::from_millis(4800), p, |_| 16.0 + 4.0 * 2.4),
            Duration::from_millis(2400).div_f64(16.0 + 4.0 * 2.4)
        );
        // Never closer than min_interval, even with a large budget.
        assert_eq!(
            s.next_gap(Duration::from_millis(7150), p, |_| 16.0),
            Duration::from_millis(60)
        );
        // Past the window: backing off from min_interval up to blind_max.
        assert_eq!(
            s.next_gap(Duration::from_millis(7300), p, budget(0.0)),
            Duration::from_millis(60)
        );
        assert_eq!(
            s.next_gap(Duration::from_secs(20), p, budget(0.0)),
            Duration::from_millis(400)
        );
        // No prediction: the blind schedule; fixed polling ignores predictions.
        assert_eq!(
            s.next_gap(Duration::ZERO, None, budget(2.0)),
            Duration::from_millis(150)
        );
        // A history of one task is a guess: the wait before the window is at most max_interval.
        let guess = p.map(|p| Prediction { samples: 1, ..p });
        assert_eq!(
            s.next_gap(Duration::from_secs(1), guess, budget(2.0)),
            Duration::from_secs(1)
        );
        // A loose prediction (deviation over a fifth of the mean) only shapes the gap, never
        // sparser than without a prediction.
        let loose = Some(Prediction {
            mean: Duration::from_secs(6),
            deviation: Duration::from_secs(2),
            samples: 5,
        });
        assert_eq!(
            s.next_gap(Duration::from_secs(1), loose, budget(2.0)),
            Duration::from_millis(300)
        );
        assert_eq!(
            s.next_gap(Duration::from_millis(5900), loose, budget(2.0)),
            Duration::from_millis(60)
        );
        let fixed = PollSchedule::fixed(Duration::from_secs(1));
        assert_eq!(
            fixed.next_gap(Duration::from_millis(4800), p, budget(2.0)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn predictions_carry_the_spread_of_the_history() {
        let model = DurationModel::default();
        let start: Upid = "UPID:pve:1:2:3:vzstart:100:root@pam:".parse().unwrap();
        assert_eq!(model.predict(&start), None);
        model.record(&start, Duration::from_millis(1000));
        assert_eq!(
            model.predict(&start),
            Some(Prediction {
                mean: Duration::from_millis(1000),
                deviation: Duration::from_millis(300),
                samples: 1,
            }),
            "one sample: a guess with a wide window"
        );
        for _ in 0..10 {
            model.record(&start, Duration::from_millis(1000));
        }
        let p = model.predict(&start).unwrap();
        assert!(p.deviation < Duration::from_millis(10), "{p:?}");
    }

    #[test]
    fn polls_densely_near_the_expected_end() {
        let s = PollSchedule::default();
        let far = s.next_interval(Duration::ZERO, Some(Duration::from_secs(8)));
        let near = s.next_interval(Duration::from_millis(7900), Some(Duration::from_secs(8)));
        assert_eq!(far, Duration::from_secs(1));
        assert_eq!(near, Duration::from_millis(60));
        // Without a prediction: 150 ms first, backing off to 400 ms.
        assert_eq!(
            s.next_interval(Duration::ZERO, None),
            Duration::from_millis(150)
        );
        assert_eq!(
            s.next_interval(Duration::from_secs(1), None),
            Duration::from_millis(300)
        );
        assert_eq!(
            s.next_interval(Duration::from_secs(9), None),
            Duration::from_millis(400)
        );
        assert_eq!(
            PollSchedule::fixed(Duration::from_secs(1)).next_interval(Duration::ZERO, None),
            Duration::from_secs(1)
        );
    }
}
