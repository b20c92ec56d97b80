use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{env_line, env_name, failed, name_schema};
use relay_core::infra::{InfraProvider, StopOptions};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec, follow_job};

/// `env_down`: destroys an environment (or only stops it with `stop_only`).
pub struct EnvDownTool {
    provider: Arc<dyn InfraProvider>,
}

impl EnvDownTool {
    /// Binds the tool to `provider`.
    pub fn new(provider: Arc<dyn InfraProvider>) -> Self {
        EnvDownTool { provider }
    }
}

#[async_trait]
impl Tool for EnvDownTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "env_down",
            "Tears a development environment down: stops it and deletes it with its disks and \
             snapshots. This cannot be undone; confirm with the user unless they clearly asked \
             to tear down, destroy or delete it. With stop_only it is only stopped and can be \
             brought up again with env_up.",
            json!({"type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {
                "name": name_schema(),
                "stop_only": {"type": "boolean",
                    "description": "Only stop it (keep it and its snapshots). Default false."}
            }}),
            Permission::ManageInfra,
        )
        .long_running()
        .needs_approval()
    }

    fn approval_question(&self, args: &Value) -> String {
        let name = env_name(args);
        if args["stop_only"].as_bool() == Some(true) {
            format!("Stop the environment {name}? Allow it?")
        } else {
            format!("Destroy the environment {name}, with its disks and snapshots? Allow it?")
        }
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let provider = &*self.provider;
        let name = env_name(&args);
        if args["stop_only"].as_bool() == Some(true) {
            return match follow_job(provider.stop(name, StopOptions::default()), &ctx).await {
                Ok(env) => Ok(json!({
                    "summary": format!("{name} is stopped; env_up starts it again."),
                    "line": env_line(&env),
                    "environment": env,
                })),
                Err(e) => Err(failed(provider, e).await),
            };
        }
        match follow_job(provider.destroy(name), &ctx).await {
            Ok(()) => Ok(json!({
                "summary": format!("{name} was torn down and deleted."),
                "name": name,
                "destroyed": true,
            })),
            Err(e) => Err(failed(provider, e).await),
        }
    }
}
