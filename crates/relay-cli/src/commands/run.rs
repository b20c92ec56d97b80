//! `relay run TASK`: run a coding task in each selected repository, in dependency order.

use std::io::Write;

use futures::StreamExt;
use relay::core::agent::AgentEvent;
use relay::core::agent::run::{AgentRunOptions, RepoRun, RunReport, run_across_repos};
use relay::core::store::JobState;
use relay::core::{Event, EventKind, RepoOutcome};
use relay::{AgentChoice, JobSpec};
use serde_json::json;

use crate::agent::AgentArgs;
use crate::context::Global;
use crate::error::{CliError, CliResult, EXIT_FAILED};
use crate::output::{Color, ReportLine, Style, render_report};
use crate::shutdown::{Shutdown, exit_code};

/// Arguments of `relay run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The task: a prompt for the claude agent, a command line for the shell agent.
    task: String,
    #[command(flatten)]
    scope: super::Scope,
    /// Run repositories whose dependencies failed anyway.
    #[arg(long)]
    keep_going: bool,
    /// One JSON object per line; the last is {"type": "run_finished", ...}.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    agent: AgentArgs,
    /// Model for the claude agent.
    #[arg(long)]
    model: Option<String>,
    /// Stop an agent running longer than this many seconds.
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Queue the run for a worker (`relay worker`) and return its job id at once.
    #[arg(long)]
    detach: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    // Tools the agent starts must not linger as zombies where PID 1 does not reap them.
    relay::agent::become_child_subreaper();
    let selection = args.scope.selection()?;
    let relay = g.relay().store(g.store_choice()?).build().await?;
    let graph = relay.require_graph()?;
    // Unknown names are a usage error, reported before any agent starts.
    selection.resolve(graph.workspace())?;
    let config = args.agent.with_relay_mcp(
        args.agent
            .config(AgentChoice::Claude, args.model.as_deref(), args.timeout),
        graph.workspace(),
    );
    let spec = JobSpec::agent_run(&relay, &config, &args.task, &selection, args.keep_going)?;
    if args.detach {
        let record = relay.enqueue_job(&spec).await?;
        if args.json {
            print_line(&json!({"type": "job_queued", "job": record.id}).to_string());
        } else {
            println!(
                "queued job {} (`relay worker` runs it; `relay jobs show {}`)",
                record.id, record.id
            );
        }
        return Ok(());
    }
    // A missing or too old `claude` is a usage error, reported before any repository is touched.
    let agent = config.build();
    agent.check().await?;
    let template = config.template(&args.task);
    let options = AgentRunOptions::new(template)
        .repos(selection)
        .jobs(g.jobs)
        .keep_going(args.keep_going);

    // Signals are handled from before the first agent starts.
    let mut shutdown = Shutdown::listen()?;
    // Recorded as it runs: after a crash `relay jobs resume ID` finishes the rest.
    let record = relay.create_job(&spec, JobState::Running).await?;
    eprintln!("job {} (`relay jobs show {}`)", record.id, record.id);
    let mut job = relay.recorded(record, run_across_repos(graph, agent.as_dyn(), options));
    let style = g.style();
    // The first SIGINT, SIGTERM or SIGHUP cancels the run (each agent kills its process tree);
    // a second one kills every process group and exits at once (see `crate::shutdown`).
    let mut interrupted: Option<i32> = None;
    loop {
        tokio::select! {
            event = job.next() => {
                let Some(event) = event else { break };
                if args.json {
                    print_line(&serde_json::to_string(&event).expect("events serialize"));
                } else if let Some(line) = human_line(&event, style) {
                    print_line(&line);
                }
            }
            signal = shutdown.signalled(), if interrupted.is_none() => {
                interrupted = Some(signal);
                job.cancel();
            }
        }
    }
    let report = job.wait().await.map_err(|e| CliError {
        code: interrupted.map(exit_code).unwrap_or(EXIT_FAILED),
        message: e.to_string(),
    })?;
    if args.json {
        print_line(&run_finished(&report).to_string());
    } else {
        print!("{}", render(&report, style));
    }
    if let Some(signal) = interrupted {
        return Err(CliError {
            code: exit_code(signal),
            message: String::new(),
        });
    }
    if !report.all_succeeded() {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The last JSON line.
pub fn run_finished(report: &RunReport) -> serde_json::Value {
    json!({"type": "run_finished", "repos": report.repos})
}

/// Live progress for humans: one line per notable event.
fn human_line(event: &Event, style: Style) -> Option<String> {
    match &event.kind {
        EventKind::Progress(relay::core::Progress {
            repo: Some(repo),
            message,
            ..
        }) if message.starts_with("running") => Some(format!(
            "{} {message}",
            style.paint(Color::Cyan, &format!("[{repo}]"))
        )),
        EventKind::Agent { repo, event } => {
            let repo = repo.as_deref().unwrap_or("-");
            let tag = style.paint(Color::Cyan, &format!("[{repo}]"));
            let text = match event {
                AgentEvent::ToolStarted { name, input, .. } => {
                    let detail = input
                        .get("command")
                        .or_else(|| input.get("file_path"))
                        .map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            // The shell agent's command is a word list.
                            serde_json::Value::Array(words) => words
                                .iter()
                                .map(|w| {
                                    w.as_str()
                                        .map(String::from)
                                        .unwrap_or_else(|| w.to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(" "),
                            other => other.to_string(),
                        })
                        .unwrap_or_default();
                    format!("{name} {detail}")
                }
                AgentEvent::AssistantMessage { content, .. } => {
                    let text: Vec<&str> = content
                        .iter()
                        .filter_map(|b| match b {
                            relay::core::agent::ContentBlock::Text { text } => Some(text.as_str()),
                            _ => None,
                        })
                        .collect();
                    if text.is_empty() {
                        return None;
                    }
                    style.paint(Color::Dim, &text.join(" "))
                }
                AgentEvent::Output { line, .. } => style.paint(Color::Dim, line),
                AgentEvent::PermissionDecided {
                    tool_name,
                    allowed: false,
                    message,
                } => style.paint(
                    Color::Yellow,
                    &format!("denied {tool_name}: {}", message.as_deref().unwrap_or("")),
                ),
                AgentEvent::ApiRetry {
                    attempt,
                    error_status,
                    ..
                } => style.paint(
                    Color::Yellow,
                    &format!(
                        "API error {}, retry {attempt}",
                        error_status.map(|s| s.to_string()).unwrap_or_default()
                    ),
                ),
                AgentEvent::Warning { message } => style.paint(Color::Yellow, message),
                _ => return None,
            };
            Some(format!("{tag} {text}"))
        }
        EventKind::RepoFinished {
            repo,
            outcome,
            summary,
        } => {
            let (mark, color) = outcome_style(*outcome);
            Some(format!(
                "{} {} {summary}",
                style.paint(Color::Cyan, &format!("[{repo}]")),
                style.paint(color, mark)
            ))
        }
        _ => None,
    }
}

fn outcome_style(outcome: RepoOutcome) -> (&'static str, Color) {
    match outcome {
        RepoOutcome::Success => ("success", Color::Green),
        RepoOutcome::Failed => ("failed", Color::Red),
        RepoOutcome::Skipped => ("skipped", Color::Yellow),
        RepoOutcome::Cancelled => ("cancelled", Color::Yellow),
    }
}

/// The final table: one line per repository.
pub fn render(report: &RunReport, style: Style) -> String {
    let lines: Vec<ReportLine> = report.repos.iter().map(line).collect();
    let mut out = String::from("\n");
    out.push_str(&render_report(&lines, style));
    out.push_str(&format!("total cost: ${:.4}\n", report.total_cost_usd()));
    out
}

fn line(r: &RepoRun) -> ReportLine {
    let (action, color) = outcome_style(r.outcome);
    let detail = match r.outcome {
        RepoOutcome::Success => {
            let files = if r.changed_files.is_empty() {
                "no files changed".to_string()
            } else {
                r.changed_files.join(", ")
            };
            format!("{} turns, ${:.4}, {files}", r.num_turns, r.cost_usd)
        }
        _ => r.error.clone().unwrap_or_default(),
    };
    ReportLine {
        name: r.name.clone(),
        action: action.into(),
        color,
        detail,
    }
}
