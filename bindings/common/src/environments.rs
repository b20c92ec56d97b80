//! [`EnvironmentsHandle`]: development environments (up, status, exec, snapshot, rollback,
//! down) through the provider Relay would pick for the CLI's `relay env`.

use std::sync::Arc;
use std::time::Duration;

use relay::core::infra::{
    EnvKind, EnvSpec, Environment, ExecOutput, ExecRequest, InfraProvider, SnapshotInfo,
    StopOptions,
};
use relay::{EnvironmentsConfig, ProviderKind};

use crate::error::BindingError;
use crate::job::JobHandle;
use crate::workspace::WorkspaceHandle;

/// Which provider to open and where its settings come from. Everything is optional: with
/// nothing set, the provider is chosen like `relay env` chooses it (`infra.provider` in the
/// workspace, else Proxmox when `PROXMOX_URL` or `infra.proxmox` is set, else local).
/// Proxmox credentials come from the environment (`PROXMOX_TOKEN_SECRET`, ...), never from here.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentsOptions {
    /// `"local"` or `"proxmox"`.
    pub provider: Option<String>,
    /// The workspace whose `infra:` section, root and repositories apply (local environments
    /// get its repositories cloned in).
    pub workspace: Option<WorkspaceHandle>,
    /// Where local environments live (overrides `infra.local.root`).
    pub local_root: Option<String>,
}

/// An environment provider, with every operation in the shape the bindings expose.
#[derive(Clone)]
pub struct EnvironmentsHandle {
    provider: Arc<dyn InfraProvider>,
}

/// Default time a command may run in an environment.
const DEFAULT_EXEC_TIMEOUT_SECS: u64 = 600;

impl EnvironmentsHandle {
    /// Opens the provider described by `options`, through [`relay::EnvironmentsConfig`].
    pub fn open(options: EnvironmentsOptions) -> Result<Self, BindingError> {
        let mut config = EnvironmentsConfig::new();
        if let Some(name) = &options.provider {
            config = config.provider(name.parse::<ProviderKind>()?);
        }
        if let Some(root) = &options.local_root {
            config = config.local_root(root);
        }
        let repos = options.workspace.as_ref().map(WorkspaceHandle::repo_graph);
        Ok(Self::from_provider(config.open(repos)?))
    }

    /// Wraps another [`InfraProvider`] (an embedding application's own).
    pub fn from_provider(provider: Arc<dyn InfraProvider>) -> Self {
        Self { provider }
    }

    /// The provider, for the tool registry.
    pub fn provider(&self) -> Arc<dyn InfraProvider> {
        self.provider.clone()
    }

    /// `"local"` or `"proxmox"`.
    pub fn provider_name(&self) -> String {
        self.provider.provider_name().to_string()
    }

    /// Brings `name` up: provisions it (with `profile`, `kind` `"lxc"`/`"qemu"`, `template`)
    /// when missing, starts it when stopped, keeps it when running. Result: the environment.
    pub fn up(
        &self,
        name: &str,
        profile: Option<String>,
        kind: Option<String>,
        template: Option<String>,
    ) -> Result<JobHandle, BindingError> {
        let mut spec = EnvSpec::new(name);
        if let Some(profile) = profile {
            spec = spec.profile(profile);
        }
        if let Some(kind) = kind {
            spec = spec.kind(kind.parse::<EnvKind>().map_err(BindingError::usage)?);
        }
        if let Some(template) = template {
            spec = spec.template(template);
        }
        Ok(JobHandle::new(relay::core::infra::up(
            self.provider.clone(),
            spec,
        )))
    }

    /// The environment called `name` (code `not_found` when there is none).
    pub async fn status(&self, name: &str) -> Result<Environment, BindingError> {
        Ok(self.provider.status(name).await?)
    }

    /// Every environment of this provider.
    pub async fn list(&self) -> Result<Vec<Environment>, BindingError> {
        Ok(self.provider.list().await?)
    }

    /// Runs `command` (program and arguments, no shell) in `name`; a non-zero exit is a result,
    /// not an error.
    pub async fn exec(
        &self,
        name: &str,
        command: Vec<String>,
        stdin: Option<String>,
        cwd: Option<String>,
        timeout_secs: Option<u64>,
    ) -> Result<ExecOutput, BindingError> {
        if command.is_empty() {
            return Err(BindingError::usage(
                "exec needs a command: a list with the program first, e.g. [\"ls\", \"-la\"]",
            ));
        }
        let mut request = ExecRequest::new(command).timeout(Duration::from_secs(
            timeout_secs.unwrap_or(DEFAULT_EXEC_TIMEOUT_SECS),
        ));
        if let Some(stdin) = stdin {
            request = request.stdin(stdin);
        }
        if let Some(cwd) = cwd {
            request = request.cwd(cwd);
        }
        Ok(self.provider.exec(name, request).await?)
    }

