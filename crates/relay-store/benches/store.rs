//! SQLite and Redis side by side: audit append and session save latency (p50, p99), job
//! enqueue-to-start latency (a worker polling without pause, and an idle worker as `relay
//! worker` waits: before, a 200 ms poll; now, the store's queue signal), queue throughput with 1
//! and 4 workers.
//!
//! SQLite's idle worker in another process on the same file is measured for real: the bench runs
//! itself again as that worker (`RELAY_BENCH_WORKER=<db>`), which prints when it claimed each job.
//!
//! `cargo bench -p relay-store --bench store` (needs redis-server: scripts/setup/redis.sh).
//! Prints one Markdown table; benches/RESULTS.md records a run.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use relay_core::store::{
    AuditEntry, AuditOutcome, QueueSignal, SessionRecord, Store, StoreUrl, ToolCallRecord, Turn,
    TurnRole,
};
use serde_json::json;

const SAMPLES: usize = 2000;
const QUEUE_JOBS: usize = 2000;
/// Enqueues measured per idle-worker mode (each waits for an idle worker: keep it small).
const IDLE_SAMPLES: usize = 40;

fn entry(i: usize) -> AuditEntry {
    AuditEntry {
        at_ms: i as u64,
        user: "ann".into(),
        role: "developer".into(),
        session: Some("bench".into()),
        kind: "tool".into(),
        action: "sync_repos".into(),
        args: json!({"repos": ["api", "web"], "i": i}),
        outcome: AuditOutcome::Ok,
        detail: None,
        duration_ms: 42,
    }
}

