//! Workspace configuration: `relay.yaml`.
//!
//! ```yaml
//! repositories:
//!   - name: backend
//!     url: git@github.com:acme/backend.git   # optional for a local-only repo
//!     path: repos/backend                    # optional; defaults to <workspace>/<name>
//!     dependencies: [shared-api]
//!     sync_strategy: main_branch             # or feature_branch
//!     auto_sync: true
//!   - name: shared-api
//! dependency_graph:                          # optional, merged with per-repo dependencies
//!   shared-api: []
//! sync_rules:
//!   - trigger: "shared-api:main"
//!     action: update_dependents
//!     notify: [backend]
//! mcp_servers:                               # optional: other MCP servers' tools, as <name>__<tool>
//!   - name: tickets
//!     command: [python3, tickets.py]         # stdio; or url: + headers_from_env: for HTTP
//! ```
//!
//! Loading validates everything at once and reports every problem with the file, line, column
//! and what to do: unknown keys, unknown dependencies, duplicate names or paths, dependency cycles
//! (naming every repository in the cycle), names or paths that escape the workspace.
//!
//! One concern per file: `types.rs` holds the validated types ([`Workspace`], [`RepoSpec`],
//! [`SyncRule`]...), `load.rs` finds and loads the file, `raw.rs` is the file as written (every
//! value with its position), `validate.rs` checks it one rule per function, and
//! `diagnostics.rs` holds [`ConfigError`] and [`Diagnostic`], printed as `file:line:column`;
//! `memory.rs` checks the `store:` and `team:` sections.

mod diagnostics;
mod load;
mod mcp;
mod memory;
mod raw;
mod types;
mod validate;

pub use diagnostics::{ConfigError, Diagnostic};
pub use mcp::{McpServerSpec, McpTransportSpec};
pub use types::{RepoSpec, RuleAction, StoreConfig, SyncRule, SyncStrategy, Workspace};

/// The file name Relay looks for.
pub const CONFIG_FILE_NAME: &str = "relay.yaml";
