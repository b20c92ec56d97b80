//! Decodes a stream-json transcript the way the Claude Code adapter does (line framing over an
//! async reader, then frame decoding and message merging) and reports throughput.
//!
//! ```text
//! cargo run --release -p relay-agent --example decode_stream_json -- FILE [ITERATIONS]
//! ```
//! Prints one JSON object: bytes, frames, events, per-iteration seconds and the median MB/s.

use std::time::Instant;

use relay_agent::claude::{DEFAULT_MAX_LINE_BYTES, Decoded, FrameDecoder, LineReader};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: decode_stream_json FILE [ITERATIONS]");
    let iterations: usize = args
        .next()
        .map_or(5, |n| n.parse().expect("ITERATIONS is a number"));
    let bytes = std::fs::read(&path).expect("readable transcript");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut times = Vec::new();
    let mut counts = (0usize, 0usize);
    for _ in 0..iterations {
        let started = Instant::now();
        counts = runtime.block_on(decode(&bytes));
        times.push(started.elapsed().as_secs_f64());
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!(
        "{{\"impl\": \"relay\", \"bytes\": {}, \"frames\": {}, \"events\": {}, \"seconds\": {:?}, \"median_s\": {median}, \"mb_per_s\": {}}}",
        bytes.len(),
        counts.0,
        counts.1,
        times,
        bytes.len() as f64 / median / 1e6
    );
}

/// Returns (lines decoded, items produced).
async fn decode(bytes: &[u8]) -> (usize, usize) {
    let mut reader = LineReader::new(bytes, DEFAULT_MAX_LINE_BYTES);
    let mut decoder = FrameDecoder::new();
    let mut line = Vec::new();
    let mut out: Vec<Decoded> = Vec::new();
    let (mut frames, mut items) = (0, 0);
    while reader.next_line(&mut line).await.expect("in-memory read") {
        frames += 1;
        decoder.decode_line(&line, &mut out);
        line.clear();
        items += out.len();
        // A consumer takes each item; dropping them here keeps memory flat like a real run.
        out.clear();
    }
    decoder.flush(&mut out);
    (frames, items + out.len())
}
