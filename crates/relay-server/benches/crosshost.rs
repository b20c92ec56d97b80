//! What relaying a shared session through Redis adds: one owner on server A, one guest on A
//! (in-process) and one guest on server B (through a real `redis-server`'s pub/sub), all in
//! this process so that one clock times them. The owner holds `TURNS` turns; every frame of the
//! conversation reaches both guests, and the bench reports, per frame, how much later it
//! reached the remote guest than the local one; then each guest's own round trip (its `text`
//! frame in, its `user_transcript` back), local vs remote.
//!
//! `cargo bench -p relay-server --bench crosshost --profile dev` (needs `redis-server`,
//! scripts/setup/redis.sh).

#[path = "../tests/gateway_support/mod.rs"]
mod gateway_support;

use std::time::Instant;

use gateway_support::*;
use relay_core::store::{Store, StoreUrl};
use relay_testkit::realtime::Scenario;
use relay_testkit::redis::RedisServer;
use serde_json::json;

const TURNS: usize = 300;
const ROUND_TRIPS: usize = 300;

async fn host(redis: &RedisServer) -> Rig {
    let store = relay_store::RedisStore::open(&redis.url().parse::<StoreUrl>().unwrap())
        .await
        .unwrap();
    let bus = store.room_bus().unwrap();
    Rig::with(Scenario::new(), |f| f, move |b| b.bus(bus)).await
}

/// Every frame until `turns` `assistant_text` frames, with when it arrived.
async fn record(mut client: Client, turns: usize) -> (Client, Vec<(String, Instant)>) {
    let mut seen = Vec::new();
    let mut texts = 0;
    while texts < turns {
        let frame = client.next().await;
        let kind = match &frame {
            Frame::Audio(a) => format!("audio:{}", a.len()),
            Frame::Closed => panic!("closed early"),
            f => f.json().to_string(),
        };
        if frame.kind() == "assistant_text" {
            texts += 1;
        }
        seen.push((kind, Instant::now()));
    }
    (client, seen)
}

type Drain = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Client>,
);

/// Reads `client`'s frames (so it does not fall behind) until [`undrain`].
fn drain(mut client: Client) -> Drain {
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => return client,
                frame = client.next() => assert_ne!(frame, Frame::Closed),
            }
        }
    });
    (stop, task)
}

async fn undrain((stop, task): Drain) -> Client {
    let _ = stop.send(());
    task.await.unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&values, 0.5), percentile(&values, 0.99));
    println!(
        "{name}: n={} p50 {p50:.3} ms, p99 {p99:.3} ms, max {:.3} ms",
        values.len(),
        values.last().unwrap()
    );
    (p50, p99)
}

async fn round_trips(client: &mut Client, n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let text = format!("round trip {i}");
        let start = Instant::now();
        client.send(json!({"type": "text", "text": text})).await;
        client
            .until(|f| f.kind() == "user_transcript" && f.json()["text"] == text.as_str())
            .await;
        out.push(start.elapsed().as_secs_f64() * 1000.0);
        client.until_type("assistant_text").await;
    }
    out
}

/// The audio encoding on the bus, measured: a 100 ms frame (4,800 bytes) tagged binary (what
/// the gateway sends: version, kind, link, bytes) vs base64 in a JSON message.
fn encodings() {
    use base64::Engine;
    let audio = vec![7u8; 4800];
    let link = "0123456789abcdef01234567";
    let n = 20_000;
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..n {
        let mut out = Vec::with_capacity(audio.len() + 3 + link.len());
        out.extend_from_slice(&[1, b'A', link.len() as u8]);
        out.extend_from_slice(link.as_bytes());
        out.extend_from_slice(&audio);
        let back = out[3 + link.len()..].to_vec();
        bytes = out.len();
        std::hint::black_box(back);
    }
    let binary = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let start = Instant::now();
    let mut json_bytes = 0;
    for _ in 0..n {
        let out = json!({"v": 1, "type": "audio", "link": link,
            "audio": base64::engine::general_purpose::STANDARD.encode(&audio)})
        .to_string();
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        let back = base64::engine::general_purpose::STANDARD
            .decode(value["audio"].as_str().unwrap())
            .unwrap();
        json_bytes = out.len();
        std::hint::black_box(back);
    }
    let base64 = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!(
        "audio frame on the bus: tagged binary {bytes} bytes, {binary:.2} µs encode+decode; base64 JSON {json_bytes} bytes, {base64:.2} µs ({:.1}x the time, {:.2}x the bytes)",
        base64 / binary,
        json_bytes as f64 / bytes as f64
    );
}

fn main() {
    encodings();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let redis = RedisServer::start();
        let a = host(&redis).await;
        let b = host(&redis).await;
        let mut owner = a.connect("?session=bench").await;
        owner.expect("ready").await;
        owner.send(json!({"type": "invite"})).await;
        let code = owner.expect("invite").await["code"]
            .as_str()
            .unwrap()
            .to_string();
        let mut local = a.connect(&format!("?join={code}&as=bob:developer")).await;
        local.expect("ready").await;
        let mut remote = b.connect(&format!("?join={code}&as=cy:developer")).await;
        remote.expect("ready").await;
        local.expect("participant_joined").await; // cy
        for _ in 0..2 {
            owner.expect("participant_joined").await;
        }

        // One-way: the same broadcast frames, local guest vs remote guest.
        let local_task = tokio::spawn(record(local, TURNS));
        let remote_task = tokio::spawn(record(remote, TURNS));
        for i in 0..TURNS {
            owner
                .send(json!({"type": "text", "text": format!("turn {i}")}))
                .await;
            owner.until_type("assistant_text").await;
        }
        let (mut local, local_frames) = local_task.await.unwrap();
        let (remote, remote_frames) = remote_task.await.unwrap();
        assert_eq!(local_frames.len(), remote_frames.len());
        let mut added = Vec::new();
        let mut audio = 0;
        for ((lk, lt), (rk, rt)) in local_frames.iter().zip(&remote_frames) {
            assert_eq!(lk, rk, "both guests get the same frames in the same order");
            audio += usize::from(lk.starts_with("audio:"));
            added.push(rt.saturating_duration_since(*lt).as_secs_f64() * 1000.0);
        }
        println!(
            "{} frames ({audio} audio) over {TURNS} turns, reaching both guests",
            added.len()
        );
        summary(
            "added by the Redis relay, per frame (remote - local arrival)",
            added,
        );

        // Round trips: each guest's own text in, its transcript back (the others keep reading).
        let owner = drain(owner);
        let remote_drain = drain(remote);
        let _ = round_trips(&mut local, 20).await; // warm-up
        let local_times = round_trips(&mut local, ROUND_TRIPS).await;
        let local_drain = drain(local);
        let mut remote = undrain(remote_drain).await;
        let _ = round_trips(&mut remote, 20).await;
        let remote_times = round_trips(&mut remote, ROUND_TRIPS).await;
        let (l50, l99) = summary("round trip, guest in-process", local_times);
        let (r50, r99) = summary("round trip, guest through Redis", remote_times);
        println!(
            "ratio remote/local: p50 {:.2}x (+{:.3} ms), p99 {:.2}x (+{:.3} ms)",
            r50 / l50,
            r50 - l50,
            r99 / l99,
            r99 - l99
        );
        drop((undrain(owner).await, undrain(local_drain).await));
    });
}
