//! `Environments`: development environments through a provider (local or Proxmox): up, status,
//! list, exec, snapshot, snapshots, rollback, stop, down.

use std::sync::Arc;

use relay_bindings_common::{EnvironmentsHandle, EnvironmentsOptions};

use crate::env_records::{Environment, ExecOutput, SnapshotInfo};
use crate::error::RelayError;
use crate::job::Job;
use crate::runtime;
use crate::workspace::Workspace;

/// A source of development environments. Long operations return a `RelayJob` (its result is
/// JSON: the environment, the snapshot, or `null` for `down`); quick reads are suspend calls.
/// Failures throw `RelayException.Infra` with a stable `code` (`not_found`, `already_exists`,
/// `invalid_request`, `config`, `auth`, `connect`, ...).
#[derive(uniffi::Object)]
pub struct Environments {
    inner: EnvironmentsHandle,
}

impl Environments {
    /// The shared facade, for the tool registry.
    pub(crate) fn handle(&self) -> &EnvironmentsHandle {
        &self.inner
    }
}

#[uniffi::export]
impl Environments {
    /// Opens a provider: `provider` is `"local"` or `"proxmox"`; by default it is chosen like
    /// `relay env` does (the workspace's `infra.provider`, else Proxmox when `PROXMOX_URL` is set,
    /// else local). With `workspace`, its `infra:` settings apply and local environments get its
    /// repositories cloned in; `localRoot` says where local environments live. Proxmox
    /// credentials come from the environment (`PROXMOX_TOKEN_SECRET`, ...), never from here.
    #[uniffi::constructor(default(provider = None, workspace = None, local_root = None))]
    pub fn open(
        provider: Option<String>,
        workspace: Option<Arc<Workspace>>,
        local_root: Option<String>,
    ) -> Result<Arc<Self>, RelayError> {
        let options = EnvironmentsOptions {
            provider,
            workspace: workspace.map(|w| w.handle().clone()),
            local_root,
        };
        let inner = runtime::enter(|| EnvironmentsHandle::open(options))?;
        Ok(Arc::new(Self { inner }))
    }

    /// `"local"` or `"proxmox"`.
    pub fn provider_name(&self) -> String {
        self.inner.provider_name()
    }

    /// Brings `name` up: provisions it (with `profile`, `kind` `"lxc"`/`"qemu"`, `template`)
    /// when missing, starts it when stopped, keeps it when running. The job's result is the
    /// environment as JSON.
    #[uniffi::method(default(profile = None, kind = None, template = None))]
    pub fn up(
        &self,
        name: String,
        profile: Option<String>,
        kind: Option<String>,
        template: Option<String>,
    ) -> Result<Arc<Job>, RelayError> {
        let handle = runtime::enter(|| self.inner.up(&name, profile, kind, template))?;
        Ok(Job::new(handle))
    }

    /// The environment called `name` (`Infra(code = "not_found")` when there is none).
    pub async fn status(&self, name: String) -> Result<Environment, RelayError> {
        let inner = self.inner.clone();
        Ok(runtime::run(async move { inner.status(&name).await })
            .await??
            .into())
    }

    /// Every environment of this provider.
    pub async fn list(&self) -> Result<Vec<Environment>, RelayError> {
        let inner = self.inner.clone();
        let list = runtime::run(async move { inner.list().await }).await??;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Runs `command` (program and arguments, no shell) in `name`, with `stdin` as its input,
    /// in `cwd` (relative to the environment's work directory), stopped after `timeoutSecs`
    /// (default 600). A non-zero exit is a result, not an error.
    #[uniffi::method(default(stdin = None, cwd = None, timeout_secs = None))]
    pub async fn exec(
        &self,
        name: String,
        command: Vec<String>,
        stdin: Option<String>,
        cwd: Option<String>,
        timeout_secs: Option<u64>,
    ) -> Result<ExecOutput, RelayError> {
        let inner = self.inner.clone();
        let output =
            runtime::run(async move { inner.exec(&name, command, stdin, cwd, timeout_secs).await })
                .await??;
        Ok(output.into())
    }

    /// Takes snapshot `snapshot` of `name`; the job's result is the snapshot as JSON.
    pub fn snapshot(&self, name: String, snapshot: String) -> Arc<Job> {
        Job::new(runtime::enter(|| self.inner.snapshot(&name, &snapshot)))
    }

    /// The snapshots of `name`, oldest first.
    pub async fn snapshots(&self, name: String) -> Result<Vec<SnapshotInfo>, RelayError> {
        let inner = self.inner.clone();
        let list = runtime::run(async move { inner.snapshots(&name).await }).await??;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Returns `name` to `snapshot`; the job's result is the environment as JSON.
    pub fn rollback(&self, name: String, snapshot: String) -> Arc<Job> {
        Job::new(runtime::enter(|| self.inner.rollback(&name, &snapshot)))
    }

    /// Stops `name` (`force`: without a clean shutdown first); the result is the environment.
    #[uniffi::method(default(force = false))]
    pub fn stop(&self, name: String, force: bool) -> Arc<Job> {
        Job::new(runtime::enter(|| self.inner.stop(&name, force)))
    }

    /// Destroys `name` and everything in it; the result is `null`.
    pub fn down(&self, name: String) -> Arc<Job> {
        Job::new(runtime::enter(|| self.inner.down(&name)))
    }
}
