use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{env_line, env_name, failed, name_schema, snapshot_schema};
use relay_core::infra::{InfraProvider, validate_snapshot_name};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec, follow_job};

/// `env_snapshot`: saves an environment's state under a name.
pub struct EnvSnapshotTool {
    provider: Arc<dyn InfraProvider>,
}

impl EnvSnapshotTool {
    /// Binds the tool to `provider`.
    pub fn new(provider: Arc<dyn InfraProvider>) -> Self {
        EnvSnapshotTool { provider }
    }
}

/// `env_rollback`: returns an environment to a snapshot.
pub struct EnvRollbackTool {
    provider: Arc<dyn InfraProvider>,
}

impl EnvRollbackTool {
    /// Binds the tool to `provider`.
    pub fn new(provider: Arc<dyn InfraProvider>) -> Self {
        EnvRollbackTool { provider }
    }
}

fn schema(what: &str) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["name", "snapshot"],
           "properties": {"name": name_schema(), "snapshot": snapshot_schema(what)}})
}

fn snapshot_arg(args: &Value) -> Result<&str, ToolError> {
    let snapshot = args["snapshot"].as_str().unwrap_or_default();
    validate_snapshot_name(snapshot).map_err(|e| ToolError::Failed(e.to_string()))?;
    Ok(snapshot)
}

#[async_trait]
impl Tool for EnvSnapshotTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "env_snapshot",
            "Takes a snapshot of a development environment, so it can be rolled back to this \
             state later (e.g. before an upgrade or a risky change).",
            schema("to take"),
            Permission::ManageInfra,
        )
        .long_running()
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let name = env_name(&args);
        let snapshot = snapshot_arg(&args)?;
        match follow_job(self.provider.snapshot(name, snapshot), &ctx).await {
            Ok(info) => Ok(json!({
                "summary": format!("Snapshot {} of {name} taken.", info.name),
                "snapshot": info,
            })),
            Err(e) => Err(failed(&*self.provider, e).await),
        }
    }
}

#[async_trait]
impl Tool for EnvRollbackTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "env_rollback",
            "Returns a development environment to one of its snapshots; everything changed \
             since the snapshot is lost. env_status lists an environment's snapshots.",
            schema("to return to"),
            Permission::ManageInfra,
        )
        .long_running()
        .needs_approval()
    }

    fn approval_question(&self, args: &Value) -> String {
        format!(
            "Roll the environment {} back to snapshot {}? Everything changed since is lost. Allow it?",
            env_name(args),
            args["snapshot"].as_str().unwrap_or_default()
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let provider = &*self.provider;
        let name = env_name(&args);
        let snapshot = snapshot_arg(&args)?;
        // Checked first so the answer can list the snapshots that do exist.
        let existing = match provider.snapshots(name).await {
            Ok(list) => list,
            Err(e) => return Err(failed(provider, e).await),
        };
        if !existing.iter().any(|s| s.name == snapshot) {
            let names: Vec<&str> = existing.iter().map(|s| s.name.as_str()).collect();
            return Err(ToolError::Failed(if names.is_empty() {
                format!(
                    "{name} has no snapshot `{snapshot}`; it has no snapshots at all (env_snapshot takes one)"
                )
            } else {
                format!(
                    "{name} has no snapshot `{snapshot}`; its snapshots are: {}",
                    names.join(", ")
                )
            }));
        }
        match follow_job(provider.rollback(name, snapshot), &ctx).await {
            Ok(env) => Ok(json!({
                "summary": format!("{name} is back at snapshot {snapshot}."),
                "line": env_line(&env),
                "environment": env,
            })),
            Err(e) => Err(failed(provider, e).await),
        }
    }
}
