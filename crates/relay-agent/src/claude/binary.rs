//! Finding the `claude` binary and checking its version.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncReadExt;

use relay_core::agent::AgentError;

/// Oldest CLI version with the stream-json control protocol Relay speaks.
pub const MIN_VERSION: (u32, u32, u32) = (2, 0, 0);

/// Finds the binary: `explicit`, else `RELAY_CLAUDE_BIN`, else `claude` on PATH.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, AgentError> {
    if let Some(path) = explicit {
        return existing(path, "the configured binary path");
    }
    if let Some(path) = std::env::var_os("RELAY_CLAUDE_BIN") {
        return existing(Path::new(&path), "RELAY_CLAUDE_BIN");
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("claude"))
                .find(|candidate| candidate.is_file())
        })
        .ok_or_else(|| AgentError::BinaryNotFound {
            searched: "RELAY_CLAUDE_BIN is unset and no `claude` is on PATH".into(),
        })
}

fn existing(path: &Path, source: &str) -> Result<PathBuf, AgentError> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(AgentError::BinaryNotFound {
            searched: format!(
                "{source} points at {}, which does not exist",
                path.display()
            ),
        })
    }
}

/// How long `claude -v` may take.
pub const VERSION_TIMEOUT: Duration = Duration::from_secs(20);

/// The most of `claude -v`'s output that is read (a version line is a few bytes).
const VERSION_OUTPUT_MAX: u64 = 4096;

/// Runs `claude -v` and checks the version is at least [`MIN_VERSION`]. Returns the version.
/// A binary that does not answer within [`VERSION_TIMEOUT`] is killed and reported; only the
/// first 4 KiB of its output are read.
pub async fn check_version(path: &Path) -> Result<String, AgentError> {
    check_version_within(path, VERSION_TIMEOUT).await
}

/// [`check_version`] with a timeout of `timeout`.
pub async fn check_version_within(path: &Path, timeout: Duration) -> Result<String, AgentError> {
    let program = format!("{} -v", path.display());
    let io = |source| AgentError::Io {
        action: "run",
        program: program.clone(),
        source,
    };
    let mut command = tokio::process::Command::new(path);
    command
        .arg("-v")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let (mut child, group) = relay_process::spawn(command).map_err(io)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut bytes = Vec::new();
    // Up to the limit or the end of output; a binary that keeps writing is not waited for.
    let mut limited = stdout.take(VERSION_OUTPUT_MAX);
    let read = limited.read_to_end(&mut bytes);
    let finished = tokio::time::timeout(timeout, read).await;
    // Whatever it still does, it is done: kill its group and reap it.
    // SAFETY: kill(2) on the process group we created for it.
    unsafe {
        libc::kill(-group.pgid(), libc::SIGKILL);
    }
    let _ = child.wait().await;
    match finished {
        Err(_) => {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "no answer within {} s (is it a working Claude Code CLI?)",
                    timeout.as_secs_f64()
                ),
            )));
        }
        Ok(Err(e)) => return Err(io(e)),
        Ok(Ok(_)) => {}
    }
    let text = String::from_utf8_lossy(&bytes);
    let version = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    match parse_version(&version) {
        Some(v) if v >= MIN_VERSION => Ok(version),
        _ => Err(AgentError::VersionTooOld {
            path: path.to_path_buf(),
            found: if version.is_empty() {
                format!(
                    "of unknown version (`-v` printed {:?})",
                    text.trim().chars().take(200).collect::<String>()
                )
            } else {
                version.chars().take(200).collect()
            },
            required: format!("{}.{}.{}", MIN_VERSION.0, MIN_VERSION.1, MIN_VERSION.2),
        }),
    }
}

/// Parses `MAJOR.MINOR.PATCH` (a suffix such as `-beta` is ignored).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next()?.parse().ok()?;
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("2.1.330"), Some((2, 1, 330)));
        assert_eq!(parse_version("1.0.0-beta"), Some((1, 0, 0)));
        assert_eq!(parse_version("x"), None);
        assert!(parse_version("1.0.128").unwrap() < MIN_VERSION);
    }

    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("claude");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[tokio::test]
    async fn a_binary_that_never_answers_is_killed_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = script(dir.path(), "exec sleep 600");
        let err = check_version_within(&path, Duration::from_millis(500))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no answer within 0.5 s"), "{text}");
        assert!(text.contains("claude -v"), "{text}");
    }

    #[tokio::test]
    async fn a_binary_that_floods_is_read_only_up_to_a_bound() {
        let dir = tempfile::tempdir().unwrap();
        // Writes forever, and no version.
        let path = script(dir.path(), "exec yes garbage");
        let err = check_version_within(&path, Duration::from_secs(30))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("is Claude Code garbage, but Relay needs"),
            "{text}"
        );
        assert!(
            text.len() < 1000,
            "the message is bounded: {} bytes",
            text.len()
        );
    }

    #[tokio::test]
    async fn a_working_binary_reports_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = script(dir.path(), "echo '2.1.330 (Claude Code)'");
        assert_eq!(check_version(&path).await.unwrap(), "2.1.330");
    }

    #[test]
    fn missing_explicit_binary_says_how_to_install() {
        let err = locate(Some(Path::new("/nonexistent/claude"))).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/nonexistent/claude"), "{text}");
        assert!(
            text.contains("npm install -g @anthropic-ai/claude-code"),
            "{text}"
        );
    }
}
