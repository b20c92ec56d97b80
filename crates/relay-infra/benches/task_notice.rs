//! Task-completion notice latency: how long after a PVE task stops does the client notice, and how
//! many status requests does it send? Relay's adaptive polling against fixed one-second polling
//! (proxmoxer's `Tasks.blocking_status` default), over the same fake tasks, side by side; also
//! Relay without its expected-end window (`window_spread` 0), the schedule before it was added.
//!
//! Run: `CARGO_TARGET_DIR=/work/target cargo bench -p relay-infra --bench task_notice`
//! (add `-- --quick` for a shorter run). Results: `benches/RESULTS-infra.md`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use relay_infra::proxmox::{PollSchedule, ProxmoxClient, ProxmoxSettings, TlsTrust, Upid};
use relay_testkit::proxmox::FakeProxmox;

/// A small deterministic generator so both strategies see the same tasks on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// (task type, duration) lists.
fn typed_tasks(n: usize) -> Vec<(String, Duration)> {
    // Typical lengths of PVE task types; each run varies by up to ±20 %.
    let types = [
        ("vzstart", 0.8),
        ("vzsnapshot", 1.5),
        ("vzshutdown", 3.0),
        ("vzcreate", 6.0),
        ("vzdestroy", 0.5),
    ];
    let mut rng = Lcg(7);
    (0..n)
        .map(|_| {
            let (t, secs) = types[(rng.next() * types.len() as f64) as usize % types.len()];
            let jitter = 0.8 + 0.4 * rng.next();
            (t.to_string(), Duration::from_secs_f64(secs * jitter))
        })
        .collect()
}

fn erratic_tasks(n: usize) -> Vec<(String, Duration)> {
    // One task type whose lengths spread log-uniformly over 0.2–8 s: nothing to learn.
    let mut rng = Lcg(11);
    (0..n)
        .map(|_| {
            let secs = (0.2f64.ln() + rng.next() * (8.0f64.ln() - 0.2f64.ln())).exp();
            ("qmclone".to_string(), Duration::from_secs_f64(secs))
        })
        .collect()
}

struct Sample {
    latency: Duration,
    polls: u32,
    waited: Duration,
}

async fn run(tasks: &[(String, Duration)], schedule: PollSchedule, lanes: usize) -> Vec<Sample> {
    let pve = Arc::new(
        FakeProxmox::builder()
            .token("bench@pve!b", "s")
            .start()
            .await
            .unwrap(),
    );
    let settings = ProxmoxSettings::builder(pve.url(), pve.node())
        .token("bench@pve!b", "s")
        .trust(TlsTrust::CaPem(pve.ca_pem().to_string()))
        .build()
        .unwrap();
    let client = ProxmoxClient::new(settings).unwrap();
    let chunks: Vec<Vec<(String, Duration)>> = (0..lanes)
        .map(|lane| tasks.iter().skip(lane).step_by(lanes).cloned().collect())
        .collect();
    let mut handles = Vec::new();
    for chunk in chunks {
        let (pve, client) = (Arc::clone(&pve), client.clone());
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for (task_type, duration) in chunk {
                let upid_text = pve.start_bench_task(&task_type, duration);
                let upid: Upid = upid_text.parse().unwrap();
                let started = Instant::now();
                client
                    .wait_task_with(&upid, None, Duration::from_secs(60), schedule)
                    .await
                    .unwrap();
                let noticed = Instant::now();
                let end = pve.task_end(&upid_text).unwrap();
                out.push(Sample {
                    latency: noticed.saturating_duration_since(end),
                    polls: pve.task_status_polls(&upid_text),
                    waited: noticed - started,
                });
            }
            out
        }));
    }
    let mut samples = Vec::new();
    for h in handles {
        samples.extend(h.await.unwrap());
    }
    samples
}

fn summarize(name: &str, samples: &[Sample]) -> String {
    let mut ms: Vec<f64> = samples
        .iter()
        .map(|s| s.latency.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let median = ms[ms.len() / 2];
    let p90 = ms[(ms.len() * 9 / 10).min(ms.len() - 1)];
    let polls: u32 = samples.iter().map(|s| s.polls).sum();
    let waited: f64 = samples.iter().map(|s| s.waited.as_secs_f64()).sum();
    format!(
        "| {name} | {} | {mean:.0} | {median:.0} | {p90:.0} | {polls} | {:.0} |",
        samples.len(),
        waited * 1000.0 / polls as f64
    )
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (n_typed, n_erratic, lanes) = if quick { (30, 20, 10) } else { (80, 60, 10) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("| strategy / tasks | n | mean overhead ms | median ms | p90 ms | status requests | ms per request |");
        println!("|---|---|---|---|---|---|---|");
        for (label, tasks) in [("typed", typed_tasks(n_typed)), ("erratic", erratic_tasks(n_erratic))] {
            // Without the end window: the gap only follows the distance to the expected end
            // (Relay's schedule before the window was added), for a before/after in one run.
            let no_window = PollSchedule {
                window_spread: 0.0,
                ..PollSchedule::default()
            };
            let (relay, before, fixed) = tokio::join!(
                run(&tasks, PollSchedule::default(), lanes),
                run(&tasks, no_window, lanes),
                run(&tasks, PollSchedule::fixed(Duration::from_secs(1)), lanes)
            );
            println!("{}", summarize(&format!("relay adaptive / {label}"), &relay));
            println!("{}", summarize(&format!("relay, no end window / {label}"), &before));
            println!("{}", summarize(&format!("fixed 1 s / {label}"), &fixed));
        }
    });
}
