use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{env_line, env_name, failed, name_schema};
use relay_core::infra::{
    EnvKind, EnvSpec, EnvStatus, InfraError, InfraProvider, validate_env_name,
};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec, follow_job};

/// `env_up`: creates an environment, starts a stopped one, or leaves a running one as it is.
pub struct EnvUpTool {
    provider: Arc<dyn InfraProvider>,
}

impl EnvUpTool {
    /// Binds the tool to `provider`.
    pub fn new(provider: Arc<dyn InfraProvider>) -> Self {
        EnvUpTool { provider }
    }
}

#[async_trait]
impl Tool for EnvUpTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "env_up",
            format!(
                "Brings a development environment up ({} provider): creates it when it does not \
                 exist (a local environment gets the workspace's repositories cloned into it), starts it when it is stopped, \
                 and leaves it alone when it already runs. Profile, kind and template apply only \
                 when it is created. Use when the user wants a dev, test or feature environment. \
                 Creating one takes a while.",
                self.provider.provider_name()
            ),
            json!({"type": "object", "additionalProperties": false, "required": ["name"],
                   "properties": {
                       "name": name_schema(),
                       "profile": {"type": "string", "minLength": 1,
                           "description": "Resource profile: `developer` (default, 2-4 cores, 2-6 GB) or `team_lead` (4-8 cores, 8-16 GB), or one defined in relay.yaml."},
                       "kind": {"type": "string", "enum": ["lxc", "qemu", "local"],
                           "description": "Container (lxc) or virtual machine (qemu) on Proxmox; omit for the configured default."},
                       "template": {"type": "string", "minLength": 1,
                           "description": "Proxmox only: an LXC OS template volume or the id of a template guest to clone. Omit for the configured default."}
                   }}),
            Permission::ManageInfra,
        )
        .long_running()
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let name = env_name(&args);
        validate_env_name(name).map_err(|e| ToolError::Failed(e.to_string()))?;
        let mut spec = EnvSpec::new(name);
        if let Some(profile) = args["profile"].as_str() {
            spec = spec.profile(profile);
        }
        if let Some(kind) = args["kind"].as_str() {
            spec = spec.kind(kind.parse::<EnvKind>().map_err(ToolError::Failed)?);
        }
        if let Some(template) = args["template"].as_str() {
            spec = spec.template(template);
        }
        // What `up` is about to do, so the reply can say it.
        let action = match self.provider.status(name).await {
            Ok(env) if env.status == EnvStatus::Running => "already_running",
            Ok(_) => "started",
            Err(InfraError::NotFound { .. }) => "created",
            Err(e) => return Err(failed(&*self.provider, e).await),
        };
        let job = relay_core::infra::up(self.provider.clone(), spec);
        let env = match follow_job(job, &ctx).await {
            Ok(env) => env,
            Err(e) => return Err(failed(&*self.provider, e).await),
        };
        let summary = match action {
            "already_running" => format!("{name} was already running."),
            "started" => format!("{name} was stopped and is running again."),
            _ => format!("{name} was created and is running."),
        };
        Ok(json!({
            "summary": summary,
            "action": action,
            "line": env_line(&env),
            "environment": env,
        }))
    }
}