/// A session of 20 turns, the size of a short conversation.
fn session() -> SessionRecord {
    let mut s = SessionRecord {
        id: "bench".into(),
        user: "ann".into(),
        ..Default::default()
    };
    for i in 0..20 {
        s.turns.push(Turn {
            role: if i % 3 == 2 {
                TurnRole::Tool
            } else {
                TurnRole::User
            },
            text: "what is the status of the backend and its dependencies?".into(),
            tool: (i % 3 == 2).then(|| ToolCallRecord {
                name: "project_status".into(),
                arguments: "{}".into(),
                output: "{\"repos\":[{\"name\":\"api\",\"clean\":true}]}".into(),
            }),
            at_ms: i,
        });
    }
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

async fn latencies<F, Fut>(mut op: F) -> (Duration, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..100 {
        op(i).await; // warm up
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let start = Instant::now();
        op(i).await;
        samples.push(start.elapsed());
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

/// Time from enqueue to a polling worker's claim (the worker polls without pause).
async fn enqueue_to_start(store: Arc<dyn Store>) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for i in 0..500 {
        let worker = store.clone();
        let claimer = tokio::spawn(async move {
            loop {
                if let Some(c) = worker.claim("w", Duration::from_secs(60)).await.unwrap() {
                    let at = Instant::now();
                    worker.ack(&c).await.unwrap();
                    return at;
                }
                tokio::task::yield_now().await;
            }
        });
        let start = Instant::now();
        store.enqueue(&format!("e{i}")).await.unwrap();
        let claimed_at = claimer.await.unwrap();
        samples.push(claimed_at.saturating_duration_since(start));
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

/// How an idle worker waits for the next job.
#[derive(Clone, Copy, PartialEq)]
enum Idle {
    /// Before: sleep 200 ms between looks.
    Poll200,
    /// Now: the store's queue signal (SQLite: in-process notify; Redis: pub/sub).
    Signal,
    /// Before the `data_version` watcher, a worker in another process on the same SQLite
    /// file: only the fallback poll.
    FallbackOnly,
}

/// Time from enqueue to the claim of a worker that was idle, waiting as `idle` says; the worker
/// and the producer each have their own connection, enqueues come at irregular intervals.
async fn idle_enqueue_to_start(url: &StoreUrl, idle: Idle) -> (Duration, Duration) {
    let producer = relay_store::open(url).await.unwrap();
    let worker = relay_store::open(url).await.unwrap();
    let signal = match idle {
        Idle::FallbackOnly => QueueSignal::polling(worker.queue_signal().poll),
        _ => worker.queue_signal(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut n = 0;
        while n < IDLE_SAMPLES {
            let enqueued = signal.notify.notified();
            tokio::pin!(enqueued);
            enqueued.as_mut().enable();
            if let Some(c) = worker.claim("idle", Duration::from_secs(60)).await.unwrap() {
                let _ = tx.send(Instant::now());
                worker.ack(&c).await.unwrap();
                n += 1;
                continue;
            }
            match idle {
                Idle::Poll200 => tokio::time::sleep(Duration::from_millis(200)).await,
                _ => {
                    tokio::select! {
                        _ = &mut enqueued => {}
                        _ = tokio::time::sleep(signal.poll) => {}
                    }
                }
            }
        }
    });
    // Redis: let the subscription settle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut samples = Vec::with_capacity(IDLE_SAMPLES);
    for i in 0..IDLE_SAMPLES {
        tokio::time::sleep(Duration::from_millis(50 + (i as u64 * 37) % 200)).await;
        let start = Instant::now();
        producer.enqueue(&format!("idle{i}")).await.unwrap();
        let claimed = rx.recv().await.unwrap();
        samples.push(claimed.saturating_duration_since(start));
    }
    task.await.unwrap();
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The worker of [`other_process_enqueue_to_start`], in its own process: waits as `Worker::run`
/// does and prints `<unix nanos>` for each job it claims.
fn other_process_worker(db: &Path) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let worker = relay_store::SqliteStore::open(db).await.unwrap();
        let signal = worker.queue_signal();
        let mut out = std::io::stdout();
        writeln!(out, "ready").unwrap();
        out.flush().unwrap();
        for _ in 0..IDLE_SAMPLES {
            loop {
                let enqueued = signal.notify.notified();
                tokio::pin!(enqueued);
                enqueued.as_mut().enable();
                if let Some(c) = worker
                    .claim("other", Duration::from_secs(60))
                    .await
                    .unwrap()
                {
                    writeln!(out, "{}", unix_nanos()).unwrap();
                    out.flush().unwrap();
                    worker.ack(&c).await.unwrap();
                    break;
                }
                tokio::select! {
                    _ = &mut enqueued => {}
                    _ = tokio::time::sleep(signal.poll) => {}
                }
            }
        }
    });
}

/// Enqueue-to-start of an idle worker in another process on the same SQLite file (wall clock
/// on both sides: one machine).
async fn other_process_enqueue_to_start(db: &Path) -> (Duration, Duration) {
    let producer = relay_store::SqliteStore::open(db).await.unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("RELAY_BENCH_WORKER", db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let mut samples = Vec::with_capacity(IDLE_SAMPLES);
    for i in 0..IDLE_SAMPLES {
        tokio::time::sleep(Duration::from_millis(50 + (i as u64 * 37) % 200)).await;
        let start = unix_nanos();
        producer.enqueue(&format!("other{i}")).await.unwrap();
        let claimed: u128 = tokio::task::block_in_place(|| lines.next())
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        samples.push(Duration::from_nanos(claimed.saturating_sub(start) as u64));
    }
    child.wait().unwrap();
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Jobs per second drained (claim + ack) by `workers` workers, each on its own connection.
async fn throughput(url: &StoreUrl, workers: usize) -> f64 {
    let producer = relay_store::open(url).await.unwrap();
    for i in 0..QUEUE_JOBS {
        producer.enqueue(&format!("t{i}")).await.unwrap();
    }
    let mut handles = Vec::new();
    let start = Instant::now();
    for w in 0..workers {
        let store = relay_store::open(url).await.unwrap();
        handles.push(tokio::spawn(async move {
            let mut n = 0;
            while let Some(c) = store
                .claim(&format!("w{w}"), Duration::from_secs(60))
                .await
                .unwrap()
            {
                store.ack(&c).await.unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert_eq!(total, QUEUE_JOBS);
    QUEUE_JOBS as f64 / start.elapsed().as_secs_f64()
}

async fn measure(name: &str, url: StoreUrl) -> Vec<String> {
    let store = relay_store::open(&url).await.unwrap();
    let s = store.clone();
    let (a50, a99) = latencies(|i| {
        let s = s.clone();
        async move {
            s.append_audit(entry(i)).await.unwrap();
        }
    })
    .await;
    let s = store.clone();
    let record = session();
    let (s50, s99) = latencies(|_| {
        let s = s.clone();
        let r = record.clone();
        async move {
            s.save_session(r, Duration::from_secs(3600)).await.unwrap();
        }
    })
    .await;
    let (e50, e99) = enqueue_to_start(store.clone()).await;
    let (b50, b99) = idle_enqueue_to_start(&url, Idle::Poll200).await;
    let (n50, n99) = idle_enqueue_to_start(&url, Idle::Signal).await;
    let other = if let StoreUrl::Sqlite(path) = &url {
        let (f50, f99) = idle_enqueue_to_start(&url, Idle::FallbackOnly).await;
        let (o50, o99) = other_process_enqueue_to_start(path).await;
        format!(
            "before (1 s fallback poll only) {} / {}; now (`data_version` watcher) **{} / {}**",
            ms(f50),
            ms(f99),
            ms(o50),
            ms(o99)
        )
    } else {
        "same as above (pub/sub reaches every process)".into()
    };
    let t1 = throughput(&url, 1).await;
    let t4 = throughput(&url, 4).await;
    vec![
        format!(
            "| enqueue → start, idle worker, before: 200 ms poll, p50 / p99 | {name} | {} / {} |",
            ms(b50),
            ms(b99)
        ),
        format!(
            "| enqueue → start, idle worker, now: queue signal, p50 / p99 | {name} | {} / {} |",
            ms(n50),
            ms(n99)
        ),
        format!(
            "| enqueue → start, idle worker in another process, now, p50 / p99 | {name} | {other} |"
        ),
        format!(
            "| audit append p50 / p99 | {name} | {} / {} |",
            us(a50),
            us(a99)
        ),
        format!(
            "| session save (20 turns) p50 / p99 | {name} | {} / {} |",
            us(s50),
            us(s99)
        ),
        format!(
            "| enqueue → start p50 / p99 | {name} | {} / {} |",
            us(e50),
            us(e99)
        ),
        format!("| queue throughput, 1 worker | {name} | {t1:.0} jobs/s |"),
        format!("| queue throughput, 4 workers | {name} | {t4:.0} jobs/s |"),
    ]
}

fn main() {
    if let Some(db) = std::env::var_os("RELAY_BENCH_WORKER") {
        return other_process_worker(Path::new(&db));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = relay_testkit::redis::RedisServer::start();
    let sqlite = rt.block_on(measure(
        "SQLite",
        StoreUrl::Sqlite(dir.path().join("relay.db")),
    ));
    let redis = rt.block_on(measure("Redis", server.url().parse().unwrap()));
    println!("| measure | store | result |\n|---|---|---|");
    for (a, b) in sqlite.iter().zip(&redis) {
        println!("{a}\n{b}");
    }
}
