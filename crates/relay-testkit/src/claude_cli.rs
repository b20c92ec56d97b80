//! Finding the real `claude` CLI for tests and giving it a hermetic environment.
//!
//! Tests never skip when the CLI is missing: they fail with the install instruction.

use std::path::{Path, PathBuf};

/// Where `scripts/setup/claude.sh` installs the CLI, relative to the workspace root.
pub const PROJECT_LOCAL_BIN: &str = ".tools/npm/bin/claude";

/// The `claude` binary for tests: `RELAY_CLAUDE_BIN`, else the project-local install, else PATH.
///
/// # Panics
/// When none exists, with a message saying how to install it.
pub fn claude_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("RELAY_CLAUDE_BIN") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "RELAY_CLAUDE_BIN={} does not exist; run scripts/setup/claude.sh or fix the variable",
            path.display()
        );
        return path;
    }
    let local = workspace_root().join(PROJECT_LOCAL_BIN);
    if local.is_file() {
        return local;
    }
    if let Some(found) = find_on_path("claude") {
        return found;
    }
    panic!(
        "the real `claude` CLI is required for this test but was not found \
         (checked RELAY_CLAUDE_BIN, {}, PATH); install it with scripts/setup/claude.sh",
        local.display()
    );
}

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives in <root>/crates/<name>")
        .to_path_buf()
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Environment for running the CLI against a fake API at `base_url` with its state under
/// `home` (so tests never read or write the developer's `~/.claude`).
///
/// Retries are off so scripted API errors surface at once; telemetry and other network traffic
/// that has no peer here is disabled.
pub fn claude_env(base_url: &str, home: &Path) -> Vec<(String, String)> {
    let home = home.display().to_string();
    [
        ("ANTHROPIC_BASE_URL", base_url.to_string()),
        ("ANTHROPIC_API_KEY", "test".to_string()),
        ("HOME", home.clone()),
        ("CLAUDE_CONFIG_DIR", format!("{home}/.claude")),
        ("CLAUDE_CODE_MAX_RETRIES", "0".to_string()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_string()),
        ("DISABLE_TELEMETRY", "1".to_string()),
        ("DISABLE_AUTOUPDATER", "1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
