//! The runs side by side, as a Markdown table (for benches/RESULTS.md).

use std::fmt::Write;
use std::time::Duration;

use crate::run::RunReport;
use crate::stats::Summary;

/// A table with one column per run and, with two runs, their ratio (first / second).
pub fn markdown_table(runs: &[RunReport]) -> String {
    let mut out = String::new();
    let ratio = runs.len() == 2;
    let _ = write!(out, "| measurement |");
    for run in runs {
        let _ = write!(out, " {} |", run.server);
    }
    if ratio {
        let _ = write!(out, " {} / {} |", runs[0].server, runs[1].server);
    }
    out.push('\n');
    out.push_str(&"|---".repeat(runs.len() + 1 + usize::from(ratio)));
    out.push_str("|\n");
    let mut row = |name: &str, cells: Vec<String>, values: Option<(f64, f64)>| {
        let _ = write!(out, "| {name} |");
        for cell in &cells {
            let _ = write!(out, " {cell} |");
        }
        if ratio {
            match values {
                Some((a, b)) if b > 0.0 => {
                    let _ = write!(out, " {:.2}x |", a / b);
                }
                _ => out.push_str(" |"),
            }
        }
        out.push('\n');
    };
    let pair = |f: &dyn Fn(&RunReport) -> f64| ratio.then(|| (f(&runs[0]), f(&runs[1])));

    row(
        "conversations ready",
        runs.iter()
            .map(|r| format!("{} / {}", r.opened, r.config.conversations))
            .collect(),
        None,
    );
    row(
        "turns answered (reply audio + completed)",
        runs.iter()
            .map(|r| format!("{} / {}", r.turns_answered(), r.turns_planned()))
            .collect(),
        None,
    );
    row(
        "`error` frames",
        runs.iter().map(|r| r.error_frames().to_string()).collect(),
        None,
    );
    row(
        "RSS: baseline → all open → peak during turns (MiB)",
        runs.iter()
            .map(|r| {
                format!(
                    "{:.1} → {:.1} → {:.1}",
                    mib(r.rss_base_kib),
                    mib(r.rss_open_kib),
                    mib(r.rss_peak_kib)
                )
            })
            .collect(),
        None,
    );
    row(
        "**KiB per open conversation**",
        runs.iter()
            .map(|r| format!("**{:.1}**", r.kib_per_conversation_open()))
            .collect(),
        pair(&|r| r.kib_per_conversation_open()),
    );
    row(
        "KiB per conversation, peak during turns",
        runs.iter()
            .map(|r| format!("{:.1}", r.kib_per_conversation_peak()))
            .collect(),
        pair(&|r| r.kib_per_conversation_peak()),
    );
    row(
        "server CPU during the turns (s) / wall (s)",
        runs.iter()
            .map(|r| format!("{:.2} / {:.1}", r.cpu.as_secs_f64(), r.wall.as_secs_f64()))
            .collect(),
        pair(&|r| r.cpu.as_secs_f64()),
    );
    let shares: [(&str, Samples); 7] = [
        ("turn latency: end of turn → first reply audio", |r| {
            &r.analysis.shares.latency
        }),
        ("**server's own share** (up + down)", |r| {
            &r.analysis.shares.own
        }),
        ("  up: turn-ending frame → peer", |r| {
            &r.analysis.shares.up
        }),
        ("  down: peer's first audio → client", |r| {
            &r.analysis.shares.down
        }),
        ("  the peer's own time (not the server's)", |r| {
            &r.analysis.shares.peer
        }),
        ("every audio frame, client → peer", |r| {
            &r.analysis.shares.frame_up
        }),
        ("every reply audio frame, peer → client", |r| {
            &r.analysis.shares.frame_down
        }),
    ];
    for (name, samples) in shares {
        let summaries: Vec<Summary> = runs.iter().map(|r| Summary::of(samples(r))).collect();
        row(
            &format!("{name}: p50 / p99 ms (n)"),
            summaries
                .iter()
                .map(|s| format!("{:.2} / {:.2} ({})", s.p50, s.p99, s.count))
                .collect(),
            ratio.then(|| (summaries[0].p99, summaries[1].p99)),
        );
    }
    out
}

/// A few lines on one run: what failed and what could not be matched.
pub fn summary(run: &RunReport) -> String {
    let mut out = format!(
        "{}: {} of {} conversations ready, {} of {} turns answered, {} error frames{}",
        run.server,
        run.opened,
        run.config.conversations,
        run.turns_answered(),
        run.turns_planned(),
        run.error_frames(),
        if run.deadline_hit {
            ", the deadline stopped the run"
        } else {
            ""
        }
    );
    let failures: Vec<String> = run
        .conversations
        .iter()
        .filter_map(|c| c.failure.as_ref().map(|f| format!("c{}: {f}", c.id)))
        .collect();
    for failure in failures.iter().take(5) {
        let _ = write!(out, "\n  failed {failure}");
    }
    if failures.len() > 5 {
        let _ = write!(out, "\n  ... and {} more", failures.len() - 5);
    }
    let mut errors: Vec<&String> = run.conversations.iter().flat_map(|c| &c.errors).collect();
    errors.sort();
    errors.dedup();
    for error in errors.iter().take(5) {
        let _ = write!(out, "\n  error frame: {error}");
    }
    for unmatched in run.analysis.unmatched.iter().take(5) {
        let _ = write!(out, "\n  not split: {unmatched}");
    }
    if run.analysis.unmatched.len() > 5 {
        let _ = write!(
            out,
            "\n  ... and {} more not split",
            run.analysis.unmatched.len() - 5
        );
    }
    out
}

/// Picks one kind of sample out of a run.
type Samples = fn(&RunReport) -> &Vec<Duration>;

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
