//! Running the git CLI for the few operations gix cannot do (see the crate docs).
//!
//! Never through a shell: arguments are passed as they are, so no user text is ever interpreted.

use std::path::Path;
use std::process::{Command, Stdio};

use relay_core::{RepoError, config::RepoSpec, redact::redact_url_credentials};

/// The output of a successful git command.
pub(crate) struct GitOutput {
    pub stdout: String,
}

/// Runs `git <args>` in `spec`'s working tree; a non-zero exit becomes [`RepoError::Git`] carrying the
/// tail of stderr (credentials redacted).
pub(crate) fn git(spec: &RepoSpec, operation: &str, args: &[&str]) -> Result<GitOutput, RepoError> {
    run(&spec.path, args).map_err(|message| RepoError::Git {
        repo: spec.name.clone(),
        operation: operation.to_owned(),
        message,
    })
}

fn run(dir: &Path, args: &[&str]) -> Result<GitOutput, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // Never wait for a password prompt; never let a pager or editor start.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .env("GIT_PAGER", "cat")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "the `git` command was not found on PATH; install git (e.g. `apt-get install git`)"
                    .to_owned()
            } else {
                format!("could not run git: {e}")
            }
        })?;
    if output.status.success() {
        return Ok(GitOutput {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        });
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let text = if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    };
    Err(format!(
        "`git {}` exited with {}: {}",
        args.first().copied().unwrap_or(""),
        output
            .status
            .code()
            .map_or("a signal".to_owned(), |c| c.to_string()),
        redact_url_credentials(&tail(&text, 12))
    ))
}

/// The last `lines` non-empty lines of `text`, joined with "; ".
fn tail(text: &str, lines: usize) -> String {
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    kept[kept.len().saturating_sub(lines)..].join("; ")
}
