//! Tools over an [`InfraProvider`]: bring development environments up, look at them, run
//! commands in them, snapshot and roll them back, and tear them down.

mod down;
mod exec;
mod snapshot;
mod status;
mod up;

use std::sync::Arc;

use serde_json::{Value, json};

use relay_core::infra::{Environment, InfraError, InfraProvider};
use relay_core::tools::{Tool, ToolError};

pub use down::EnvDownTool;
pub use exec::{EnvExecTool, STDERR_LIMIT, STDOUT_LIMIT};
pub use snapshot::{EnvRollbackTool, EnvSnapshotTool};
pub use status::EnvStatusTool;
pub use up::EnvUpTool;

/// Every environment tool, bound to `provider`.
pub fn env_tools(provider: Arc<dyn InfraProvider>) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(EnvUpTool::new(provider.clone())),
        Arc::new(EnvStatusTool::new(provider.clone())),
        Arc::new(EnvExecTool::new(provider.clone())),
        Arc::new(EnvSnapshotTool::new(provider.clone())),
        Arc::new(EnvRollbackTool::new(provider.clone())),
        Arc::new(EnvDownTool::new(provider)),
    ]
}

/// The schema of the `name` argument.
fn name_schema() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 63,
           "description": "Environment name: letters, digits and `-`, e.g. `dev` or `feature-login`."})
}

/// The schema of the `snapshot` argument.
fn snapshot_schema(what: &str) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 40,
           "description": format!("Snapshot name {what}: a letter first, then letters, digits, `_` or `-`, e.g. `before-upgrade`.")})
}

/// The `name` argument (validated present by the schema).
fn env_name(args: &Value) -> &str {
    args["name"].as_str().unwrap_or_default()
}

/// One spoken-style line: "dev: running (local, profile developer)".
fn env_line(env: &Environment) -> String {
    let mut detail = vec![env.kind.as_str().to_string()];
    if let Some(profile) = &env.profile {
        detail.push(format!("profile {profile}"));
    }
    if let Some(lock) = &env.lock {
        detail.push(format!("locked for {lock}"));
    }
    format!(
        "{}: {} ({})",
        env.name,
        env.status.as_str(),
        detail.join(", ")
    )
}

/// Turns a provider error into a tool error; an unknown environment lists the existing ones so
/// the model can correct itself.
async fn failed(provider: &dyn InfraProvider, error: InfraError) -> ToolError {
    if let InfraError::LimitReached(why) = error {
        return ToolError::LimitReached(why);
    }
    let InfraError::NotFound { name, provider: p } = &error else {
        return ToolError::Failed(error.to_string());
    };
    let known = match provider.list().await {
        Ok(envs) if envs.is_empty() => {
            "there are no environments yet; create one with env_up".into()
        }
        Ok(envs) => format!(
            "the environments are: {}",
            envs.iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(_) => "call env_status without a name to list them".into(),
    };
    ToolError::Failed(format!("no environment named `{name}` in {p}; {known}"))
}
