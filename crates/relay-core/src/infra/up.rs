//! [`up`]: bring an environment to running, whatever state it is in.

use std::sync::Arc;

use super::{EnvSpec, EnvStatus, Environment, InfraError, InfraProvider};
use crate::job::Job;

/// Brings environment `spec.name` up: provisions it when it does not exist, starts it when it
/// exists but is not running, and returns it unchanged when it already runs (so `up` can be
/// repeated safely). For an existing environment, `spec`'s profile, kind and template are not
/// applied: an environment is never silently rebuilt.
///
/// `relay env up`, the `env_up` voice tool and the bindings' `up()` all use this.
pub fn up(provider: Arc<dyn InfraProvider>, spec: EnvSpec) -> Job<Environment, InfraError> {
    let operation = format!("env up {}", spec.name);
    Job::spawn(operation, move |ctx| async move {
        let inner = match provider.status(&spec.name).await {
            Ok(env) if env.status == EnvStatus::Running => return Ok(env),
            Ok(_) => provider.start(&spec.name),
            Err(InfraError::NotFound { .. }) => provider.provision(spec),
            Err(e) => return Err(e),
        };
        ctx.forward(inner).await
    })
}
