//! `relay env`: development environments on Proxmox VE or as local directories.
//!
//! Settings come from `relay.yaml` `infra:` and the `PROXMOX_*` environment variables; all logic
//! lives in `relay-infra`.

use std::sync::Arc;
use std::time::Duration;

use relay::core::infra::{
    EnvKind, EnvSpec, EnvStatus, Environment, ExecRequest, InfraProvider, StopOptions,
};
use serde_json::json;

use crate::context::Global;
use crate::error::{CliError, CliResult, EXIT_FAILED};
use crate::output::{Color, Table, print_json};
use crate::progress::drive;

/// Arguments of `relay env`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: EnvCommand,
}

/// Options every `relay env` subcommand takes.
#[derive(Debug, Clone, clap::Args)]
struct Common {
    /// proxmox or local (default: infra.provider, else proxmox when PROXMOX_URL or
    /// infra.proxmox is set, else local).
    #[arg(long, value_name = "PROVIDER")]
    provider: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Skip TLS certificate verification of the Proxmox API (like PROXMOX_INSECURE=1; never
    /// from relay.yaml, and not together with a CA file or fingerprint).
    #[arg(long)]
    insecure: bool,
}

#[derive(Debug, clap::Subcommand)]
enum EnvCommand {
    /// Create and start an environment (or start it again if it exists).
    Up {
        /// Environment name (a DNS label).
        name: String,
        /// Resource profile: developer, team_lead or one from relay.yaml.
        #[arg(long, default_value = "developer")]
        profile: String,
        /// lxc or qemu (Proxmox only).
        #[arg(long)]
        kind: Option<String>,
        /// LXC ostemplate volume, or the id of a template guest to clone (Proxmox only).
        #[arg(long)]
        template: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// List environments.
    Ls {
        #[command(flatten)]
        common: Common,
    },
    /// Show one environment and its snapshots.
    Status {
        /// Environment name.
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Run a command inside an environment: `relay env exec NAME -- CMD ARGS...`.
    Exec {
        /// Environment name.
        name: String,
        /// Working directory inside the environment.
        #[arg(long)]
        cwd: Option<String>,
        /// Seconds the command may run.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        common: Common,
        /// The command and its arguments.
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Take a snapshot.
    Snapshot {
        /// Environment name.
        name: String,
        /// Snapshot name.
        snapshot: String,
        #[command(flatten)]
        common: Common,
    },
    /// Roll back to a snapshot.
    Rollback {
        /// Environment name.
        name: String,
        /// Snapshot name.
        snapshot: String,
        #[command(flatten)]
        common: Common,
    },
    /// Stop an environment (clean shutdown, then a hard stop); --destroy removes it.
    Down {
        /// Environment name.
        name: String,
        /// Also destroy it with its disks.
        #[arg(long)]
        destroy: bool,
        /// Seconds a clean shutdown may take before the hard stop.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Skip the clean shutdown.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        common: Common,
    },
}

async fn provider(g: &Global, common: &Common) -> Result<Arc<dyn InfraProvider>, CliError> {
    crate::infra::provider(g, common.provider.as_deref(), common.insecure).await
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    match args.command {
        EnvCommand::Up {
            name,
            profile,
            kind,
            template,
            common,
        } => {
            let p = provider(g, &common).await?;
            let mut spec = EnvSpec::new(&name).profile(profile);
            if let Some(kind) = kind {
                spec = spec.kind(kind.parse::<EnvKind>().map_err(CliError::usage)?);
            }
            if let Some(template) = template {
                spec = spec.template(template);
            }
            let env = drive(relay::core::infra::up(p, spec), common.json).await?;
            show_env(&env, common.json, g);
        }
        EnvCommand::Ls { common } => {
            let envs = provider(g, &common).await?.list().await?;
            if common.json {
                print_json(&envs);
            } else if envs.is_empty() {
                println!("no environments; create one with `relay env up NAME`");
            } else {
                print!("{}", table(&envs, g));
            }
        }
        EnvCommand::Status { name, common } => {
            let p = provider(g, &common).await?;
            let env = p.status(&name).await?;
            let snapshots = p.snapshots(&name).await?;
            if common.json {
                print_json(&json!({ "environment": env, "snapshots": snapshots }));
            } else {
                print!("{}", table(std::slice::from_ref(&env), g));
                for s in &snapshots {
                    println!(
                        "snapshot {}{}",
                        s.name,
                        s.parent
                            .as_ref()
                            .map(|p| format!(" (after {p})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        EnvCommand::Exec {
            name,
            cwd,
            timeout,
            common,
            command,
        } => {
            let p = provider(g, &common).await?;
            let mut request = ExecRequest::new(command).timeout(Duration::from_secs(timeout));
            if let Some(dir) = cwd {
                request = request.cwd(dir);
            }
            // SIGINT, SIGTERM, SIGHUP: the command's process group is killed before relay exits.
            let out = crate::shutdown::until_signal(async {
                p.exec(&name, request).await.map_err(CliError::from)
            })
            .await?;
            if common.json {
                print_json(&out);
            } else {
                print!("{}", out.stdout);
                eprint!("{}", out.stderr);
            }
            // The command's own exit status becomes relay's, as with ssh.
            let code = match (out.exit_code, out.signal) {
                (Some(0), _) => return Ok(()),
                (Some(c), _) => c.clamp(1, 255) as u8,
                (None, Some(sig)) => (128 + sig).clamp(1, 255) as u8,
                (None, None) => EXIT_FAILED,
            };
            return Err(CliError {
                code,
                message: String::new(),
            });
        }
        EnvCommand::Snapshot {
            name,
            snapshot,
            common,
        } => {
            let p = provider(g, &common).await?;
            let info = drive(p.snapshot(&name, &snapshot), common.json).await?;
            if common.json {
                print_json(&info);
            } else {
                println!("snapshot {} of {name} taken", info.name);
            }
        }
        EnvCommand::Rollback {
            name,
            snapshot,
            common,
        } => {
            let p = provider(g, &common).await?;
            let env = drive(p.rollback(&name, &snapshot), common.json).await?;
            show_env(&env, common.json, g);
        }
        EnvCommand::Down {
            name,
            destroy,
            timeout,
            force,
            common,
        } => {
            let p = provider(g, &common).await?;
            if destroy {
                drive(p.destroy(&name), common.json).await?;
                if common.json {
                    print_json(&json!({ "name": name, "destroyed": true }));
                } else {
                    println!("{name} destroyed");
                }
            } else {
                let options = StopOptions {
                    timeout: Duration::from_secs(timeout),
                    force,
                };
                let env = drive(p.stop(&name, options), common.json).await?;
                show_env(&env, common.json, g);
            }
        }
    }
    Ok(())
}

fn show_env(env: &Environment, json: bool, g: &Global) {
    if json {
        print_json(env);
    } else {
        print!("{}", table(std::slice::from_ref(env), g));
    }
}

fn table(envs: &[Environment], g: &Global) -> String {
    let mut t = Table::new(vec![
        "NAME", "STATUS", "KIND", "ID", "PROFILE", "CORES", "MEMORY",
    ]);
    for e in envs {
        let color = match e.status {
            EnvStatus::Running => Color::Green,
            EnvStatus::Stopped => Color::Dim,
            _ => Color::Yellow,
        };
        let status = match &e.lock {
            Some(lock) => format!("{} (locked: {lock})", e.status.as_str()),
            None => e.status.as_str().to_string(),
        };
        t.row(vec![
            (e.name.clone(), Color::Cyan),
            (status, color),
            (e.kind.as_str().to_string(), Color::Plain),
            (e.id.clone(), Color::Plain),
            (e.profile.clone().unwrap_or_default(), Color::Plain),
            (
                e.cores.map(|c| c.to_string()).unwrap_or_default(),
                Color::Plain,
            ),
            (
                e.memory_mb.map(|m| format!("{m} MiB")).unwrap_or_default(),
                Color::Plain,
            ),
        ]);
    }
    t.render(g.style())
}
