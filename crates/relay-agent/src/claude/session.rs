//! One CLI process from spawn to reaped exit: writes the prompt and control messages, reads and
//! decodes frames, answers permission requests, enforces timeouts, and builds the outcome.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::ChildStdin;
use tokio::time::Instant;

use super::ClaudeConfig;
use super::confine::{CHECKED_TOOLS, Confinement};
use super::control;
use super::decoder::{ControlRequest, Decoded, FrameDecoder, ResultFrame};
use super::outcome::outcome_from_result;
use crate::lines::{LineError, LineReader};
use crate::process::{AgentProcess, describe_exit};
use relay_core::agent::{
    AgentContext, AgentError, AgentEvent, AgentOutcome, AgentTask, AskAll, DenyAll,
    PermissionDecision, PermissionPolicy, PermissionRequest,
};

/// Far-future stand-in for "no deadline".
const NO_DEADLINE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

pub(crate) async fn run(
    config: &ClaudeConfig,
    binary: &Path,
    task: AgentTask,
    ctx: AgentContext,
) -> Result<AgentOutcome, AgentError> {
    if !task.cwd.is_dir() {
        return Err(AgentError::MissingCwd(task.cwd.clone()));
    }
    let repo = task.repo_name();
    let mut args = super::args::cli_args(&task);
    if let Some(settings) = &config.settings {
        args.extend(["--settings".to_string(), settings.clone()]);
    }
    let confinement = Confinement::for_task(&task, &config.env.0);
    let mut env = config.env.0.clone();
    env.extend(task.env.0.iter().cloned());
    let mut process = AgentProcess::spawn(binary, &args, &task.cwd, &env, None)?;
    tracing::debug!(pid = process.pid(), repo, "started claude");
    let mut stdin = Some(process.take_stdin().expect("stdin is piped"));
    let stdout = process.take_stdout().expect("stdout is piped");
    let mut reader = LineReader::new(stdout, config.max_line_bytes);

    let idle = task
        .idle_timeout
        .or(config.idle_timeout)
        .unwrap_or(NO_DEADLINE);
    let overall = task.overall_timeout.or(config.overall_timeout);
    let deadline = Instant::now() + overall.unwrap_or(NO_DEADLINE);

    // Initialize first, then the prompt; stdin stays open until the result arrives so control
    // requests can be answered.
    let opening = [
        control::initialize("relay_init"),
        control::user_message(&task.prompt),
    ];
    for message in &opening {
        if let Err(e) = write_json(stdin.as_mut(), message).await {
            return fail_after_kill(&mut process, e).await;
        }
    }

    let mut decoder = FrameDecoder::new();
    let mut line = Vec::new();
    let mut decoded = Vec::new();
    let mut interrupt_sent = false;
    let mut result: Option<ResultFrame> = None;

    while result.is_none() {
        let read = tokio::select! {
            biased;
            _ = ctx.cancel_token().cancelled() => {
                process.kill_group().await?;
                return Err(AgentError::Cancelled);
            }
            _ = tokio::time::sleep_until(deadline) => {
                process.kill_group().await?;
                return Err(AgentError::OverallTimeout { timeout: overall.unwrap_or(NO_DEADLINE), stderr_tail: process.stderr_tail() });
            }
            _ = ctx.interrupted(), if !interrupt_sent => {
                interrupt_sent = true;
                ctx.emit(AgentEvent::InterruptRequested);
                if let Err(e) = write_json(stdin.as_mut(), &control::interrupt("relay_interrupt")).await {
                    return fail_after_kill(&mut process, e).await;
                }
                continue;
            }
            read = tokio::time::timeout(idle, reader.next_line(&mut line)) => read,
        };
        let more = match read {
            Err(_) => {
                process.kill_group().await?;
                return Err(AgentError::IdleTimeout {
                    timeout: idle,
                    stderr_tail: process.stderr_tail(),
                });
            }
            Ok(Err(LineError::TooLong { size })) => {
                let limit = config.max_line_bytes;
                return fail_after_kill(&mut process, AgentError::LineTooLong { size, limit })
                    .await;
            }
            Ok(Err(LineError::Io(source))) => {
                let e = AgentError::Io {
                    action: "read from",
                    program: "claude".into(),
                    source,
                };
                return fail_after_kill(&mut process, e).await;
            }
            Ok(Ok(more)) => more,
        };
        if !more {
            // stdout closed without a result: the process is exiting or gone.
            decoder.flush(&mut decoded);
            emit_events(&ctx, &mut decoded);
            let status = process.finish(config.exit_grace).await?;
            return Err(AgentError::ExitedWithoutResult {
                exit: describe_exit(status),
                stderr_tail: process.stderr_tail(),
            });
        }
        decoder.decode_line(&line, &mut decoded);
        line.clear();
        for item in decoded.drain(..) {
            match item {
                Decoded::Event(event) => ctx.emit(event),
                Decoded::Result(frame) => result = Some(frame),
                Decoded::ControlRequest(request) => {
                    let answer = tokio::select! {
                        biased;
                        _ = ctx.cancel_token().cancelled() => {
                            process.kill_group().await?;
                            return Err(AgentError::Cancelled);
                        }
                        _ = tokio::time::sleep_until(deadline) => {
                            process.kill_group().await?;
                            return Err(AgentError::OverallTimeout { timeout: overall.unwrap_or(NO_DEADLINE), stderr_tail: process.stderr_tail() });
                        }
                        answer = answer_control(config, &task, &confinement, &ctx, request) => answer,
                    };
                    if let Err(e) = write_json(stdin.as_mut(), &answer).await {
                        return fail_after_kill(&mut process, e).await;
                    }
                }
                Decoded::ControlResponse {
                    request_id,
                    error: None,
                } => {
                    tracing::debug!(request_id, "control request acknowledged");
                }
                Decoded::ControlResponse {
                    request_id,
                    error: Some(error),
                } => {
                    // Not fatal: e.g. an interrupt that arrived after the turn ended.
                    ctx.emit(AgentEvent::Warning {
                        message: format!("the agent refused control request {request_id}: {error}"),
                    });
                }
                Decoded::ControlCancel(id) => {
                    tracing::debug!(id, "CLI cancelled a control request");
                }
            }
        }
    }

    decoder.flush(&mut decoded);
    emit_events(&ctx, &mut decoded);
    // Closing stdin tells the CLI we are done; it then exits on its own.
    drop(stdin.take());
    let status = process.finish(config.exit_grace).await?;
    tracing::debug!(repo, exit = %describe_exit(status), "claude exited");
    let frame = result.expect("loop ends with a result");
    let outcome = outcome_from_result(frame, interrupt_sent);
    ctx.emit(AgentEvent::Result {
        subtype: outcome.subtype.clone(),
        is_error: !outcome.is_success(),
        num_turns: outcome.num_turns,
        cost_usd: outcome.cost_usd,
        text: outcome.result_text.clone(),
    });
    Ok(outcome)
}

