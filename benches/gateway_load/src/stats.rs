//! Percentiles of a set of durations.

use std::time::Duration;

/// Count, median, p99, maximum and mean of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// Median, ms.
    pub p50: f64,
    /// 99th percentile (nearest rank), ms.
    pub p99: f64,
    /// Largest sample, ms.
    pub max: f64,
    /// Mean, ms.
    pub mean: f64,
}

impl Summary {
    /// Summarizes `samples` (all zero when empty).
    pub fn of(samples: &[Duration]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let i = ((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
            ms[i]
        };
        Summary {
            count: ms.len(),
            p50: rank(0.50),
            p99: rank(0.99),
            max: ms[ms.len() - 1],
            mean: ms.iter().sum::<f64>() / ms.len() as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        let s = Summary::of(&samples);
        assert_eq!(s.count, 200);
        assert_eq!(s.p50, 100.0);
        assert_eq!(s.p99, 198.0);
        assert_eq!(s.max, 200.0);
        assert_eq!(s.mean, 100.5);
        assert_eq!(Summary::of(&[]), Summary::default());
        assert_eq!(Summary::of(&[Duration::from_millis(3)]).p99, 3.0);
    }
}
