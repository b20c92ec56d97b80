//! What the MCP tests share: the Python with the official MCP SDK.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv's Python with the MCP SDK: `RELAY_PYTHON`, else `<repo>/.venv/bin/python`.
///
/// # Panics
/// When it is missing or lacks the SDK, saying how to install it: the tests never skip.
pub fn python() -> PathBuf {
    let path = match std::env::var_os("RELAY_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let ok = Command::new(&path)
        .args(["-c", "import mcp"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the MCP tests need Python with the MCP SDK at {} (or RELAY_PYTHON): run \
         scripts/setup/mcp.sh",
        path.display()
    );
    path
}

/// A file under tests/mcp.
pub fn mcp_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mcp")
        .join(name)
}
