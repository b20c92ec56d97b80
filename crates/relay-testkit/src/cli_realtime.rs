//! The `realtime` subcommand: a fake OpenAI Realtime server on loopback.

use relay_testkit::realtime::{FakeRealtime, Scenario};
use tokio::io::AsyncReadExt;

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
        // The parent test holds our stdin; when it exits, we exit too.
        let mut sink = [0u8; 256];
        let mut stdin = tokio::io::stdin();
        while let Ok(n) = stdin.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    } else {
        let _ = tokio::signal::ctrl_c().await;
    }
    drop(server);
    Ok(())
}
