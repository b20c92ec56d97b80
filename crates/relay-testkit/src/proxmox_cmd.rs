//! `relay-testkit proxmox`: runs the fake PVE server until stdin closes or Ctrl-C.
//!
//! Self-contained so any dispatcher in `main.rs` can hand it the arguments after `proxmox`.

use std::path::PathBuf;
use std::time::Duration;

use relay_testkit::proxmox::{FakeProxmox, GuestKind};

/// Options of `relay-testkit proxmox`.
#[derive(clap::Parser)]
#[command(
    name = "relay-testkit proxmox",
    about = "A fake Proxmox VE API over TLS"
)]
pub struct ProxmoxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Node name.
    #[arg(long, default_value = "pve")]
    node: String,
    /// Accepted API token as `user@realm!name=SECRET` (repeatable).
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// Accepted login as `user@realm=PASSWORD` (repeatable).
    #[arg(long = "user")]
    users: Vec<String>,
    /// Where to write the CA certificate (PEM).
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// How long each task runs, in milliseconds.
    #[arg(long, default_value_t = 150)]
    task_ms: u64,
    /// Pre-created template guests as `lxc:9000:name` or `qemu:9001:name` (repeatable).
    #[arg(long = "template")]
    templates: Vec<String>,
}

/// Parses `args` (those after `proxmox`) and serves until stdin closes or Ctrl-C.
pub fn main(args: &[String]) -> Result<(), String> {
    use clap::Parser;
    let argv = std::iter::once("relay-testkit proxmox".to_string()).chain(args.iter().cloned());
    let args = match ProxmoxArgs::try_parse_from(argv) {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            // --help and --version are answers, not errors.
            print!("{e}");
            return Ok(());
        }
        Err(e) => return Err(e.to_string()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    runtime.block_on(run(args))
}

async fn run(args: ProxmoxArgs) -> Result<(), String> {
    let mut builder = FakeProxmox::builder()
        .node(&args.node)
        .port(args.port)
        .task_duration(Duration::from_millis(args.task_ms));
    for t in &args.tokens {
        let (id, secret) = t
            .split_once('=')
            .ok_or(format!("--token {t}: expected user@realm!name=SECRET"))?;
        builder = builder.token(id, secret);
    }
    for u in &args.users {
        let (user, password) = u
            .split_once('=')
            .ok_or(format!("--user {u}: expected user@realm=PASSWORD"))?;
        builder = builder.user(user, password);
    }
    let pve = builder
        .start()
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    for t in &args.templates {
        let parts: Vec<&str> = t.splitn(3, ':').collect();
        let kind = match parts.first() {
            Some(&"lxc") => GuestKind::Lxc,
            Some(&"qemu") => GuestKind::Qemu,
            _ => {
                return Err(format!(
                    "--template {t}: expected lxc:ID:NAME or qemu:ID:NAME"
                ));
            }
        };
        let vmid: u32 = parts
            .get(1)
            .and_then(|v| v.parse().ok())
            .ok_or(format!("--template {t}: bad id"))?;
        pve.add_guest(
            kind,
            vmid,
            parts.get(2).copied().unwrap_or("template"),
            true,
        );
    }
    let ca_file = match &args.ca_out {
        Some(path) => {
            std::fs::write(path, pve.ca_pem())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    println!(
        "{}",
        serde_json::json!({
            "url": pve.url(),
            "node": pve.node(),
            "fingerprint": pve.fingerprint(),
            "ca_file": ca_file,
            "ca_pem": pve.ca_pem(),
        })
    );
    // Stop when the parent closes our stdin or on Ctrl-C.
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin()
            .read_line(&mut sink)
            .map(|n| n > 0)
            .unwrap_or(false)
        {
            sink.clear();
        }
    });
    tokio::select! {
        _ = stdin_closed => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
