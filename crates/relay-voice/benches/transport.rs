//! Side-by-side comparison of Relay's Realtime transport with a raw tokio-tungstenite client
//! talking to the same local fake Realtime server, in one run:
//!
//! 1. uplink: time from handing a 100 ms audio frame to the client until the server has read it;
//! 2. downlink: time from the server writing a 100 ms audio delta until the application holds the
//!    decoded audio;
//! 3. memory: resident memory of 1,000 concurrent sessions (server in a child process).
//!
//! Run: `cargo bench -p relay-voice --bench transport` (prints a Markdown table).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::{SinkExt, StreamExt};
use relay_core::tools::ToolRegistry;
use relay_core::voice::{VoiceEvent, VoiceSession, VoiceSessionConfig, VoiceTransport};
use relay_testkit::realtime::{FakeRealtime, Scenario};
use relay_voice::{RealtimeConfig, RealtimeTransport};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const FRAMES: usize = 1000;
const ROUNDS: usize = 8;
const SESSIONS: usize = 1000;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn config() -> VoiceSessionConfig {
    // No VAD so silence frames never trigger turns; text output keeps memory runs small.
    VoiceSessionConfig::builder()
        .turn_detection(None)
        .transcription(None)
        .build()
}

async fn relay_session(url: &str) -> VoiceSession {
    let cfg = RealtimeConfig::builder().url(url).build().unwrap();
    RealtimeTransport::new(cfg, Arc::new(ToolRegistry::new()))
        .start(config())
        .await
        .unwrap()
}

type RawWs =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw client doing the minimum a hand-written integration does: connect, configure, wait.
async fn raw_session(url: &str) -> RawWs {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}?model=gpt-realtime"))
        .await
        .unwrap();
    let _created = ws.next().await;
    let update = json!({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"],
        "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": null}}}});
    ws.send(Message::text(update.to_string())).await.unwrap();
    while let Some(Ok(Message::Text(t))) = ws.next().await {
        if t.as_str().contains("session.updated") {
            break;
        }
    }
    ws
}

async fn uplink(server: &FakeRealtime, url: &str) -> (Vec<f64>, Vec<f64>) {
    let frame = vec![0u8; 4800];
    let relay = relay_session(url).await;
    let mut raw = raw_session(url).await;
    // Connection 0 is Relay's, 1 is raw (connected in that order).
    let mut relay_sent = Vec::new();
    let mut raw_sent = Vec::new();
    for _ in 0..FRAMES {
        relay_sent.push(Instant::now());
        relay.send_audio(frame.clone()).unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
        raw_sent.push(Instant::now());
        let text = json!({"type": "input_audio_buffer.append", "audio": STANDARD.encode(&frame)})
            .to_string();
        raw.send(Message::text(text)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = |conn: usize| -> Vec<Instant> {
        let log = server.connection(conn);
        log.client_events
            .iter()
            .zip(log.client_event_times.iter())
            .filter(|(e, _)| e["type"] == "input_audio_buffer.append")
            .map(|(_, t)| *t)
            .collect()
    };
    let lat = |sent: &[Instant], got: Vec<Instant>| -> Vec<f64> {
        assert_eq!(sent.len(), got.len());
        sent.iter()
            .zip(got)
            .map(|(s, r)| (r - *s).as_secs_f64() * 1000.0)
            .collect()
    };
    let r = (lat(&relay_sent, received(0)), lat(&raw_sent, received(1)));
    relay.close();
    r
}

async fn downlink(url: &str, server: &FakeRealtime) -> (Vec<f64>, Vec<f64>) {
    let relay = relay_session(url).await;
    let mut raw = raw_session(url).await;
    let (mut relay_lat, mut raw_lat) = (Vec::new(), Vec::new());
    let conn_relay = server.connection_count() - 2;
    let conn_raw = conn_relay + 1;
    for _ in 0..ROUNDS {
        relay.send_text("count to ten").unwrap();
        let mut got = Vec::new();
        while let Some(ev) = relay.next_event().await {
            match ev {
                VoiceEvent::AssistantAudio { .. } => got.push(Instant::now()),
                VoiceEvent::ResponseDone { .. } => break,
                _ => {}
            }
        }
        let sent = server.connection(conn_relay).audio_sent_times;
        let sent = &sent[sent.len() - got.len()..];
        relay_lat.extend(
            sent.iter()
                .zip(&got)
                .map(|(s, r)| (*r - *s).as_secs_f64() * 1000.0),
        );

        let item = json!({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "count to ten"}]}});
        raw.send(Message::text(item.to_string())).await.unwrap();
        raw.send(Message::text(
            json!({"type": "response.create"}).to_string(),
        ))
        .await
        .unwrap();
        let mut got = Vec::new();
        while let Some(Ok(Message::Text(t))) = raw.next().await {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            match v["type"].as_str() {
                Some("response.output_audio.delta") => {
                    let _audio = STANDARD.decode(v["delta"].as_str().unwrap()).unwrap();
                    got.push(Instant::now());
                }
                Some("response.done") => break,
                _ => {}
            }
        }
        let sent = server.connection(conn_raw).audio_sent_times;
        let sent = &sent[sent.len() - got.len()..];
        raw_lat.extend(
            sent.iter()
                .zip(&got)
                .map(|(s, r)| (*r - *s).as_secs_f64() * 1000.0),
        );
    }
    relay.close();
    (relay_lat, raw_lat)
}

