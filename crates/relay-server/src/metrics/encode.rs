//! The Prometheus text exposition format, version 0.0.4: `# HELP`, `# TYPE`, then samples
//! `name{label="value",...} number`, label values escaped.

use std::fmt::Write;

use super::histogram::Histogram;
use super::{Metrics, lock};

pub(super) fn encode(metrics: &Metrics) -> String {
    let inner = &metrics.inner;
    let mut out = String::with_capacity(4096);
    header(
        &mut out,
        "relay_sessions_active",
        "gauge",
        "Conversations open now.",
    );
    sample(
        &mut out,
        "relay_sessions_active",
        &[],
        inner.sessions.load(std::sync::atomic::Ordering::Relaxed),
    );

    header(
        &mut out,
        "relay_turn_latency_seconds",
        "histogram",
        "Seconds from the end of the user's speech to the first audio of the reply.",
    );
    let turn = lock(&inner.turn_latency)
        .clone()
        .unwrap_or_else(|| Histogram::new(super::TURN_LATENCY_BUCKETS));
    histogram(&mut out, "relay_turn_latency_seconds", &[], &turn);

    header(
        &mut out,
        "relay_tool_duration_seconds",
        "histogram",
        "Seconds a tool call took, by tool.",
    );
    for (tool, h) in lock(&inner.tools).iter() {
        histogram(
            &mut out,
            "relay_tool_duration_seconds",
            &[("tool", tool)],
            h,
        );
    }

    header(
        &mut out,
        "relay_approvals_total",
        "counter",
        "Approval requests by how they ended.",
    );
    for (outcome, n) in lock(&inner.approvals).iter() {
        sample(
            &mut out,
            "relay_approvals_total",
            &[("outcome", outcome)],
            n,
        );
    }

    header(
        &mut out,
        "relay_webhook_deliveries_total",
        "counter",
        "GitHub webhook deliveries by event and by how they were answered.",
    );
    for ((event, outcome), n) in lock(&inner.webhooks).iter() {
        sample(
            &mut out,
            "relay_webhook_deliveries_total",
            &[("event", event), ("outcome", outcome)],
            n,
        );
    }

    header(&mut out, "relay_jobs", "gauge", "Jobs by status.");
    for (status, n) in lock(&inner.jobs).iter() {
        sample(&mut out, "relay_jobs", &[("status", status)], n);
    }

    header(
        &mut out,
        "relay_auth_failures_total",
        "counter",
        "Requests refused by the auth layer, by reason.",
    );
    for (reason, n) in lock(&inner.auth_failures).iter() {
        sample(
            &mut out,
            "relay_auth_failures_total",
            &[("reason", reason)],
            n,
        );
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(
        out,
        "# HELP {name} {}",
        help.replace('\\', "\\\\").replace('\n', "\\n")
    );
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

fn histogram(out: &mut String, name: &str, labels: &[(&str, &str)], h: &Histogram) {
    let bucket = format!("{name}_bucket");
    for (le, n) in h.cumulative() {
        let mut with_le = labels.to_vec();
        with_le.push(("le", &le));
        sample(out, &bucket, &with_le, n);
    }
    sample(out, &format!("{name}_sum"), labels, h.sum);
    sample(out, &format!("{name}_count"), labels, h.count);
}

/// A label value: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn histograms_are_cumulative_with_sum_and_count() {
        let m = Metrics::new();
        m.observe_turn_latency(Duration::from_millis(150));
        m.observe_turn_latency(Duration::from_millis(150));
        m.observe_turn_latency(Duration::from_secs(20));
        let text = m.encode();
        assert!(
            text.contains("relay_turn_latency_seconds_bucket{le=\"0.1\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("relay_turn_latency_seconds_bucket{le=\"0.2\"} 2\n"));
        assert!(text.contains("relay_turn_latency_seconds_bucket{le=\"10\"} 2\n"));
        assert!(text.contains("relay_turn_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("relay_turn_latency_seconds_sum 20.3\n"));
        assert!(text.contains("relay_turn_latency_seconds_count 3\n"));
    }

    #[test]
    fn label_values_are_escaped_and_bounded() {
        let m = Metrics::new();
        m.observe_tool("we\"ird\\name\n", Duration::from_millis(1));
        assert!(m.encode().contains("tool=\"we\\\"ird\\\\name\\n\""));
        for i in 0..2000 {
            m.approval(&format!("outcome-{i}"));
        }
        let text = m.encode();
        let series = text
            .lines()
            .filter(|l| l.starts_with("relay_approvals_total{"))
            .count();
        assert_eq!(series, super::super::MAX_SERIES + 1);
        assert!(text.contains("relay_approvals_total{outcome=\"other\"} 1500\n"));
    }

    #[test]
    fn sessions_count_while_their_guard_lives() {
        let m = Metrics::new();
        let a = m.session_started();
        let clone = m.clone();
        let b = clone.session_started();
        assert_eq!(m.active_sessions(), 2);
        drop(a);
        assert!(m.encode().contains("relay_sessions_active 1\n"));
        drop(b);
        assert_eq!(m.active_sessions(), 0);
    }
}
