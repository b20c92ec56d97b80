//! `gateway-load`: N concurrent conversations against `relay serve` and the Node example server,
//! one after the other in one run, printed side by side (see benches/gateway_load.sh).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use relay_gateway_load::{LoadConfig, ServerKind, markdown_table, run, summary};

const USAGE: &str = "usage: gateway-load [--relay PATH] [--node-script PATH] [--node PATH]
    [--conversations N] [--turns N] [--open-interval-ms MS] [--frame-ms MS]
    [--turn-timeout-s S] [--deadline-s S]
Runs N conversations against `relay serve` (--relay, the `relay` binary) and the Node example
server (--node-script, examples/node/voice-server/server.mjs), each in front of the testkit
Realtime peer, and prints a Markdown table. Give one of the two to run only that server.
Exits 1 when a server could not be run or a turn went unanswered.";

struct Args {
    servers: Vec<ServerKind>,
    config: LoadConfig,
}

fn parse() -> Result<Args, String> {
    let mut relay = None;
    let mut script = None;
    let mut node = PathBuf::from("node");
    let mut config = LoadConfig::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{arg}: `{v}` is not a whole number"))
        };
        match arg.as_str() {
            "--relay" => relay = Some(PathBuf::from(value()?)),
            "--node-script" => script = Some(PathBuf::from(value()?)),
            "--node" => node = PathBuf::from(value()?),
            "--conversations" => config.conversations = number(value()?)? as usize,
            "--turns" => config.turns = number(value()?)? as usize,
            "--open-interval-ms" => {
                config.open_interval = Duration::from_millis(number(value()?)?);
            }
            "--frame-ms" => config.frame_ms = number(value()?)?.clamp(10, 1000) as u32,
            "--turn-timeout-s" => config.turn_timeout = Duration::from_secs(number(value()?)?),
            "--deadline-s" => config.deadline = Duration::from_secs(number(value()?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let mut servers = Vec::new();
    if let Some(bin) = relay {
        servers.push(ServerKind::Relay { bin });
    }
    if let Some(script) = script {
        servers.push(ServerKind::Node { node, script });
    }
    if servers.is_empty() {
        return Err("give --relay, --node-script or both".into());
    }
    if config.conversations == 0 || config.turns == 0 {
        return Err("--conversations and --turns must be at least 1".into());
    }
    Ok(Args { servers, config })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gateway-load: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut runs = Vec::new();
    let mut ok = true;
    for kind in &args.servers {
        eprintln!(
            "gateway-load: {} conversations x {} turns against {}",
            args.config.conversations,
            args.config.turns,
            kind.label()
        );
        match run(kind, &args.config).await {
            Ok(report) => {
                eprintln!("{}", summary(&report));
                ok &= report.turns_answered() == report.turns_planned();
                runs.push(report);
            }
            Err(e) => {
                eprintln!("gateway-load: {e}");
                ok = false;
            }
        }
    }
    if !runs.is_empty() {
        println!("{}", markdown_table(&runs));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
