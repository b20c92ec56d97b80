//! `relay-testkit`: starts a test peer and prints how to reach it as one JSON line.

use clap::{Parser, Subcommand};

mod proxmox_cmd;

#[derive(Parser)]
#[command(name = "relay-testkit", about = "Test peers for Relay's tests")]
struct Cli {
    #[command(subcommand)]
    peer: Peer,
}

#[derive(Subcommand)]
enum Peer {
    /// A fake Proxmox VE API over TLS.
    Proxmox(proxmox_cmd::ProxmoxArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.peer {
        Peer::Proxmox(args) => proxmox_cmd::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay-testkit: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
