//! The shell agent: the offline default [`CodingAgent`]. It runs one command in the repository
//! (directly, never through a shell) and reports it with the same events and outcomes as the
//! Claude Code adapter: `session_started`, `tool_started` (`shell`), `output` lines,
//! `tool_finished`, `result`.
//!
//! The command is the task's [`command`](AgentTask::command), or else its prompt split into
//! words (single and double quotes group words; nothing else is interpreted: no globs, pipes or
//! variables).
//!
//! ```no_run
//! # async fn demo() -> Result<(), relay_core::agent::AgentError> {
//! use relay_core::agent::{AgentContext, AgentTask, CodingAgent};
//! use relay_agent::shell::ShellAgent;
//! let task = AgentTask::builder("cargo test --quiet", "/work/backend").build();
//! let outcome = ShellAgent::new().run(task, AgentContext::discard()).await?;
//! assert!(outcome.is_success());
//! # Ok(()) }
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;

use crate::lines::{DEFAULT_MAX_LINE_BYTES, LineError, LineReader};
use crate::process::{AgentProcess, describe_exit};
use relay_core::agent::{
    AgentContext, AgentError, AgentEvent, AgentOutcome, AgentStatus, AgentTask, CodingAgent,
    TokenUsage, split_command_line,
};

/// Far-future stand-in for "no deadline".
const NO_DEADLINE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Runs a command per repository. Needs no network and no API key.
#[derive(Debug, Clone, Default)]
pub struct ShellAgent {
    _private: (),
}

impl ShellAgent {
    /// A shell agent.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl CodingAgent for ShellAgent {
    fn name(&self) -> &str {
        "shell"
    }

    async fn run(&self, task: AgentTask, ctx: AgentContext) -> Result<AgentOutcome, AgentError> {
        let argv = match &task.command {
            Some(argv) => argv.clone(),
            None => split_command_line(&task.prompt)?,
        };
        let Some((program, args)) = argv.split_first() else {
            return Err(AgentError::InvalidTask(
                "the shell agent needs a command to run; give one as the task".into(),
            ));
        };
        if !task.cwd.is_dir() {
            return Err(AgentError::MissingCwd(task.cwd.clone()));
        }
        let started = Instant::now();
        let stderr_ctx = ctx.clone();
        let mut process = AgentProcess::spawn(
            Path::new(program),
            args,
            &task.cwd,
            &task.env.0,
            Some(Box::new(move |line| {
                stderr_ctx.emit(AgentEvent::Output {
                    stream: "stderr".into(),
                    line,
                });
            })),
        )?;
        let session_id = format!("shell-{}", process.pid());
        drop(process.take_stdin());
        ctx.emit(AgentEvent::SessionStarted {
            session_id: session_id.clone(),
            model: None,
            cwd: Some(task.cwd.display().to_string()),
            tools: vec!["shell".into()],
            permission_mode: None,
            agent_version: None,
        });
        let tool_use_id = format!("{session_id}-0");
        ctx.emit(AgentEvent::ToolStarted {
            tool_use_id: tool_use_id.clone(),
            name: "shell".into(),
            input: json!({ "command": argv }),
        });

        let idle = task.idle_timeout.unwrap_or(NO_DEADLINE);
        let overall = task.overall_timeout.unwrap_or(NO_DEADLINE);
        let deadline = tokio::time::Instant::now() + overall;
        let mut reader = LineReader::new(
            process.take_stdout().expect("stdout is piped"),
            DEFAULT_MAX_LINE_BYTES,
        );
        let mut line = Vec::new();
        let mut last_stdout = String::new();
        loop {
            let read = tokio::select! {
                biased;
                _ = ctx.cancel_token().cancelled() => {
                    process.kill_group().await?;
                    return Err(AgentError::Cancelled);
                }
                _ = tokio::time::sleep_until(deadline) => {
                    process.kill_group().await?;
                    return Err(AgentError::OverallTimeout { timeout: overall, stderr_tail: process.stderr_tail() });
                }
                read = tokio::time::timeout(idle, reader.next_line(&mut line)) => read,
            };
            match read {
                Err(_) => {
                    process.kill_group().await?;
                    return Err(AgentError::IdleTimeout {
                        timeout: idle,
                        stderr_tail: process.stderr_tail(),
                    });
                }
                Ok(Ok(true)) => {
                    let text = String::from_utf8_lossy(&line).into_owned();
                    line.clear();
                    last_stdout.clone_from(&text);
                    ctx.emit(AgentEvent::Output {
                        stream: "stdout".into(),
                        line: text,
                    });
                }
                Ok(Ok(false)) => break,
                Ok(Err(LineError::TooLong { size })) => {
                    let _ = process.kill_group().await;
                    return Err(AgentError::LineTooLong {
                        size,
                        limit: DEFAULT_MAX_LINE_BYTES,
                    });
                }
                Ok(Err(LineError::Io(source))) => {
                    let _ = process.kill_group().await;
                    return Err(AgentError::Io {
                        action: "read from",
                        program: program.clone(),
                        source,
                    });
                }
            }
        }
        // stdout closed; the command may still run (it closed stdout early): keep honouring cancel.
        let status = tokio::select! {
            biased;
            _ = ctx.cancel_token().cancelled() => {
                process.kill_group().await?;
                return Err(AgentError::Cancelled);
            }
            _ = tokio::time::sleep_until(deadline) => {
                process.kill_group().await?;
                return Err(AgentError::OverallTimeout { timeout: overall, stderr_tail: process.stderr_tail() });
            }
            status = process.finish(NO_DEADLINE) => status?,
        };
        let success = status.success();
        let stderr_tail = process.stderr_tail();
        ctx.emit(AgentEvent::ToolFinished {
            tool_use_id,
            is_error: !success,
            output: last_stdout.clone(),
        });
        let error = (!success).then(|| {
            let mut message = format!("`{}` exited with {}", argv.join(" "), describe_exit(status));
            if !stderr_tail.trim().is_empty() {
                message.push_str("; stderr ends with:\n");
                message.push_str(stderr_tail.trim_end());
            }
            message
        });
        let outcome = AgentOutcome {
            status: if success {
                AgentStatus::Success
            } else {
                AgentStatus::Failed
            },
            subtype: if success { "success" } else { "error_exit" }.into(),
            session_id: Some(session_id),
            num_turns: 1,
            cost_usd: 0.0,
            duration_ms: started.elapsed().as_millis() as u64,
            result_text: Some(last_stdout),
            permission_denials: Vec::new(),
            usage: TokenUsage::default(),
            error,
        };
        ctx.emit(AgentEvent::Result {
            subtype: outcome.subtype.clone(),
            is_error: !success,
            num_turns: 1,
            cost_usd: 0.0,
            text: outcome.result_text.clone(),
        });
        Ok(outcome)
    }
}
