use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{env_name, failed, name_schema};
use relay_core::event::Progress;
use relay_core::infra::{ExecOutput, ExecRequest, InfraProvider};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// Most characters of standard output a reply keeps (the end, where results and errors are).
pub const STDOUT_LIMIT: usize = 4000;
/// Most characters of standard error a reply keeps.
pub const STDERR_LIMIT: usize = 2000;
/// Default seconds a command may run.
const DEFAULT_TIMEOUT_SECS: u64 = 600;

/// `env_exec`: runs one command inside an environment.
pub struct EnvExecTool {
    provider: Arc<dyn InfraProvider>,
}

impl EnvExecTool {
    /// Binds the tool to `provider`.
    pub fn new(provider: Arc<dyn InfraProvider>) -> Self {
        EnvExecTool { provider }
    }
}

/// The last `limit` characters of `text`, and how many characters were cut.
fn tail(text: &str, limit: usize) -> (String, usize) {
    let total = text.chars().count();
    if total <= limit {
        return (text.to_string(), 0);
    }
    let cut = total - limit;
    (text.chars().skip(cut).collect(), cut)
}

/// The command's result as the model reads it.
fn exec_json(command: &[String], name: &str, out: &ExecOutput) -> Value {
    let (stdout, stdout_cut) = tail(&out.stdout, STDOUT_LIMIT);
    let (stderr, stderr_cut) = tail(&out.stderr, STDERR_LIMIT);
    let how = match (out.exit_code, out.signal) {
        (Some(0), _) => "succeeded (exit code 0)".to_string(),
        (Some(code), _) => format!("failed with exit code {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended without an exit code".to_string(),
    };
    let mut summary = format!("`{}` in {name} {how}.", command.join(" "));
    for (stream, cut, kept) in [
        ("stdout", stdout_cut, STDOUT_LIMIT),
        ("stderr", stderr_cut, STDERR_LIMIT),
    ] {
        if cut > 0 {
            summary.push_str(&format!(
                " Its {stream} was truncated to the last {kept} characters ({cut} earlier characters left out)."
            ));
        }
    }
    json!({
        "summary": summary,
        "success": out.success(),
        "exit_code": out.exit_code,
        "signal": out.signal,
        "stdout": stdout,
        "stderr": stderr,
        "stdout_truncated": stdout_cut > 0,
        "stderr_truncated": stderr_cut > 0,
    })
}

#[async_trait]
impl Tool for EnvExecTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "env_exec",
            format!(
                "Runs one command inside a running development environment and returns its exit \
                 code with the end of its output (stdout up to {STDOUT_LIMIT} characters, \
                 stderr up to {STDERR_LIMIT}; the reply says when it was truncated). The \
                 command is a program and its arguments, not a shell line: use [\"sh\", \"-c\", \
                 \"...\"] for pipes or redirection. Use to run tests, builds or checks in an \
                 environment."
            ),
            json!({"type": "object", "additionalProperties": false, "required": ["name", "command"],
                   "properties": {
                       "name": name_schema(),
                       "command": {"type": "array", "minItems": 1,
                                   "items": {"type": "string", "minLength": 1},
                                   "description": "Program and arguments, e.g. [\"cargo\", \"test\", \"--quiet\"]."},
                       "cwd": {"type": "string", "minLength": 1,
                               "description": "Working directory inside the environment (for local environments relative to it, e.g. a repository name). Omit for the default."},
                       "stdin": {"type": "string", "description": "Text for the command's standard input."},
                       "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 3600,
                                        "description": format!("Seconds the command may run before it is stopped. Default {DEFAULT_TIMEOUT_SECS}.")}
                   }}),
            Permission::ManageInfra,
        )
        .long_running()
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let name = env_name(&args);
        let command: Vec<String> = args["command"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let secs = args["timeout_secs"]
            .as_u64()
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        let mut request = ExecRequest::new(command.clone()).timeout(Duration::from_secs(secs));
        if let Some(cwd) = args["cwd"].as_str() {
            request = request.cwd(cwd);
        }
        if let Some(stdin) = args["stdin"].as_str() {
            request = request.stdin(stdin);
        }
        ctx.progress.report(Progress::message(format!(
            "running `{}` in {name}",
            command.join(" ")
        )));
        match self.provider.exec(name, request).await {
            Ok(out) => Ok(exec_json(&command, name, &out)),
            Err(e) => Err(failed(&*self.provider, e).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_keeps_its_end_and_says_so() {
        let out = ExecOutput {
            exit_code: Some(1),
            signal: None,
            stdout: format!("{}END", "x".repeat(STDOUT_LIMIT + 7)),
            stderr: "é".repeat(10),
        };
        let v = exec_json(&["make".into(), "test".into()], "dev", &out);
        let stdout = v["stdout"].as_str().unwrap();
        assert_eq!(stdout.chars().count(), STDOUT_LIMIT);
        assert!(stdout.ends_with("END"));
        assert_eq!(v["stdout_truncated"], true);
        assert_eq!(v["stderr_truncated"], false);
        assert_eq!(v["stderr"], "é".repeat(10));
        assert_eq!(
            v["summary"],
            format!(
                "`make test` in dev failed with exit code 1. Its stdout was truncated to the last {STDOUT_LIMIT} characters (10 earlier characters left out)."
            )
        );
    }
}
