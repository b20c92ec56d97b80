//! A tool call through `relay mcp` over stdio against the same call in-process.
//!
//! Both run `impact_analysis` for `shared-api` on the sample workspace: in-process through
//! `ToolRegistry::invoke` (what the voice layer does), and as an MCP client (rmcp) of the real
//! `relay mcp` binary over its stdin/stdout. Prints the median (p50), p90 and p99 of each and the
//! latency MCP adds at the median. Run: `cargo bench -p relay-cli --bench mcp_stdio`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use relay::Relay;
use relay::core::tools::{Permission, ToolContext};
use relay::mcp::rmcp::ServiceExt;
use relay::mcp::rmcp::model::CallToolRequestParams;
use relay::mcp::rmcp::transport::TokioChildProcess;

const WARMUP: usize = 200;
const SAMPLES: usize = 3000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let (p50, p90, p99) = (
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
    );
    println!(
        "{name:<28} p50 {:>8.1} µs   p90 {:>8.1} µs   p99 {:>8.1} µs   ({} calls)",
        p50.as_secs_f64() * 1e6,
        p90.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        samples.len()
    );
    p50
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sample = relay::repos::demo::create_sample_workspace(&tmp.path().join("acme"))
            .expect("sample workspace");
        let registry = Arc::new(
            Relay::open(&sample.workspace)
                .expect("workspace")
                .tools()
                .expect("tools")
                .with_permissions([Permission::Read]),
        );
        let args = r#"{"repos":["shared-api"]}"#;

        let mut in_process = Vec::with_capacity(SAMPLES);
        for i in 0..WARMUP + SAMPLES {
            let start = Instant::now();
            let output = registry
                .invoke("impact_analysis", args, ToolContext::default())
                .await;
            let took = start.elapsed();
            assert!(output.ok, "{output:?}");
            if i >= WARMUP {
                in_process.push(took);
            }
        }

        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_relay"));
        command
            .args(["mcp", "--workspace"])
            .arg(&sample.workspace)
            .env_remove("RELAY_WORKSPACE");
        let client =
            ().serve(TokioChildProcess::new(command).expect("relay mcp starts"))
                .await
                .expect("MCP session");
        let arguments = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(args)
            .expect("object");
        let mut over_stdio = Vec::with_capacity(SAMPLES);
        for i in 0..WARMUP + SAMPLES {
            let params =
                CallToolRequestParams::new("impact_analysis").with_arguments(arguments.clone());
            let start = Instant::now();
            let result = client.peer().call_tool(params).await.expect("call");
            let took = start.elapsed();
            assert_eq!(result.is_error, Some(false), "{result:?}");
            if i >= WARMUP {
                over_stdio.push(took);
            }
        }
        let _ = client.cancel().await;

        let local = report("in-process invoke", in_process);
        let remote = report("relay mcp over stdio", over_stdio);
        println!(
            "added by MCP over stdio at p50: {:.1} µs ({:.1}x)",
            (remote.as_secs_f64() - local.as_secs_f64()) * 1e6,
            remote.as_secs_f64() / local.as_secs_f64()
        );
    });
}
