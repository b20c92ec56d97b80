//! `relay audit [--since D] [--user U] [--json]` and `relay audit verify`.

use relay::AuditVerdict;
use relay::core::store::{AuditFilter, AuditOutcome};
use relay::core::words::parse_duration;

use crate::context::Global;
use crate::error::{CliError, CliResult, EXIT_FAILED};
use crate::output::{Color, Table, print_json};

/// Arguments of `relay audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<AuditCommand>,
    /// Only entries from the last DURATION (90s, 30m, 8h, 7d).
    #[arg(long, value_name = "DURATION")]
    since: Option<String>,
    /// Only this user's entries (others' need the team_lead role).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Check the hash chain: exit 0 when intact, 1 naming the first changed or removed entry.
    Verify,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let relay = g.remember().await?;
    if let Some(AuditCommand::Verify) = args.command {
        let verdict = relay.verify_audit().await?;
        if args.json {
            print_json(&verdict);
        }
        return match verdict {
            AuditVerdict::Intact { records } => {
                if !args.json {
                    println!("audit log intact: {records} entries, chain verified");
                }
                Ok(())
            }
            AuditVerdict::Broken { seq, problem } => Err(CliError {
                code: EXIT_FAILED,
                message: format!("audit log broken at entry {seq}: {problem}"),
            }),
        };
    }
    let since_ms = match &args.since {
        Some(text) => {
            let d = parse_duration(text).map_err(CliError::usage)?;
            Some(relay::store::now_ms().saturating_sub(d.as_millis() as u64))
        }
        None => None,
    };
    let records = relay
        .audit(AuditFilter {
            since_ms,
            user: args.user,
        })
        .await?;
    if args.json {
        print_json(&records);
        return Ok(());
    }
    let mut table = Table::new(vec![
        "#", "TIME", "USER", "ACTION", "OUTCOME", "MS", "DETAIL",
    ]);
    for r in &records {
        let e = &r.entry;
        let color = match e.outcome {
            AuditOutcome::Ok => Color::Green,
            AuditOutcome::Failed => Color::Red,
            AuditOutcome::Denied => Color::Yellow,
        };
        table.row(vec![
            (r.seq.to_string(), Color::Dim),
            (relay::store::format_time(e.at_ms), Color::Plain),
            (format!("{} ({})", e.user, e.role), Color::Cyan),
            (e.action.clone(), Color::Plain),
            (e.outcome.as_str().into(), color),
            (e.duration_ms.to_string(), Color::Dim),
            (e.detail.clone().unwrap_or_default(), Color::Plain),
        ]);
    }
    print!("{}", table.render(g.style()));
    Ok(())
}
