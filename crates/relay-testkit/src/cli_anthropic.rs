//! `relay-testkit anthropic --script FILE [--port PORT]`: serves the fake Anthropic Messages API and
//! prints its URL on the first line of stdout, until SIGTERM or SIGINT.

use relay_testkit::anthropic::{FakeAnthropic, Script};

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let rest = args;
    let mut script_path = None;
    let mut port = 0u16;
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--script" => script_path = Some(value.clone()),
            "--port" => {
                port = value
                    .parse()
                    .map_err(|_| format!("--port must be a number, got `{value}`"))?;
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    let script_path = script_path.ok_or("--script FILE is required")?;
    let text = std::fs::read_to_string(&script_path)
        .map_err(|e| format!("cannot read script {script_path}: {e}"))?;
    let script: Script =
        serde_json::from_str(&text).map_err(|e| format!("invalid script {script_path}: {e}"))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    runtime.block_on(async move {
        let server = FakeAnthropic::start_on(script, port)
            .await
            .map_err(|e| format!("cannot bind port {port}: {e}"))?;
        println!("{}", server.url());
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        drop(server);
        Ok(())
    })
}