fn emit_events(ctx: &AgentContext, decoded: &mut Vec<Decoded>) {
    for item in decoded.drain(..) {
        if let Decoded::Event(event) = item {
            ctx.emit(event);
        }
    }
}

async fn fail_after_kill(
    process: &mut AgentProcess,
    error: AgentError,
) -> Result<AgentOutcome, AgentError> {
    if matches!(
        error,
        AgentError::Io {
            action: "write to",
            ..
        }
    ) {
        // A write fails when the CLI already exited: its exit code and stderr say why.
        if let Ok(status) = process.finish(Duration::from_secs(2)).await {
            return Err(AgentError::ExitedWithoutResult {
                exit: describe_exit(status),
                stderr_tail: process.stderr_tail(),
            });
        }
    }
    let _ = process.kill_group().await;
    Err(error)
}

async fn write_json(stdin: Option<&mut ChildStdin>, message: &Value) -> Result<(), AgentError> {
    let Some(stdin) = stdin else {
        return Ok(());
    };
    let mut bytes = serde_json::to_vec(message).expect("control messages serialize");
    bytes.push(b'\n');
    let io = |source| AgentError::Io {
        action: "write to",
        program: "claude".into(),
        source,
    };
    stdin.write_all(&bytes).await.map_err(io)?;
    stdin.flush().await.map_err(io)
}

