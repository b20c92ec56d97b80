//! Finding the `claude` binary and checking its version.

use std::path::{Path, PathBuf};

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

/// Runs `claude -v` and checks the version is at least [`MIN_VERSION`]. Returns the version.
pub async fn check_version(path: &Path) -> Result<String, AgentError> {
    let output = tokio::process::Command::new(path)
        .arg("-v")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|source| AgentError::Io {
            action: "run",
            program: format!("{} -v", path.display()),
            source,
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
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
                format!("of unknown version (`-v` printed {:?})", text.trim())
            } else {
                version
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
