//! The `realtime` subcommand: a fake OpenAI Realtime server on loopback.

use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::json;
use tokio::io::AsyncBufReadExt;

pub async fn run(args: &[String]) -> Result<(), String> {
    let mut addr = "127.0.0.1:0".to_string();
    let mut scenario = Scenario::default();
    let mut until_stdin_closes = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--addr" => addr = it.next().ok_or("--addr needs HOST:PORT")?.clone(),
            "--scenario" => {
                let path = it.next().ok_or("--scenario needs a JSON file")?;
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {path}: {e}"))?;
                scenario = serde_json::from_str(&text)
                    .map_err(|e| format!("{path}: invalid scenario: {e}"))?;
            }
            "--until-stdin-closes" => until_stdin_closes = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let server = FakeRealtime::start_on(&addr, scenario)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("READY {}", server.url());
    if until_stdin_closes {
        // The parent test holds our stdin; when it exits, we exit too. Meanwhile a `log` line
        // prints what the server saw, as one JSON line (tests in other languages assert on it).
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim() == "log" {
                println!("{}", log_json(&server));
            }
        }
    } else {
        let _ = tokio::signal::ctrl_c().await;
    }
    drop(server);
    Ok(())
}

/// Every connection's log: `{"connections": [{client_events, truncations: [{item_id,
/// audio_end_ms}], deletions, errors_sent: [{code, message}], conversation}], "remaining_turns"}`.
fn log_json(server: &FakeRealtime) -> serde_json::Value {
    let connections: Vec<_> = (0..server.connection_count())
        .map(|n| {
            let log = server.connection(n);
            json!({
                "model": log.model,
                "client_events": log.client_events,
                "truncations": log.truncations.iter()
                    .map(|(item_id, ms)| json!({"item_id": item_id, "audio_end_ms": ms}))
                    .collect::<Vec<_>>(),
                "deletions": log.deletions,
                "errors_sent": log.errors_sent.iter()
                    .map(|(code, message)| json!({"code": code, "message": message}))
                    .collect::<Vec<_>>(),
                "conversation": log.conversation,
            })
        })
        .collect();
    json!({"connections": connections, "remaining_turns": server.remaining_turns()})
}