/// Answers one control request from the CLI.
async fn answer_control(
    config: &ClaudeConfig,
    task: &AgentTask,
    confinement: &Confinement,
    ctx: &AgentContext,
    request: ControlRequest,
) -> Value {
    let repo = task.repo_name();
    let subtype = request
        .request
        .get("subtype")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if subtype != "can_use_tool" {
        return control::error(
            &request.request_id,
            &format!("Relay does not handle `{subtype}` requests"),
        );
    }
    let body = &request.request;
    let input = body.get("input").cloned().unwrap_or(Value::Null);
    let permission = PermissionRequest {
        repo: repo.to_string(),
        tool_name: body
            .get("tool_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        input: input.clone(),
        tool_use_id: body
            .get("tool_use_id")
            .and_then(Value::as_str)
            .map(String::from),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(String::from),
    };
    let timeout = config.permission_timeout;
    // The agent's own asker, else the one of the conversation that started the run.
    let asker = config.asker.as_ref().or(ctx.asker());
    // Without a policy, a tool outside `allowed_tools` is asked about when someone can be
    // asked, and denied when nobody can.
    let policy: Arc<dyn PermissionPolicy> = match (&config.policy, asker) {
        (Some(policy), _) => policy.clone(),
        (None, Some(_)) => Arc::new(AskAll),
        (None, None) => Arc::new(DenyAll::default()),
    };
    let no_answer = || {
        PermissionDecision::deny(format!(
            "no answer to the permission question within {} s; denied",
            timeout.as_secs_f64()
        ))
    };
    // Paths outside the run's repositories and credentials are refused whatever the policy
    // says; the file tools a task allows are allowed by Relay once their path is checked.
    let mut decision = match confinement.check(&permission.tool_name, &permission.input) {
        Err(reason) => PermissionDecision::deny(reason),
        Ok(())
            if CHECKED_TOOLS.contains(&permission.tool_name.as_str())
                && task.allowed_tools.contains(&permission.tool_name) =>
        {
            PermissionDecision::allow()
        }
        Ok(()) => tokio::time::timeout(timeout, policy.decide(&permission))
            .await
            .unwrap_or_else(|_| no_answer()),
    };
    ctx.emit(AgentEvent::PermissionRequested {
        tool_name: permission.tool_name.clone(),
        input: permission.input.clone(),
        question: match &decision {
            PermissionDecision::Ask { question } => Some(question.clone()),
            _ => None,
        },
    });
    if let PermissionDecision::Ask { question } = &decision {
        decision = match asker {
            Some(asker) => {
                match tokio::time::timeout(timeout, asker.ask(&permission, question)).await {
                    Err(_) => no_answer(),
                    Ok(PermissionDecision::Ask { question }) => PermissionDecision::deny(format!(
                        "the person gave no answer to: {question}"
                    )),
                    Ok(answer) => answer,
                }
            }
            None => PermissionDecision::deny(format!(
                "nobody is available to answer \"{question}\"; configure a PermissionAsker"
            )),
        };
    }
    ctx.emit(AgentEvent::PermissionDecided {
        tool_name: permission.tool_name.clone(),
        allowed: matches!(decision, PermissionDecision::Allow { .. }),
        message: match &decision {
            PermissionDecision::Deny { message } => Some(message.clone()),
            _ => None,
        },
    });
    control::permission_response(&request.request_id, &decision, &input)
}
