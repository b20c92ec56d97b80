//! [`ProxmoxProvider`]: environments as PVE guests tagged `relay`.

use async_trait::async_trait;
use relay_core::infra::{
    EnvKind, EnvSpec, EnvStatus, Environment, ExecOutput, ExecRequest, InfraError, InfraProvider,
    ResourceProfile, SnapshotInfo, StopOptions, validate_env_name, validate_snapshot_name,
};
use relay_core::{Job, JobContext};

use super::confirm::{Found, Sent, answer_lost, now_epoch};
use super::guest::{ClusterGuest, GuestKind};
use super::http::ProxmoxClient;
use super::settings::ProxmoxSettings;
use super::upid::Upid;

/// The tag that marks guests Relay manages; `relay env ls` shows only these.
pub const RELAY_TAG: &str = "relay";
const PROFILE_TAG_PREFIX: &str = "profile-";

/// The Proxmox VE provider. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ProxmoxProvider {
    client: ProxmoxClient,
}

impl ProxmoxProvider {
    /// A provider for the cluster described by `settings`.
    pub fn new(settings: ProxmoxSettings) -> Result<Self, InfraError> {
        Ok(Self {
            client: ProxmoxClient::new(settings)?,
        })
    }

    /// The underlying API client.
    pub fn client(&self) -> &ProxmoxClient {
        &self.client
    }

    fn settings(&self) -> &ProxmoxSettings {
        self.client.settings()
    }

    async fn find(&self, name: &str) -> Result<ClusterGuest, InfraError> {
        validate_env_name(name)?;
        self.find_optional(name)
            .await?
            .ok_or_else(|| InfraError::NotFound {
                name: name.to_string(),
                provider: "Proxmox".to_string(),
            })
    }

    async fn find_optional(&self, name: &str) -> Result<Option<ClusterGuest>, InfraError> {
        let guests = self.client.cluster_guests().await?;
        Ok(guests
            .into_iter()
            .find(|g| g.name == name && g.tags.iter().any(|t| t == RELAY_TAG) && !g.template))
    }

    async fn environment(&self, guest: &ClusterGuest) -> Result<Environment, InfraError> {
        let status = self
            .client
            .guest_status(&guest.node, guest.kind, guest.vmid)
            .await?;
        Ok(Environment {
            name: guest.name.clone(),
            provider: "proxmox".to_string(),
            kind: guest.kind.env_kind(),
            id: guest.vmid.to_string(),
            node: Some(guest.node.clone()),
            status: env_status(&status.status, status.lock.as_deref()),
            lock: status.lock,
            profile: profile_of(guest),
            cores: status.cpus.or(guest.maxcpu),
            memory_mb: status.maxmem.or(guest.maxmem).map(|b| b / (1024 * 1024)),
            uptime_secs: status.uptime.filter(|u| *u > 0),
        })
    }

    /// Runs a task-producing call and waits for the task, holding a slot of the node's limit.
    async fn run_task<F, Fut>(
        &self,
        node: &str,
        ctx: Option<&JobContext>,
        call: F,
    ) -> Result<Upid, InfraError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Upid, InfraError>>,
    {
        let _permit = self.client.node_permit(node).await;
        let upid = call().await?;
        self.client.wait_task(&upid, ctx).await?;
        Ok(upid)
    }

