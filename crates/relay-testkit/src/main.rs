//! `relay-testkit`: starts a test peer for other languages' tests.
//!
//! ```text
//! relay-testkit proxmox [--token ID=SECRET] [--user USER=PASSWORD] [--ca-out FILE] ...
//! ```
//! The peer prints how to reach it as one JSON line on stdout.

use std::process::ExitCode;

mod proxmox_cmd;

const USAGE: &str = "usage: relay-testkit proxmox [--help]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((peer, rest)) = args.split_first() else {
        eprintln!("relay-testkit: missing peer name\n{USAGE}");
        return ExitCode::from(2);
    };
    let result = match peer.as_str() {
        "proxmox" => proxmox_cmd::main(rest),
        other => Err(format!("unknown peer `{other}` (known: proxmox)\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("relay-testkit: {message}");
            ExitCode::from(2)
        }
    }
}
