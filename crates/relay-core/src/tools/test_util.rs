//! Small application tools for tests of the layers above the registry (the voice transport,
//! the gateway): a lookup that answers at once and a long sync that waits to be released.
//! Enabled by the `test-util` feature; never part of a release build.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::{Permission, Tool, ToolContext, ToolError, ToolSpec};
use crate::Progress;

/// `lookup {repo}`: answers `{repo, state: "<repo>-is-green"}` at once (a read).
#[derive(Debug, Default, Clone, Copy)]
pub struct Lookup;

#[async_trait]
impl Tool for Lookup {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "lookup",
            "Looks up the state of a repository.",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"repo": {"type": "string", "minLength": 1}}, "required": ["repo"]}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let repo = args["repo"].as_str().unwrap_or_default();
        Ok(json!({"repo": repo, "state": format!("{repo}-is-green")}))
    }
}

/// `slow_sync`: a long-running write that reports "synced 1 of 3 repositories (auth-service)"
/// and finishes (`{synced: 3}`) when `release` is notified.
#[derive(Debug, Clone)]
pub struct SlowSync {
    /// Notify once to let the call finish.
    pub release: Arc<Notify>,
}

#[async_trait]
impl Tool for SlowSync {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "slow_sync",
            "Syncs every repository (slow).",
            json!({"type": "object"}),
            Permission::WriteRepos,
        )
        .long_running()
    }

    async fn call(&self, _args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        ctx.progress.report(
            Progress::message("synced 1 of 3 repositories (auth-service)")
                .done(1)
                .total(3)
                .repo("auth-service"),
        );
        self.release.notified().await;
        Ok(json!({"synced": 3}))
    }
}
