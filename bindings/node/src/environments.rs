//! `Environments`: development environments (local directories and processes, or Proxmox VE
//! containers and VMs): up, status, exec, snapshot, rollback, stop, down.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use relay_bindings_common::{EnvironmentsHandle, EnvironmentsOptions, to_json};

use crate::convert::{ClassArg, ClassHandle, js_error, spawn_json};
use crate::job::Job;
use crate::workspace::{Workspace, start};

/// Options of `Environments.open`.
#[napi(object, object_to_js = false)]
pub struct OpenEnvironmentsOptions {
    /// `local` or `proxmox`; default: the workspace's `infra` section, else `local`.
    pub provider: Option<String>,
    /// The workspace whose `relay.yaml` configures the provider (and whose repositories a local
    /// environment gets).
    #[napi(ts_type = "Workspace")]
    pub workspace: Option<ClassArg<Workspace>>,
    /// Where the local provider keeps its environments.
    pub local_root: Option<String>,
}

/// Options of `up`.
#[napi(object)]
pub struct UpOptions {
    /// Resource profile (`small`, `large`, or one from `relay.yaml`).
    pub profile: Option<String>,
    /// `local`, `lxc` or `qemu`.
    pub kind: Option<String>,
    /// The provider's template (an LXC template or a VM to clone).
    pub template: Option<String>,
}

/// Options of `exec`.
#[napi(object)]
pub struct ExecOptions {
    /// Data for the command's standard input.
    pub stdin: Option<String>,
    /// Working directory inside the environment.
    pub cwd: Option<String>,
    /// How long the command may run (default 600 s).
    pub timeout_secs: Option<u32>,
}

/// Options of `stop`.
#[napi(object)]
pub struct StopOptions {
    /// Skip the clean shutdown (default false).
    pub force: Option<bool>,
}

/// Development environments of one provider. Open with `Environments.open({ provider, workspace,
/// localRoot })`. Long operations return a `Job`; queries return Promises. Errors carry a `code`
/// (`env_not_found`, `snapshot_not_found`, `config`, ...) and `kind` `infra`.
#[napi]
pub struct Environments {
    inner: EnvironmentsHandle,
}

impl ClassHandle for Environments {
    const NAME: &'static str = "Environments";
    const MADE_BY: &'static str = "Environments.open(options)";
    type Handle = EnvironmentsHandle;
    fn handle(&self) -> Self::Handle {
        self.inner.clone()
    }
}

#[napi]
impl Environments {
    /// Opens the provider: `provider` if given, else what the workspace's `relay.yaml` says, else
    /// the local provider. Throws (code `config`, `usage`) when the configuration is incomplete.
    #[napi(factory)]
    pub fn open(env: &Env, options: Option<OpenEnvironmentsOptions>) -> Result<Self> {
        let options = options.map_or_else(EnvironmentsOptions::default, |o| EnvironmentsOptions {
            provider: o.provider,
            workspace: o.workspace.map(|w| w.0),
            local_root: o.local_root,
        });
        EnvironmentsHandle::open(options)
            .map(|inner| Self { inner })
            .map_err(|e| js_error(env, e))
    }

    /// `local` or `proxmox`.
    #[napi(getter)]
    pub fn provider(&self) -> String {
        self.inner.provider_name()
    }

    /// Creates `name` if it does not exist and starts it; the result is the `Environment`.
    #[napi(ts_return_type = "Job")]
    pub fn up(&self, env: &Env, name: String, options: Option<UpOptions>) -> Result<Job> {
        let o = options.unwrap_or(UpOptions {
            profile: None,
            kind: None,
            template: None,
        });
        start(env, || self.inner.up(&name, o.profile, o.kind, o.template))
    }

    /// The environment `name` now.
    #[napi(ts_return_type = "Promise<Environment>")]
    pub fn status<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move {
            inner.status(&name).await.map(|v| to_json(&v))
        })
    }

    /// Every environment of the provider.
    #[napi(ts_return_type = "Promise<Environment[]>")]
    pub fn list<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move { inner.list().await.map(|v| to_json(&v)) })
    }

    /// Runs `command` (program and arguments, no shell: use `['sh', '-c', '...']` for one) in
    /// environment `name`. Resolves with its exit code and output, whatever the exit code.
    #[napi(ts_return_type = "Promise<ExecOutput>")]
    pub fn exec<'env>(
        &self,
        env: &'env Env,
        name: String,
        command: Vec<String>,
        options: Option<ExecOptions>,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        let o = options.unwrap_or(ExecOptions {
            stdin: None,
            cwd: None,
            timeout_secs: None,
        });
        spawn_json(env, async move {
            inner
                .exec(
                    &name,
                    command,
                    o.stdin,
                    o.cwd,
                    o.timeout_secs.map(u64::from),
                )
                .await
                .map(|v| to_json(&v))
        })
    }

    /// Takes snapshot `snapshot` of environment `name`.
    #[napi(ts_return_type = "Job")]
    pub fn snapshot(&self, env: &Env, name: String, snapshot: String) -> Result<Job> {
        start(env, || Ok(self.inner.snapshot(&name, &snapshot)))
    }

    /// The snapshots of environment `name`.
    #[napi(ts_return_type = "Promise<SnapshotInfo[]>")]
    pub fn snapshots<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> Result<PromiseRaw<'env, Unknown<'env>>> {
        let inner = self.inner.clone();
        spawn_json(env, async move {
            inner.snapshots(&name).await.map(|v| to_json(&v))
        })
    }

    /// Rolls environment `name` back to `snapshot`.
    #[napi(ts_return_type = "Job")]
    pub fn rollback(&self, env: &Env, name: String, snapshot: String) -> Result<Job> {
        start(env, || Ok(self.inner.rollback(&name, &snapshot)))
    }

    /// Stops environment `name` (cleanly unless `force`).
    #[napi(ts_return_type = "Job")]
    pub fn stop(&self, env: &Env, name: String, options: Option<StopOptions>) -> Result<Job> {
        let force = options.and_then(|o| o.force).unwrap_or(false);
        start(env, || Ok(self.inner.stop(&name, force)))
    }

    /// Destroys environment `name` and everything in it.
    #[napi(ts_return_type = "Job")]
    pub fn down(&self, env: &Env, name: String) -> Result<Job> {
        start(env, || Ok(self.inner.down(&name)))
    }
}
