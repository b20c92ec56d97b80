//! [`LimitedProvider`]: an [`InfraProvider`] that applies a caller's resource limits (issue 12):
//! which profiles they may create, how many environments they may own, and that only the owner
//! or a team lead destroys an environment. Owners are kept in the store, so the quota holds
//! across processes and hosts; without a store only the profile is checked.

use std::sync::Arc;

use async_trait::async_trait;
use relay_core::Job;
use relay_core::infra::{
    EnvSpec, Environment, ExecOutput, ExecRequest, InfraError, InfraProvider, SnapshotInfo,
    StopOptions,
};
use relay_core::store::Store;
use relay_core::team::{Caller, Role};
use relay_core::tools::Permission;

/// `inner`, limited to what `caller` may do. See the [module docs](self).
#[derive(Clone)]
pub struct LimitedProvider {
    inner: Arc<dyn InfraProvider>,
    caller: Caller,
    store: Option<Arc<dyn Store>>,
}

impl LimitedProvider {
    /// Wraps `inner` for `caller`, recording owners in `store` (quotas need one).
    pub fn new(
        inner: Arc<dyn InfraProvider>,
        caller: Caller,
        store: Option<Arc<dyn Store>>,
    ) -> Self {
        LimitedProvider {
            inner,
            caller,
            store,
        }
    }

    /// Whether `caller` may create an environment from `spec` now.
    async fn check_provision(&self, spec: &EnvSpec) -> Result<(), InfraError> {
        let c = &self.caller;
        if !c.limits.allows_profile(&spec.profile) {
            let who_may = Role::ALL
                .into_iter()
                .find(|r| r.limits().allows_profile(&spec.profile))
                .unwrap_or(Role::Admin);
            return Err(InfraError::LimitReached(format!(
                "{} ({}) may not create a `{}`-profile environment: the {} role may use {}; the {who_may} role may use it",
                c.user,
                c.role,
                spec.profile,
                c.role,
                c.limits.profiles.join(", ")
            )));
        }
        let (Some(max), Some(store)) = (c.limits.max_environments, &self.store) else {
            return Ok(());
        };
        let existing: Vec<String> = self
            .inner
            .list()
            .await?
            .into_iter()
            .map(|e| e.name)
            .collect();
        let owned: Vec<String> = store
            .env_owners()
            .await
            .map_err(|e| InfraError::Config(e.to_string()))?
            .into_iter()
            .filter(|(name, user)| user == &c.user && existing.contains(name))
            .map(|(name, _)| name)
            .collect();
        if owned.len() as u64 >= u64::from(max) {
            return Err(InfraError::LimitReached(format!(
                "{} ({}) already has {} environment(s) ({}), the most allowed; take one down with env_down, or ask an admin to raise max_environments in relay.yaml",
                c.user,
                c.role,
                owned.len(),
                owned.join(", ")
            )));
        }
        Ok(())
    }

    /// Whether `caller` may destroy `name`: their own, or anyone's with the `team` permission.
    async fn check_destroy(&self, name: &str) -> Result<(), InfraError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        if self.caller.may(Permission::Team) {
            return Ok(());
        }
        let owners = store
            .env_owners()
            .await
            .map_err(|e| InfraError::Config(e.to_string()))?;
        match owners.iter().find(|(env, _)| env == name) {
            Some((_, owner)) if owner != &self.caller.user => {
                Err(InfraError::LimitReached(format!(
                    "{name} belongs to {owner}; {} ({}) may only destroy their own environments (the team_lead role may destroy any)",
                    self.caller.user, self.caller.role
                )))
            }
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl InfraProvider for LimitedProvider {
    fn provider_name(&self) -> &'static str {
        self.inner.provider_name()
    }

    fn provision(&self, spec: EnvSpec) -> Job<Environment, InfraError> {
        let this = self.clone();
        Job::spawn("provision", move |ctx| async move {
            this.check_provision(&spec).await?;
            let env = ctx.forward(this.inner.provision(spec)).await?;
            if let Some(store) = &this.store {
                store
                    .set_env_owner(&env.name, Some(this.caller.user.clone()))
                    .await
                    .map_err(|e| InfraError::Config(e.to_string()))?;
            }
            Ok(env)
        })
    }

    fn start(&self, name: &str) -> Job<Environment, InfraError> {
        self.inner.start(name)
    }

    fn stop(&self, name: &str, options: StopOptions) -> Job<Environment, InfraError> {
        self.inner.stop(name, options)
    }

    async fn status(&self, name: &str) -> Result<Environment, InfraError> {
        self.inner.status(name).await
    }

    async fn list(&self) -> Result<Vec<Environment>, InfraError> {
        self.inner.list().await
    }

    async fn exec(&self, name: &str, request: ExecRequest) -> Result<ExecOutput, InfraError> {
        self.inner.exec(name, request).await
    }

    fn snapshot(&self, name: &str, snapshot: &str) -> Job<SnapshotInfo, InfraError> {
        self.inner.snapshot(name, snapshot)
    }

    async fn snapshots(&self, name: &str) -> Result<Vec<SnapshotInfo>, InfraError> {
        self.inner.snapshots(name).await
    }

    fn rollback(&self, name: &str, snapshot: &str) -> Job<Environment, InfraError> {
        self.inner.rollback(name, snapshot)
    }

    fn delete_snapshot(&self, name: &str, snapshot: &str) -> Job<(), InfraError> {
        self.inner.delete_snapshot(name, snapshot)
    }

    fn destroy(&self, name: &str) -> Job<(), InfraError> {
        let this = self.clone();
        let name = name.to_owned();
        Job::spawn("destroy", move |ctx| async move {
            this.check_destroy(&name).await?;
            ctx.forward(this.inner.destroy(&name)).await?;
            if let Some(store) = &this.store {
                store
                    .set_env_owner(&name, None)
                    .await
                    .map_err(|e| InfraError::Config(e.to_string()))?;
            }
            Ok(())
        })
    }
}