/// A long tool for the acknowledgement measurement: finishes after 50 ms.
struct Slow;

#[async_trait::async_trait]
impl relay_core::tools::Tool for Slow {
    fn spec(&self) -> relay_core::tools::ToolSpec {
        relay_core::tools::ToolSpec::new(
            "slow",
            "Slow work.",
            json!({"type": "object"}),
            relay_core::tools::Permission::Read,
        )
        .long_running()
    }
    async fn call(
        &self,
        _a: Value,
        _c: relay_core::tools::ToolContext,
    ) -> Result<Value, relay_core::tools::ToolError> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(json!({"done": true}))
    }
}

/// Time from the server writing `response.function_call_arguments.done` of a long tool to the
/// server reading Relay's spoken-acknowledgement `response.create`.
async fn acknowledgement() -> Vec<f64> {
    let mut scenario = Scenario::new();
    for _ in 0..ROUNDS * 4 {
        scenario = scenario.call(&[("slow", "{}")]).say("Done.", 100);
    }
    let server = FakeRealtime::start(scenario).await.unwrap();
    let cfg = RealtimeConfig::builder().url(server.url()).build().unwrap();
    let registry = Arc::new(ToolRegistry::new().with(Arc::new(Slow)));
    let session = RealtimeTransport::new(cfg, registry)
        .start(config())
        .await
        .unwrap();
    for _ in 0..ROUNDS * 4 {
        session.send_text("do the slow thing").unwrap();
        let mut tracker = relay_core::voice::ReplyTracker::default();
        while let Some(ev) = session.next_event().await {
            if tracker.observe(&ev) {
                break;
            }
        }
    }
    let log = server.connection(0);
    let args_done: Vec<Instant> = log
        .sent_times
        .iter()
        .filter(|(k, _)| k == "response.function_call_arguments.done")
        .map(|(_, t)| *t)
        .collect();
    let acks: Vec<Instant> = log
        .client_events
        .iter()
        .zip(&log.client_event_times)
        .filter(|(e, _)| e["type"] == "response.create" && e["response"]["conversation"] == "none")
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(args_done.len(), acks.len());
    session.close();
    args_done
        .iter()
        .zip(acks)
        .map(|(d, a)| (a - *d).as_secs_f64() * 1000.0)
        .collect()
}

/// Runs the fake server in a child process so its memory is not counted.
fn spawn_server_process() -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("RELAY_BENCH_SERVER", "1")
        .stdout(std::process::Stdio::piped())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().strip_prefix("READY ").unwrap().to_string();
    (child, url)
}

