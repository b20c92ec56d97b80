//! `relay-testkit`: starts one of Relay's test peers so tests in any language can use it.
//!
//! ```text
//! relay-testkit anthropic --script FILE [--port 0]        # prints the URL, serves until SIGTERM
//! relay-testkit realtime [--addr 127.0.0.1:0] [--scenario FILE.json] [--until-stdin-closes]
//!                                                          # prints `READY <url>`; with
//!                                                          # --until-stdin-closes a `log` line
//!                                                          # on stdin prints what it saw (JSON)
//! relay-testkit proxmox [--help]                           # prints one JSON line, serves until stdin closes
//! relay-testkit github                                     # prints one JSON line, serves until stdin closes
//! ```

mod cli_anthropic;
mod cli_realtime;
mod github_cmd;
mod proxmox_cmd;

use std::process::ExitCode;

const USAGE: &str = "usage: relay-testkit anthropic|realtime|proxmox|github [OPTIONS] (each peer takes --help or documents its options)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((peer, rest)) = args.split_first() else {
        eprintln!("relay-testkit: missing peer name\n{USAGE}");
        return ExitCode::from(2);
    };
    let result = match peer.as_str() {
        "anthropic" => cli_anthropic::run(rest),
        "proxmox" => proxmox_cmd::main(rest),
        "github" => github_cmd::main(rest),
        "realtime" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start runtime: {e}"))
            .and_then(|rt| rt.block_on(cli_realtime::run(rest))),
        other => Err(format!(
            "unknown peer `{other}` (known: anthropic, realtime, proxmox, github)"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("relay-testkit: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