    /// Takes snapshot `snapshot` of `name`. Result: the snapshot.
    pub fn snapshot(&self, name: &str, snapshot: &str) -> JobHandle {
        JobHandle::new(self.provider.snapshot(name, snapshot))
    }

    /// The snapshots of `name`.
    pub async fn snapshots(&self, name: &str) -> Result<Vec<SnapshotInfo>, BindingError> {
        Ok(self.provider.snapshots(name).await?)
    }

    /// Rolls `name` back to `snapshot`. Result: the environment.
    pub fn rollback(&self, name: &str, snapshot: &str) -> JobHandle {
        JobHandle::new(self.provider.rollback(name, snapshot))
    }

    /// Stops `name` (`force`: no clean shutdown first). Result: the environment.
    pub fn stop(&self, name: &str, force: bool) -> JobHandle {
        let options = StopOptions {
            force,
            ..StopOptions::default()
        };
        JobHandle::new(self.provider.stop(name, options))
    }

    /// Destroys `name` and everything in it. Result: `null`.
    pub fn down(&self, name: &str) -> JobHandle {
        JobHandle::new(self.provider.destroy(name))
    }
}

impl std::fmt::Debug for EnvironmentsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvironmentsHandle")
            .field("provider", &self.provider.provider_name())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::test_support::workspace;

    fn local(dir: &tempfile::TempDir) -> EnvironmentsHandle {
        let ws = WorkspaceHandle::open(Some(dir.path().to_str().unwrap())).unwrap();
        EnvironmentsHandle::open(EnvironmentsOptions {
            provider: Some("local".into()),
            workspace: Some(ws),
            local_root: Some(dir.path().join("envs").display().to_string()),
        })
        .unwrap()
    }

    fn sh(line: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), line.into()]
    }

    #[tokio::test]
    async fn up_exec_snapshot_rollback_down_on_the_local_provider() {
        let dir = workspace();
        let envs = local(&dir);
        assert_eq!(envs.provider_name(), "local");
        let env = envs
            .up("dev", None, None, None)
            .unwrap()
            .wait()
            .await
            .unwrap();
        assert_eq!(
            (env["name"].as_str(), env["status"].as_str()),
            (Some("dev"), Some("running"))
        );
        // Up again keeps it.
        let again = envs
            .up("dev", None, None, None)
            .unwrap()
            .wait()
            .await
            .unwrap();
        assert_eq!(again["id"], env["id"]);

        let out = envs
            .exec("dev", sh("ls; echo v1 > state.txt"), None, None, None)
            .await;
        let out = out.unwrap();
        assert!(out.success(), "{out:?}");
        assert!(
            out.stdout.contains("api") && out.stdout.contains("app"),
            "{out:?}"
        );

        let snap = envs.snapshot("dev", "before").wait().await.unwrap();
        assert_eq!(snap["name"], "before");
        envs.exec("dev", sh("echo v2 > state.txt"), None, None, None)
            .await
            .unwrap();
        envs.rollback("dev", "before").wait().await.unwrap();
        let cat = envs
            .exec("dev", sh("cat state.txt"), None, None, None)
            .await;
        assert_eq!(cat.unwrap().stdout, "v1\n");
        assert_eq!(envs.snapshots("dev").await.unwrap()[0].name, "before");

        envs.down("dev").wait().await.unwrap();
        let err = envs.status("dev").await.unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str()),
            (ErrorKind::Infra, "not_found")
        );
        assert!(envs.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn bad_requests_are_clear_errors() {
        let dir = workspace();
        let err = EnvironmentsHandle::open(EnvironmentsOptions {
            provider: Some("docker".into()),
            ..EnvironmentsOptions::default()
        })
        .unwrap_err();
        assert!(
            err.message.contains("use proxmox or local"),
            "{}",
            err.message
        );

        let envs = local(&dir);
        let err = envs.up("dev", None, Some("vm".into()), None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage);
        let err = envs
            .exec("dev", vec![], None, None, None)
            .await
            .unwrap_err();
        assert!(err.message.contains("needs a command"), "{}", err.message);
        let err = envs
            .exec("ghost", sh("true"), None, None, None)
            .await
            .unwrap_err();
        assert_eq!(err.code, "not_found");
        let err = envs
            .up("Bad_Name", None, None, None)
            .unwrap()
            .wait()
            .await
            .unwrap_err();
        assert_eq!(err.code, "invalid_request");
    }
}