    async fn provision_inner(
        &self,
        spec: EnvSpec,
        ctx: &JobContext,
    ) -> Result<Environment, InfraError> {
        let settings = self.settings().clone();
        validate_env_name(&spec.name)?;
        let profile = settings.profiles.get(&spec.profile).cloned().ok_or_else(|| {
            InfraError::InvalidRequest(format!(
                "unknown profile `{}`; known profiles: {} (add more under infra.profiles in relay.yaml)",
                spec.profile,
                settings.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let kind = match spec.kind.unwrap_or(settings.default_kind) {
            EnvKind::Lxc => GuestKind::Lxc,
            EnvKind::Qemu => GuestKind::Qemu,
            EnvKind::Local => {
                return Err(InfraError::InvalidRequest(
                    "kind `local` belongs to the local provider; use --provider local".to_string(),
                ));
            }
        };
        let template = spec
            .template
            .clone()
            .or_else(|| match kind {
                GuestKind::Lxc => settings.lxc_template.clone(),
                GuestKind::Qemu => settings.qemu_template.clone(),
            })
            .ok_or_else(|| {
                InfraError::InvalidRequest(match kind {
                    GuestKind::Lxc => "no LXC template: pass --template (an ostemplate such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst, or the id of a template container) or set infra.proxmox.lxc_template".to_string(),
                    GuestKind::Qemu => "no QEMU template: pass --template with the id of a template VM to clone (PVE cannot install an OS unattended) or set infra.proxmox.qemu_template".to_string(),
                })
            })?;
        let clone_source = template.parse::<u32>().ok();
        if kind == GuestKind::Qemu && clone_source.is_none() {
            return Err(InfraError::InvalidRequest(format!(
                "QEMU environments are cloned from a template VM; `{template}` is not a VM id"
            )));
        }
        if self.find_optional(&spec.name).await?.is_some() {
            return Err(InfraError::AlreadyExists {
                name: spec.name.clone(),
                provider: "Proxmox".to_string(),
            });
        }
        let node = settings.node.clone();
        let tags = format!(
            "{RELAY_TAG};{PROFILE_TAG_PREFIX}{}",
            spec.profile.replace('_', "-")
        );
        let _permit = self.client.node_permit(&node).await;

        ctx.progress(0, Some(4), None, format!("reserving an id on {node}"))
            .await;
        let mut attempt = 0;
        let (vmid, upid) = loop {
            attempt += 1;
            let vmid = self.client.next_id().await?;
            let since = now_epoch();
            let result = match clone_source {
                Some(source) => {
                    self.client
                        .clone_guest(&node, kind, source, vmid, &spec.name, true)
                        .await
                }
                None => {
                    let mut params =
                        vec![("vmid", vmid.to_string()), ("ostemplate", template.clone())];
                    params.extend(create_params(
                        kind,
                        &spec.name,
                        &profile,
                        &settings.storage,
                        &settings.bridge,
                        &tags,
                    ));
                    self.client.create_guest(&node, kind, &params).await
                }
            };
            let result = match result {
                Err(e) if answer_lost(&e) => {
                    // The request went out and its answer was lost: never send it again
                    // blindly (that makes a second guest); look whether PVE carried it out.
                    let sent = match clone_source {
                        Some(source) => Sent::Clone { kind, source, vmid },
                        None => Sent::Create { kind, vmid },
                    };
                    match self.client.find_outcome(&node, &sent, since).await {
                        Ok(Found::Task(upid)) => {
                            ctx.log(
                                None,
                                relay_core::LogLevel::Warn,
                                format!("the request for {vmid} got no answer ({e}), but PVE carried it out; following its task"),
                            )
                            .await;
                            Ok(upid)
                        }
                        _ => Err(nothing_happened(e, &format!("no guest {vmid} was created"))),
                    }
                }
                other => other,
            };
            match result {
                Ok(upid) => break (vmid, upid),
                Err(InfraError::Api { ref message, .. })
                    if message.contains("already exists") && attempt < settings.nextid_attempts =>
                {
                    ctx.log(
                        None,
                        relay_core::LogLevel::Info,
                        format!("id {vmid} was taken by a parallel create; trying another"),
                    )
                    .await;
                }
                Err(e) => return Err(e),
            }
        };
        let what = match clone_source {
            Some(source) => format!("cloning {} {source} into {vmid}", kind.as_str()),
            None => format!("creating {} {vmid} from {template}", kind.as_str()),
        };
        ctx.progress(1, Some(4), None, what).await;
        self.client.wait_task(&upid, Some(ctx)).await?;

        // From here on a guest exists: undo it if anything fails, so nothing is left half made.
        let result = async {
            if clone_source.is_some() {
                ctx.progress(
                    2,
                    Some(4),
                    None,
                    format!("applying profile {}", spec.profile),
                )
                .await;
                let mut params = clone_config(kind, &profile, &settings.storage);
                params.push(("tags", tags.clone()));
                self.client.set_config(&node, kind, vmid, &params).await?;
                self.grow_root_disk(&node, kind, vmid, profile.root_disk_gb, ctx)
                    .await?;
            }
            ctx.progress(3, Some(4), None, format!("starting {}", spec.name))
                .await;
            let upid = self.client.start_guest(&node, kind, vmid).await?;
            self.client.wait_task(&upid, Some(ctx)).await?;
            Ok::<(), InfraError>(())
        }
        .await;
        if let Err(e) = result {
            ctx.log(
                None,
                relay_core::LogLevel::Warn,
                format!(
                    "provisioning failed ({e}); removing {} {vmid}",
                    kind.as_str()
                ),
            )
            .await;
            self.cleanup_failed(&node, kind, vmid).await;
            return Err(e);
        }
        let guest = self.find(&spec.name).await?;
        let env = self.environment(&guest).await?;
        ctx.progress(
            4,
            Some(4),
            None,
            format!("{} is running ({} {vmid})", spec.name, kind.as_str()),
        )
        .await;
        Ok(env)
    }

    /// Grows a clone's root disk to the profile's size (never shrinks: PVE cannot).
    async fn grow_root_disk(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        size_gib: u32,
        ctx: &JobContext,
    ) -> Result<(), InfraError> {
        let disk = match kind {
            GuestKind::Lxc => "rootfs",
            GuestKind::Qemu => "scsi0",
        };
        let config = self.client.guest_config(node, kind, vmid).await?;
        let Some(volume) = config.get(disk).and_then(|v| v.as_str()) else {
            ctx.log(
                None,
                relay_core::LogLevel::Warn,
                format!("the clone has no {disk}; its root disk keeps the template's size"),
            )
            .await;
            return Ok(());
        };
        let current = super::guest::volume_size_gib(volume).unwrap_or(f64::MAX);
        if current >= f64::from(size_gib) {
            return Ok(());
        }
        ctx.log(
            None,
            relay_core::LogLevel::Info,
            format!("growing {disk} from {current} GiB to {size_gib} GiB"),
        )
        .await;
        if let Some(upid) = self
            .client
            .resize_disk(node, kind, vmid, disk, size_gib)
            .await?
        {
            self.client.wait_task(&upid, Some(ctx)).await?;
        }
        Ok(())
    }

    async fn cleanup_failed(&self, node: &str, kind: GuestKind, vmid: u32) {
        if let Ok(status) = self.client.guest_status(node, kind, vmid).await
            && status.status == "running"
            && let Ok(upid) = self.client.stop_guest(node, kind, vmid).await
        {
            let _ = self.client.wait_task(&upid, None).await;
        }
        match self.client.destroy_guest(node, kind, vmid, true).await {
            Ok(upid) => {
                if let Err(e) = self.client.wait_task(&upid, None).await {
                    tracing::error!(vmid, error = %e, "could not remove the half-provisioned guest");
                }
            }
            Err(e) => {
                tracing::error!(vmid, error = %e, "could not remove the half-provisioned guest");
            }
        }
    }

    async fn stop_inner(
        &self,
        name: &str,
        options: StopOptions,
        ctx: &JobContext,
    ) -> Result<Environment, InfraError> {
        let guest = self.find(name).await?;
        let (node, kind, vmid) = (guest.node.clone(), guest.kind, guest.vmid);
        let status = self.client.guest_status(&node, kind, vmid).await?;
        if status.status == "stopped" {
            ctx.progress(1, Some(1), None, format!("{name} is already stopped"))
                .await;
            return self.environment(&guest).await;
        }
        let mut clean = false;
        if !options.force {
            ctx.progress(
                0,
                Some(2),
                None,
                format!(
                    "shutting down {name} (up to {} s)",
                    options.timeout.as_secs()
                ),
            )
            .await;
            let attempt = self
                .run_task(&node, Some(ctx), || {
                    self.client
                        .shutdown_guest(&node, kind, vmid, options.timeout)
                })
                .await;
            match attempt {
                Ok(_) => clean = true,
                Err(e @ InfraError::Job(_)) => return Err(e),
                Err(e) => {
                    ctx.log(
                        None,
                        relay_core::LogLevel::Warn,
                        format!("clean shutdown failed: {e}"),
                    )
                    .await;
                }
            }
        }
        if !clean {
            ctx.progress(1, Some(2), None, format!("stopping {name}"))
                .await;
            let stopped = self
                .run_task(&node, Some(ctx), || {
                    self.client.stop_guest(&node, kind, vmid)
                })
                .await;
            match stopped {
                Ok(_) => {}
                // Stopped meanwhile (e.g. the shutdown finished late): that is what we wanted.
                Err(InfraError::Api { message, .. }) if message.contains("not running") => {}
                Err(e) => return Err(e),
            }
        }
        ctx.progress(2, Some(2), None, format!("{name} is stopped"))
            .await;
        self.environment(&guest).await
    }

    async fn destroy_inner(&self, name: &str, ctx: &JobContext) -> Result<(), InfraError> {
        let guest = self.find(name).await?;
        let (node, kind, vmid) = (guest.node.clone(), guest.kind, guest.vmid);
        let status = self.client.guest_status(&node, kind, vmid).await?;
        if status.status == "running" {
            ctx.progress(0, Some(2), None, format!("stopping {name}"))
                .await;
            match self
                .run_task(&node, Some(ctx), || {
                    self.client.stop_guest(&node, kind, vmid)
                })
                .await
            {
                Ok(_) => {}
                Err(InfraError::Api { message, .. }) if message.contains("not running") => {}
                Err(e) => return Err(e),
            }
        }
        ctx.progress(
            1,
            Some(2),
            None,
            format!("destroying {} {vmid} with its disks", kind.as_str()),
        )
        .await;
        self.run_task(&node, Some(ctx), || {
            self.client.destroy_guest(&node, kind, vmid, true)
        })
        .await?;
        ctx.progress(2, Some(2), None, format!("{name} is gone"))
            .await;
        Ok(())
    }
}

/// Parameters for creating a guest with a profile.
///
/// PVE has no CPU reservation: the guest gets `cores = cores_max` to burst into and a scheduler
/// weight proportional to `cores`. QEMU memory balloons between the two bounds; an LXC container
/// gets the upper bound as its limit (containers have no minimum).
/// The error for a request whose answer was lost and of which PVE shows no trace.
fn nothing_happened(error: InfraError, what: &str) -> InfraError {
    match error {
        InfraError::Connect { url, message } => InfraError::Connect {
            url,
            message: format!(
                "{message}; the request was not sent again, and PVE shows no task for it: {what} (check with `relay env ls`, then try again)"
            ),
        },
        other => other,
    }
}

fn create_params(
    kind: GuestKind,
    name: &str,
    profile: &ResourceProfile,
    storage: &str,
    bridge: &str,
    tags: &str,
) -> Vec<(&'static str, String)> {
    let mut params = vec![
        (kind.name_key(), name.to_string()),
        ("cores", profile.cores_max.to_string()),
        ("cpuunits", (profile.cores * 512).to_string()),
        ("memory", profile.memory_max_mb.to_string()),
        ("tags", tags.to_string()),
    ];
    match kind {
        GuestKind::Lxc => {
            params.push(("swap", "512".to_string()));
            params.push(("rootfs", format!("{storage}:{}", profile.root_disk_gb)));
            if profile.workspace_disk_gb > 0 {
                params.push((
                    "mp0",
                    format!("{storage}:{},mp=/workspace", profile.workspace_disk_gb),
                ));
            }
            params.push(("net0", format!("name=eth0,bridge={bridge},ip=dhcp")));
            params.push(("unprivileged", "1".to_string()));
        }
        GuestKind::Qemu => {
            params.push(("balloon", profile.memory_mb.to_string()));
            params.push(("scsi0", format!("{storage}:{}", profile.root_disk_gb)));
            if profile.workspace_disk_gb > 0 {
                params.push(("scsi1", format!("{storage}:{}", profile.workspace_disk_gb)));
            }
            params.push(("net0", format!("virtio,bridge={bridge}")));
            params.push(("agent", "1".to_string()));
        }
    }
    params
}

/// Profile settings applied to a fresh clone (the template's root disk is kept as it is).
fn clone_config(
    kind: GuestKind,
    profile: &ResourceProfile,
    storage: &str,
) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("cores", profile.cores_max.to_string()),
        ("cpuunits", (profile.cores * 512).to_string()),
        ("memory", profile.memory_max_mb.to_string()),
    ];
    match kind {
        GuestKind::Lxc => {
            if profile.workspace_disk_gb > 0 {
                params.push((
                    "mp0",
                    format!("{storage}:{},mp=/workspace", profile.workspace_disk_gb),
                ));
            }
        }
        GuestKind::Qemu => {
            params.push(("balloon", profile.memory_mb.to_string()));
            params.push(("agent", "1".to_string()));
            if profile.workspace_disk_gb > 0 {
                params.push(("scsi1", format!("{storage}:{}", profile.workspace_disk_gb)));
            }
        }
    }
    params
}

fn env_status(status: &str, lock: Option<&str>) -> EnvStatus {
    if matches!(lock, Some("create") | Some("clone")) {
        return EnvStatus::Provisioning;
    }
    match status {
        "running" => EnvStatus::Running,
        "stopped" => EnvStatus::Stopped,
        "paused" | "suspended" => EnvStatus::Paused,
        _ => EnvStatus::Unknown,
    }
}

fn profile_of(guest: &ClusterGuest) -> Option<String> {
    guest
        .tags
        .iter()
        .find_map(|t| t.strip_prefix(PROFILE_TAG_PREFIX))
        .map(|p| p.replace('-', "_"))
}

#[async_trait]
impl InfraProvider for ProxmoxProvider {
    fn provider_name(&self) -> &'static str {
        "proxmox"
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
            let guest = this.find(&name).await?;
            let status = this
                .client
                .guest_status(&guest.node, guest.kind, guest.vmid)
                .await?;
            if status.status != "running" {
                ctx.progress(0, Some(1), None, format!("starting {name}"))
                    .await;
                this.run_task(&guest.node, Some(&ctx), || {
                    this.client.start_guest(&guest.node, guest.kind, guest.vmid)
                })
                .await?;
            }
            ctx.progress(1, Some(1), None, format!("{name} is running"))
                .await;
            this.environment(&guest).await
        })
    }

    fn stop(&self, name: &str, options: StopOptions) -> Job<Environment, InfraError> {
        let (this, name) = (self.clone(), name.to_string());
        Job::spawn("env_stop", move |ctx| async move {
            this.stop_inner(&name, options, &ctx).await
        })
    }

    async fn status(&self, name: &str) -> Result<Environment, InfraError> {
        let guest = self.find(name).await?;
        self.environment(&guest).await
    }

    async fn list(&self) -> Result<Vec<Environment>, InfraError> {
        let guests = self.client.cluster_guests().await?;
        Ok(guests
            .iter()
            .filter(|g| g.tags.iter().any(|t| t == RELAY_TAG) && !g.template)
            .map(|g| Environment {
                name: g.name.clone(),
                provider: "proxmox".to_string(),
                kind: g.kind.env_kind(),
                id: g.vmid.to_string(),
                node: Some(g.node.clone()),
                status: env_status(&g.status, g.lock.as_deref()),
                lock: g.lock.clone(),
                profile: profile_of(g),
                cores: g.maxcpu,
                memory_mb: g.maxmem.map(|b| b / (1024 * 1024)),
                uptime_secs: g.uptime.filter(|u| *u > 0),
            })
            .collect())
    }

    async fn exec(&self, name: &str, request: ExecRequest) -> Result<ExecOutput, InfraError> {
        if request.command.is_empty() {
            return Err(InfraError::InvalidRequest(
                "no command given; pass it after `--`".to_string(),
            ));
        }
        let guest = self.find(name).await?;
        match guest.kind {
            GuestKind::Lxc => Err(InfraError::Unsupported(format!(
                "`{name}` is an LXC container, and the Proxmox API has no way to run commands in containers; \
                 run them over SSH (`ssh root@<container address> CMD`) or use a QEMU environment with the guest agent. \
                 Relay does not run LXC commands over SSH yet"
            ))),
            GuestKind::Qemu => {
                let command = match &request.cwd {
                    Some(dir) => {
                        let mut c = vec![
                            "sh".to_string(),
                            "-c".to_string(),
                            "cd \"$0\" && exec \"$@\"".to_string(),
                            dir.clone(),
                        ];
                        c.extend(request.command.iter().cloned());
                        c
                    }
                    None => request.command.clone(),
                };
                self.client
                    .agent_exec(
                        &guest.node,
                        guest.vmid,
                        &command,
                        request.stdin.as_deref(),
                        request.timeout,
                    )
                    .await
            }
        }
    }

    fn snapshot(&self, name: &str, snapshot: &str) -> Job<SnapshotInfo, InfraError> {
        let (this, name, snap) = (self.clone(), name.to_string(), snapshot.to_string());
        Job::spawn("env_snapshot", move |ctx| async move {
            validate_snapshot_name(&snap)?;
            let g = this.find(&name).await?;
            ctx.progress(
                0,
                Some(1),
                None,
                format!("taking snapshot {snap} of {name}"),
            )
            .await;
            let permit = this.client.node_permit(&g.node).await;
            let since = now_epoch();
            let upid = match this
                .client
                .snapshot_create(&g.node, g.kind, g.vmid, &snap, "taken by relay")
                .await
            {
                Ok(upid) => Some(upid),
                // The answer was lost: look whether PVE took it before deciding anything.
                Err(e) if answer_lost(&e) => {
                    let sent = Sent::Snapshot {
                        kind: g.kind,
                        vmid: g.vmid,
                        name: snap.clone(),
                    };
                    match this.client.find_outcome(&g.node, &sent, since).await {
                        Ok(Found::Task(upid)) => Some(upid),
                        Ok(Found::Done) => None,
                        _ => {
                            return Err(nothing_happened(
                                e,
                                &format!("no snapshot {snap} was taken"),
                            ));
                        }
                    }
                }
                Err(e) => return Err(e),
            };
            if let Some(upid) = upid {
                this.client.wait_task(&upid, Some(&ctx)).await?;
            }
            drop(permit);
            ctx.progress(1, Some(1), None, format!("snapshot {snap} taken"))
                .await;
            let list = this.client.snapshot_list(&g.node, g.kind, g.vmid).await?;
            list.into_iter().find(|s| s.name == snap).ok_or_else(|| {
                InfraError::InvalidRequest(format!("snapshot {snap} finished but is not listed"))
            })
        })
    }

    async fn snapshots(&self, name: &str) -> Result<Vec<SnapshotInfo>, InfraError> {
        let g = self.find(name).await?;
        self.client.snapshot_list(&g.node, g.kind, g.vmid).await
    }

    fn rollback(&self, name: &str, snapshot: &str) -> Job<Environment, InfraError> {
        let (this, name, snap) = (self.clone(), name.to_string(), snapshot.to_string());
        Job::spawn("env_rollback", move |ctx| async move {
            validate_snapshot_name(&snap)?;
            let g = this.find(&name).await?;
            ctx.progress(0, Some(1), None, format!("rolling {name} back to {snap}"))
                .await;
            this.run_task(&g.node, Some(&ctx), || {
                this.client
                    .snapshot_rollback(&g.node, g.kind, g.vmid, &snap)
            })
            .await?;
            ctx.progress(1, Some(1), None, format!("{name} is back at {snap}"))
                .await;
            this.environment(&g).await
        })
    }

    fn delete_snapshot(&self, name: &str, snapshot: &str) -> Job<(), InfraError> {
        let (this, name, snap) = (self.clone(), name.to_string(), snapshot.to_string());
        Job::spawn("env_delete_snapshot", move |ctx| async move {
            validate_snapshot_name(&snap)?;
            let g = this.find(&name).await?;
            ctx.progress(
                0,
                Some(1),
                None,
                format!("deleting snapshot {snap} of {name}"),
            )
            .await;
            this.run_task(&g.node, Some(&ctx), || {
                this.client.snapshot_delete(&g.node, g.kind, g.vmid, &snap)
            })
            .await?;
            ctx.progress(1, Some(1), None, format!("snapshot {snap} deleted"))
                .await;
            Ok(())
        })
    }

    fn destroy(&self, name: &str) -> Job<(), InfraError> {
        let (this, name) = (self.clone(), name.to_string());
        Job::spawn("env_destroy", move |ctx| async move {
            this.destroy_inner(&name, &ctx).await
        })
    }
}
