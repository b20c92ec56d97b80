//! The local provider: environments as directories on this machine.
//!
//! An environment is `<root>/<name>/work`, with the workspace's repositories cloned into it through
//! [`RepoGraph::clone_into`]; commands run there as local processes with resource limits
//! (`setrlimit`); snapshots are `.tar.gz` archives of the work directory. It needs no network and
//! is what `relay env` uses when Proxmox is not configured.

mod archive;
mod process;
mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use relay_core::infra::{
    EnvKind, EnvSpec, Environment, ExecOutput, ExecRequest, InfraError, InfraProvider,
    ResourceProfile, SnapshotInfo, StopOptions, validate_env_name, validate_snapshot_name,
};
use relay_core::repo::{RepoSelection, SyncAction};
use relay_core::{EventKind, Job, JobContext, RepoGraph};

use store::{EnvPaths, EnvRecord, SnapshotRecord, now_ms, read_json, write_json};

/// Environments as local directories. Cheap to clone.
#[derive(Clone)]
pub struct LocalProvider {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    repos: Option<Arc<dyn RepoGraph>>,
    profiles: BTreeMap<String, ResourceProfile>,
}

impl std::fmt::Debug for LocalProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalProvider")
            .field("root", &self.inner.root)
            .finish_non_exhaustive()
    }
}

/// Builds a [`LocalProvider`].
pub struct LocalProviderBuilder {
    root: PathBuf,
    repos: Option<Arc<dyn RepoGraph>>,
    profiles: BTreeMap<String, ResourceProfile>,
}

impl LocalProviderBuilder {
    /// Clones this workspace's repositories into each new environment.
    pub fn repos(mut self, repos: Arc<dyn RepoGraph>) -> Self {
        self.repos = Some(repos);
        self
    }

    /// Replaces the resource profiles (default: developer and team_lead).
    pub fn profiles(mut self, profiles: BTreeMap<String, ResourceProfile>) -> Self {
        self.profiles = profiles;
        self
    }

    /// Creates the root directory if needed and returns the provider.
    pub fn build(self) -> Result<LocalProvider, InfraError> {
        std::fs::create_dir_all(&self.root).map_err(|e| InfraError::io(&self.root, e))?;
        Ok(LocalProvider {
            inner: Arc::new(Inner {
                root: self.root,
                repos: self.repos,
                profiles: self.profiles,
            }),
        })
    }
}

impl LocalProvider {
    /// A provider keeping environments under `root`.
    pub fn builder(root: impl Into<PathBuf>) -> LocalProviderBuilder {
        LocalProviderBuilder {
            root: root.into(),
            repos: None,
            profiles: ResourceProfile::defaults(),
        }
    }

    /// Where environments live.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The work directory of an environment (where commands run and repositories are).
    pub fn work_dir(&self, name: &str) -> PathBuf {
        EnvPaths::new(&self.inner.root, name).work()
    }

    fn load(&self, name: &str) -> Result<(EnvPaths, EnvRecord), InfraError> {
        validate_env_name(name)?;
        let paths = EnvPaths::new(&self.inner.root, name);
        if !paths.record().exists() {
            return Err(InfraError::NotFound {
                name: name.to_string(),
                provider: format!("the local provider ({})", self.inner.root.display()),
            });
        }
        let record = read_json(&paths.record())?;
        Ok((paths, record))
    }

