//! `relay-testkit`: starts Relay's test peers so tests in other languages can use them.
//!
//! ```text
//! relay-testkit realtime [--addr 127.0.0.1:0] [--scenario scenario.json] [--until-stdin-closes]
//! ```
//! Prints `READY <url>` on one line once listening, then serves until interrupted (or, with
//! `--until-stdin-closes`, until the parent closes our stdin).

mod cli_realtime;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("realtime") => cli_realtime::run(&args[1..]).await,
        _ => Err("usage: relay-testkit realtime [--addr HOST:PORT] [--scenario FILE.json] [--until-stdin-closes]".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay-testkit: {e}");
            ExitCode::from(2)
        }
    }
}