/// Resident memory per session of `kind` (`relay` or `raw`), measured in a fresh child process
/// so one client's freed memory cannot hide the other's.
fn memory_of(kind: &str, url: &str) -> f64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("RELAY_BENCH_MEM", kind)
        .env("RELAY_BENCH_URL", url)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN)
}

async fn memory_child(kind: &str, url: &str) -> f64 {
    // Warm up the allocator and the connect path with one session.
    if kind == "relay" {
        relay_session(url).await.close();
    } else {
        drop(raw_session(url).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib();
    let mut relays = Vec::new();
    let mut raws = Vec::new();
    for _ in 0..SESSIONS {
        if kind == "relay" {
            relays.push(relay_session(url).await);
        } else {
            raws.push(raw_session(url).await);
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let per = rss_kib().saturating_sub(before) as f64 / SESSIONS as f64;
    assert_eq!(relays.len() + raws.len(), SESSIONS);
    per
}

fn memory() -> (f64, f64) {
    let (mut child, url) = spawn_server_process();
    let relay = memory_of("relay", &url);
    let raw = memory_of("raw", &url);
    let _ = child.kill();
    let _ = child.wait();
    (relay, raw)
}

fn main() {
    if std::env::var_os("RELAY_BENCH_SERVER").is_some() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let server = FakeRealtime::start(Scenario::new()).await.unwrap();
            println!("READY {}", server.url());
            // Serve until the parent closes our stdin.
            let _ = tokio::task::spawn_blocking(|| {
                let mut s = String::new();
                let _ = std::io::stdin().read_line(&mut s);
            })
            .await;
        });
        return;
    }
    if let (Ok(kind), Ok(url)) = (
        std::env::var("RELAY_BENCH_MEM"),
        std::env::var("RELAY_BENCH_URL"),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        println!("{:.1}", rt.block_on(memory_child(&kind, &url)));
        return;
    }
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = FakeRealtime::start(Scenario::new().say("one two three four five six seven eight nine ten", 3000).pace(100, 20))
            .await
            .unwrap();
        let url = server.url();
        let (relay_up, raw_up) = uplink(&server, &url).await;
        let (relay_down, raw_down) = downlink(&url, &server).await;
        let (ru50, ru99) = stats(relay_up);
        let (wu50, wu99) = stats(raw_up);
        let (rd50, rd99) = stats(relay_down);
        let (wd50, wd99) = stats(raw_down);
        println!("| path | client | p50 ms | p99 ms |");
        println!("|---|---|---|---|");
        println!("| uplink (app -> server read), {FRAMES} frames | raw tokio-tungstenite | {wu50:.3} | {wu99:.3} |");
        println!("| uplink | Relay RealtimeTransport | {ru50:.3} | {ru99:.3} |");
        println!("| uplink | added by Relay | {:.3} | {:.3} |", ru50 - wu50, ru99 - wu99);
        println!("| downlink (server write -> app has PCM), {} frames | raw tokio-tungstenite | {wd50:.3} | {wd99:.3} |", ROUNDS * 30);
        println!("| downlink | Relay RealtimeTransport | {rd50:.3} | {rd99:.3} |");
        println!("| downlink | added by Relay | {:.3} | {:.3} |", rd50 - wd50, rd99 - wd99);
        let (a50, a99) = stats(acknowledgement().await);
        println!();
        println!("| long tool: arguments done -> spoken acknowledgement requested, {} calls | p50 ms | p99 ms |", ROUNDS * 4);
        println!("|---|---|---|");
        println!("| Relay RealtimeTransport | {a50:.3} | {a99:.3} |");
        let (relay_mem, raw_mem) = memory();
        println!();
        println!("| {SESSIONS} concurrent sessions | KiB per session (RSS delta) |");
        println!("|---|---|");
        println!("| raw tokio-tungstenite connection | {raw_mem:.1} |");
        println!("| Relay VoiceSession (driver task + socket + state) | {relay_mem:.1} |");
    });
}