    async fn provision_inner(
        &self,
        spec: EnvSpec,
        ctx: &JobContext,
    ) -> Result<Environment, InfraError> {
        validate_env_name(&spec.name)?;
        if let Some(kind) = spec.kind
            && kind != EnvKind::Local
        {
            return Err(InfraError::InvalidRequest(format!(
                "the local provider makes directories, not {} guests; drop --kind or use --provider proxmox",
                kind.as_str()
            )));
        }
        if spec.template.is_some() {
            return Err(InfraError::InvalidRequest(
                "the local provider has no templates: the environment starts from the workspace's repositories"
                    .to_string(),
            ));
        }
        let resources = self
            .inner
            .profiles
            .get(&spec.profile)
            .cloned()
            .ok_or_else(|| {
                InfraError::InvalidRequest(format!(
                    "unknown profile `{}`; known profiles: {}",
                    spec.profile,
                    self.inner
                        .profiles
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let paths = EnvPaths::new(&self.inner.root, &spec.name);
        if paths.dir.exists() {
            return Err(InfraError::AlreadyExists {
                name: spec.name.clone(),
                provider: "the local provider".to_string(),
            });
        }
        // Build under a hidden name and rename at the end: an interrupted provision leaves
        // nothing that looks like an environment.
        let staging = EnvPaths::new(
            &self.inner.root,
            &format!(".{}.provisioning-{}", spec.name, std::process::id()),
        );
        let _ = std::fs::remove_dir_all(&staging.dir);
        let result = self.populate(&spec, &staging, resources, ctx).await;
        let result = match result {
            Ok(()) => {
                std::fs::rename(&staging.dir, &paths.dir).map_err(|e| InfraError::io(&paths.dir, e))
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&staging.dir);
            return Err(e);
        }
        let (paths, record) = self.load(&spec.name)?;
        ctx.progress(
            2,
            Some(2),
            None,
            format!("{} is ready in {}", spec.name, paths.work().display()),
        )
        .await;
        Ok(store::environment(&record, &paths))
    }

    async fn populate(
        &self,
        spec: &EnvSpec,
        staging: &EnvPaths,
        resources: ResourceProfile,
        ctx: &JobContext,
    ) -> Result<(), InfraError> {
        std::fs::create_dir_all(staging.work()).map_err(|e| InfraError::io(staging.work(), e))?;
        std::fs::create_dir_all(staging.snapshots())
            .map_err(|e| InfraError::io(staging.snapshots(), e))?;
        match &self.inner.repos {
            Some(repos) => {
                ctx.progress(
                    0,
                    Some(2),
                    None,
                    format!("cloning the workspace into {}", spec.name),
                )
                .await;
                clone_workspace(repos.as_ref(), staging.work(), ctx).await?;
            }
            None => {
                ctx.log(
                    None,
                    relay_core::LogLevel::Info,
                    "no workspace given: the environment starts empty",
                )
                .await;
            }
        }
        ctx.progress(1, Some(2), None, format!("starting {}", spec.name))
            .await;
        let now = now_ms() / 1000;
        write_json(
            &staging.record(),
            &EnvRecord {
                name: spec.name.clone(),
                profile: spec.profile.clone(),
                resources,
                running: true,
                created_at: now,
                started_at: Some(now),
                parent: None,
            },
        )
    }

    fn set_running(&self, name: &str, running: bool) -> Result<Environment, InfraError> {
        let (paths, mut record) = self.load(name)?;
        if record.running != running {
            record.running = running;
            record.started_at = running.then(|| now_ms() / 1000);
            write_json(&paths.record(), &record)?;
        }
        Ok(store::environment(&record, &paths))
    }

    fn snapshot_records(paths: &EnvPaths) -> Result<Vec<SnapshotRecord>, InfraError> {
        let dir = paths.snapshots();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| InfraError::io(&dir, e))? {
            let path = entry.map_err(|e| InfraError::io(&dir, e))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(read_json::<SnapshotRecord>(&path)?);
            }
        }
        out.sort_by(|a, b| {
            a.created_at_ms
                .cmp(&b.created_at_ms)
                .then(a.name.cmp(&b.name))
        });
        Ok(out)
    }
}

/// Clones through the RepoGraph, passing its events on; any repository that fails fails the
/// provision (an environment with some repositories missing is not what was asked for).
async fn clone_workspace(
    repos: &dyn RepoGraph,
    dest: PathBuf,
    ctx: &JobContext,
) -> Result<(), InfraError> {
    let mut job = repos.clone_into(dest, RepoSelection::All);
    loop {
        tokio::select! {
            event = job.next() => match event {
                Some(event) => match event.kind {
                    EventKind::Progress(p) => ctx.emit(EventKind::Progress(p)).await,
                    EventKind::Log { repo, level, line } => ctx.log(repo.as_deref(), level, line).await,
                    EventKind::RepoFinished { repo, outcome, summary } => {
                        ctx.repo_finished(&repo, outcome, summary).await;
                    }
                    _ => {}
                },
                None => break,
            },
            _ = ctx.cancelled() => {
                job.cancel();
                return Err(relay_core::JobFailure::Cancelled.into());
            }
        }
    }
    let report = job
        .wait()
        .await
        .map_err(|e| InfraError::Repos(e.to_string()))?;
    let failed: Vec<String> = report
        .repos
        .iter()
        .filter(|r| r.action == SyncAction::Failed)
        .map(|r| format!("{}: {}", r.name, r.reason.as_deref().unwrap_or("failed")))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(InfraError::Repos(failed.join("; ")))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, InfraError> + Send + 'static,
) -> Result<T, InfraError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| InfraError::Job(relay_core::JobFailure::Panicked(e.to_string())))?
}

