use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{env_line, failed, name_schema};
use relay_core::infra::{EnvStatus, InfraProvider};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `env_status`: one environment with its snapshots, or every environment.
pub struct EnvStatusTool {
    provider: Arc<dyn InfraProvider>,
}

impl EnvStatusTool {
    /// Binds the tool to `provider`.
    pub fn new(provider: Arc<dyn InfraProvider>) -> Self {
        EnvStatusTool { provider }
    }
}

#[async_trait]
impl Tool for EnvStatusTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "env_status",
            "Shows development environments: with a name, that environment (running or \
             stopped, kind, resources) and its snapshots; without one, every environment. Use \
             when the user asks which environments exist or how one is doing, or before \
             rolling back (to see the snapshot names).",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"name": name_schema()}}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let provider = &*self.provider;
        let Some(name) = args["name"].as_str() else {
            let envs = match provider.list().await {
                Ok(envs) => envs,
                Err(e) => return Err(failed(provider, e).await),
            };
            let running = envs
                .iter()
                .filter(|e| e.status == EnvStatus::Running)
                .count();
            let summary = match envs.len() {
                0 => "There are no environments; env_up creates one.".to_string(),
                1 => format!("1 environment, {running} running."),
                n => format!("{n} environments, {running} running."),
            };
            return Ok(json!({
                "summary": summary,
                "environments": envs.iter().map(|e| json!({"line": env_line(e), "environment": e})).collect::<Vec<_>>(),
            }));
        };
        let env = match provider.status(name).await {
            Ok(env) => env,
            Err(e) => return Err(failed(provider, e).await),
        };
        let snapshots = provider
            .snapshots(name)
            .await
            .map_err(|e| ToolError::Failed(e.to_string()))?;
        let names: Vec<&str> = snapshots.iter().map(|s| s.name.as_str()).collect();
        let summary = format!(
            "{}; snapshots: {}.",
            env_line(&env),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
        Ok(json!({"summary": summary, "environment": env, "snapshots": snapshots}))
    }
}