#[async_trait]
impl InfraProvider for LocalProvider {
    fn provider_name(&self) -> &'static str {
        "local"
    }

    fn provision(&self, spec: EnvSpec) -> Job<Environment, InfraError> {
        let this = self.clone();
        Job::spawn("env_provision", move |ctx| async move {
            this.provision_inner(spec, &ctx).await
        })
    }

    fn start(&self, name: &str) -> Job<Environment, InfraError> {
        let (this, name) = (self.clone(), name.to_string());
        Job::spawn("env_start", move |ctx| async move {
            let env = this.set_running(&name, true)?;
            ctx.progress(1, Some(1), None, format!("{name} is running"))
                .await;
            Ok(env)
        })
    }

    fn stop(&self, name: &str, _options: StopOptions) -> Job<Environment, InfraError> {
        let (this, name) = (self.clone(), name.to_string());
        Job::spawn("env_stop", move |ctx| async move {
            // Commands never outlive their exec call, so stopping only records the state.
            let env = this.set_running(&name, false)?;
            ctx.progress(1, Some(1), None, format!("{name} is stopped"))
                .await;
            Ok(env)
        })
    }

    async fn status(&self, name: &str) -> Result<Environment, InfraError> {
        let (paths, record) = self.load(name)?;
        Ok(store::environment(&record, &paths))
    }

    async fn list(&self) -> Result<Vec<Environment>, InfraError> {
        let root = &self.inner.root;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(root).map_err(|e| InfraError::io(root, e))? {
            let entry = entry.map_err(|e| InfraError::io(root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || validate_env_name(&name).is_err() {
                continue;
            }
            let paths = EnvPaths::new(root, &name);
            if let Ok(record) = read_json::<EnvRecord>(&paths.record()) {
                out.push(store::environment(&record, &paths));
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn exec(&self, name: &str, request: ExecRequest) -> Result<ExecOutput, InfraError> {
        if request.command.is_empty() {
            return Err(InfraError::InvalidRequest(
                "no command given; pass it after `--`".to_string(),
            ));
        }
        let (paths, record) = self.load(name)?;
        if !record.running {
            return Err(InfraError::InvalidRequest(format!(
                "environment `{name}` is stopped; start it with `relay env up {name}`"
            )));
        }
        let work = paths.work();
        let cwd = match &request.cwd {
            None => work.clone(),
            Some(dir) => {
                let rel = Path::new(dir);
                if rel.is_absolute()
                    || rel
                        .components()
                        .any(|c| matches!(c, std::path::Component::ParentDir))
                {
                    return Err(InfraError::InvalidRequest(format!(
                        "the working directory `{dir}` must be relative to the environment, without `..`"
                    )));
                }
                work.join(rel)
            }
        };
        if !cwd.is_dir() {
            return Err(InfraError::InvalidRequest(format!(
                "`{}` is not a directory in `{name}`",
                cwd.display()
            )));
        }
        let limits = process::Limits::from_profile(&record.resources);
        process::run(
            &request.command,
            &cwd,
            request.stdin.as_deref(),
            request.timeout,
            limits,
            name,
        )
        .await
    }

    fn snapshot(&self, name: &str, snapshot: &str) -> Job<SnapshotInfo, InfraError> {
        let (this, name, snap) = (self.clone(), name.to_string(), snapshot.to_string());
        Job::spawn("env_snapshot", move |ctx| async move {
            validate_snapshot_name(&snap)?;
            let (paths, mut record) = this.load(&name)?;
            if paths.snapshot_record(&snap).exists() {
                return Err(InfraError::InvalidRequest(format!(
                    "`{name}` already has a snapshot `{snap}`; pick another name or delete it first"
                )));
            }
            ctx.progress(0, Some(1), None, format!("archiving {name} as {snap}"))
                .await;
            let (work, archive) = (paths.work(), paths.snapshot_archive(&snap));
            blocking(move || archive::pack(&work, &archive)).await?;
            let snap_record = SnapshotRecord {
                name: snap.clone(),
                description: "taken by relay".to_string(),
                created_at_ms: now_ms(),
                parent: record.parent.clone(),
            };
            write_json(&paths.snapshot_record(&snap), &snap_record)?;
            record.parent = Some(snap.clone());
            write_json(&paths.record(), &record)?;
            ctx.progress(1, Some(1), None, format!("snapshot {snap} taken"))
                .await;
            Ok(snap_record.info())
        })
    }

    async fn snapshots(&self, name: &str) -> Result<Vec<SnapshotInfo>, InfraError> {
        let (paths, _) = self.load(name)?;
        Ok(Self::snapshot_records(&paths)?
            .iter()
            .map(SnapshotRecord::info)
            .collect())
    }

    fn rollback(&self, name: &str, snapshot: &str) -> Job<Environment, InfraError> {
        let (this, name, snap) = (self.clone(), name.to_string(), snapshot.to_string());
        Job::spawn("env_rollback", move |ctx| async move {
            validate_snapshot_name(&snap)?;
            let (paths, mut record) = this.load(&name)?;
            if !paths.snapshot_record(&snap).exists() {
                return Err(InfraError::InvalidRequest(format!(
                    "`{name}` has no snapshot `{snap}`; `relay env status {name}` lists its snapshots"
                )));
            }
            ctx.progress(0, Some(1), None, format!("restoring {name} from {snap}"))
                .await;
            let (work, archive) = (paths.work(), paths.snapshot_archive(&snap));
            blocking(move || archive::restore(&archive, &work)).await?;
            record.parent = Some(snap.clone());
            write_json(&paths.record(), &record)?;
            ctx.progress(1, Some(1), None, format!("{name} is back at {snap}"))
                .await;
            Ok(store::environment(&record, &paths))
        })
    }

    fn delete_snapshot(&self, name: &str, snapshot: &str) -> Job<(), InfraError> {
        let (this, name, snap) = (self.clone(), name.to_string(), snapshot.to_string());
        Job::spawn("env_delete_snapshot", move |ctx| async move {
            validate_snapshot_name(&snap)?;
            let (paths, mut record) = this.load(&name)?;
            let meta = paths.snapshot_record(&snap);
            if !meta.exists() {
                return Err(InfraError::InvalidRequest(format!(
                    "`{name}` has no snapshot `{snap}`"
                )));
            }
            let removed: SnapshotRecord = read_json(&meta)?;
            for mut other in Self::snapshot_records(&paths)? {
                if other.parent.as_deref() == Some(snap.as_str()) {
                    other.parent = removed.parent.clone();
                    write_json(&paths.snapshot_record(&other.name), &other)?;
                }
            }
            if record.parent.as_deref() == Some(snap.as_str()) {
                record.parent = removed.parent.clone();
                write_json(&paths.record(), &record)?;
            }
            let archive = paths.snapshot_archive(&snap);
            std::fs::remove_file(&archive).map_err(|e| InfraError::io(&archive, e))?;
            std::fs::remove_file(&meta).map_err(|e| InfraError::io(&meta, e))?;
            ctx.progress(1, Some(1), None, format!("snapshot {snap} deleted"))
                .await;
            Ok(())
        })
    }

    fn destroy(&self, name: &str) -> Job<(), InfraError> {
        let (this, name) = (self.clone(), name.to_string());
        Job::spawn("env_destroy", move |ctx| async move {
            let (paths, _) = this.load(&name)?;
            ctx.progress(
                0,
                Some(1),
                None,
                format!("removing {}", paths.dir.display()),
            )
            .await;
            // Rename first so a half-removed tree is never mistaken for an environment.
            let doomed = this
                .inner
                .root
                .join(format!(".{name}.destroying-{}", std::process::id()));
            std::fs::rename(&paths.dir, &doomed).map_err(|e| InfraError::io(&paths.dir, e))?;
            blocking(move || {
                std::fs::remove_dir_all(&doomed).map_err(|e| InfraError::io(&doomed, e))
            })
            .await?;
            ctx.progress(1, Some(1), None, format!("{name} is gone"))
                .await;
            Ok(())
        })
    }
}
