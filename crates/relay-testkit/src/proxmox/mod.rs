//! A fake Proxmox VE API server owned by the tests.
//!
//! It speaks HTTPS with a certificate from a CA the test makes, answers with PVE's shapes
//! (`{"data": ...}`, `{"errors": {...}}`, the error text in the HTTP reason phrase), runs worker
//! tasks whose UPIDs move from `running` to `stopped` with an exit status and a task log, keeps
//! locks, and can be scripted to race for ids, expire tickets, refuse tokens and fail requests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let pve = relay_testkit::proxmox::FakeProxmox::builder()
//!     .token("root@pam!relay", "s3cret")
//!     .start()
//!     .await?;
//! println!("{} trusts {}", pve.url(), pve.fingerprint());
//! # Ok(()) }
//! ```

mod agent;
mod api;
mod auth;
mod guests;
mod request;
mod server;
mod state;
mod tasks;
mod tls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::TcpListener;

pub use state::{GuestKind, RecordedRequest};
pub use tls::TestCertificates;

use state::{Fault, Guest, Lock, Stall, State, TaskOutcome};

/// Configures a [`FakeProxmox`] before it starts.
#[derive(Debug, Clone)]
pub struct FakeProxmoxBuilder {
    node: String,
    tokens: Vec<(String, String)>,
    users: Vec<(String, String)>,
    task_duration: Duration,
    port: u16,
}

impl FakeProxmoxBuilder {
    /// The node name (default `pve`).
    pub fn node(mut self, node: impl Into<String>) -> Self {
        self.node = node.into();
        self
    }

    /// Accepts an API token `user@realm!name` with this secret.
    pub fn token(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.tokens.push((id.into(), secret.into()));
        self
    }

    /// Accepts a user `user@realm` with this password for ticket logins.
    pub fn user(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((user.into(), password.into()));
        self
    }

    /// How long each worker task runs before it stops (default 150 ms).
    pub fn task_duration(mut self, duration: Duration) -> Self {
        self.task_duration = duration;
        self
    }

    /// Listens on this port on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Makes the certificates and starts listening.
    pub async fn start(self) -> std::io::Result<FakeProxmox> {
        let certs = TestCertificates::generate().map_err(std::io::Error::other)?;
        let config = certs.server_config().map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let agent_dir = std::env::temp_dir().join(format!(
            "relay-fake-pve-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&agent_dir)?;
        let mut state = State::new(&self.node, agent_dir.clone());
        state.tokens.extend(self.tokens);
        state.users.extend(self.users);
        state.task_duration = self.task_duration;
        let shared = Arc::new(Mutex::new(state));
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let server = server::serve(listener, acceptor, Arc::clone(&shared));
        Ok(FakeProxmox {
            url: format!("https://127.0.0.1:{}", addr.port()),
            node: self.node,
            certs,
            shared,
            server,
            agent_dir,
        })
    }
}

/// What a test can see of one guest.
#[derive(Debug, Clone)]
pub struct GuestView {
    /// LXC or QEMU.
    pub kind: GuestKind,
    /// Hostname (LXC) or name (QEMU).
    pub name: String,
    /// Whether it runs.
    pub running: bool,
    /// The lock held, if any.
    pub lock: Option<String>,
    /// Snapshot names, oldest first.
    pub snapshots: Vec<String>,
    /// The snapshot the current state derives from.
    pub parent: Option<String>,
    /// Configuration values as strings.
    pub config: BTreeMap<String, String>,
}

/// A running fake PVE server; stops when dropped.
pub struct FakeProxmox {
    url: String,
    node: String,
    certs: TestCertificates,
    shared: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
    agent_dir: PathBuf,
}

impl Drop for FakeProxmox {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.agent_dir);
    }
}

impl FakeProxmox {
    /// A builder with node `pve` and no credentials.
    pub fn builder() -> FakeProxmoxBuilder {
        FakeProxmoxBuilder {
            node: "pve".to_string(),
            tokens: Vec::new(),
            users: Vec::new(),
            task_duration: Duration::from_millis(150),
            port: 0,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.shared.lock().expect("fake state lock");
        state.advance();
        state
    }

    /// Base URL, e.g. `https://127.0.0.1:34567` (the API is under `/api2/json`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The node name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The test CA in PEM.
    pub fn ca_pem(&self) -> &str {
        &self.certs.ca_pem
    }

    /// Writes the test CA to `dir/pve-root-ca.pem` and returns the path.
    pub fn write_ca_file(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join("pve-root-ca.pem");
        std::fs::write(&path, &self.certs.ca_pem)?;
        Ok(path)
    }

    /// SHA-256 fingerprint of the server certificate (`AB:CD:...`).
    pub fn fingerprint(&self) -> String {
        self.certs.server_fingerprint()
    }

    /// Adds a stopped guest (a template when `template`), with `agent: 1` for QEMU.
    pub fn add_guest(&self, kind: GuestKind, vmid: u32, name: &str, template: bool) {
        let mut config = BTreeMap::new();
        config.insert(kind.name_key().to_string(), json!(name));
        config.insert("cores".to_string(), json!("1"));
        config.insert("memory".to_string(), json!("512"));
        match kind {
            GuestKind::Lxc => {
                config.insert(
                    "rootfs".into(),
                    json!(format!("local-lvm:vm-{vmid}-disk-0,size=8G")),
                );
            }
            GuestKind::Qemu => {
                config.insert(
                    "scsi0".into(),
                    json!(format!("local-lvm:vm-{vmid}-disk-0,size=8G")),
                );
                config.insert("agent".into(), json!("1"));
            }
        }
        let node = self.node.clone();
        self.state().guests.insert(
            vmid,
            Guest {
                template,
                ..Guest::new(vmid, kind, node, config)
            },
        );
    }

    /// Sets a configuration value of a guest (e.g. `agent` = `0`).
    pub fn set_guest_config(&self, vmid: u32, key: &str, value: &str) {
        if let Some(g) = self.state().guests.get_mut(&vmid) {
            g.config.insert(key.to_string(), json!(value));
        }
    }

    /// Locks a guest (as a backup would); the lock goes away after refusing `refusals` requests.
    pub fn lock_guest(&self, vmid: u32, lock: &str, refusals: u32) {
        if let Some(g) = self.state().guests.get_mut(&vmid) {
            g.lock = Some(Lock {
                name: lock.to_string(),
                refusals_left: Some(refusals),
            });
        }
    }

    /// Makes a guest ignore clean shutdown requests (no ACPI, hung init).
    pub fn ignore_shutdown(&self, vmid: u32) {
        if let Some(g) = self.state().guests.get_mut(&vmid) {
            g.ignores_shutdown = true;
        }
    }

    /// Fails the next `times` requests whose path contains `path_contains` (and method, if
    /// given) with `status` and the reason phrase `reason`.
    pub fn fail_requests(
        &self,
        method: Option<&str>,
        path_contains: &str,
        status: u16,
        reason: &str,
        times: u32,
    ) {
        self.state().faults.push(Fault {
            method: method.map(str::to_string),
            path_contains: path_contains.to_string(),
            status,
            reason: reason.to_string(),
            errors: None,
            times,
        });
    }

    /// Carries out the next `times` requests with `method` whose path contains `path_contains`
    /// (the guest is created, the task started) but never answers them, as when PVE accepted a
    /// request and the answer was lost: the client's request times out.
    pub fn stall_replies(&self, method: &str, path_contains: &str, times: u32) {
        self.state().stalls.push(Stall {
            method: method.to_string(),
            path_contains: path_contains.to_string(),
            times,
        });
    }

    /// Ends the next task of `task_type` (e.g. `vzstart`) with `exit_status` and extra log lines.
    pub fn script_task_outcome(&self, task_type: &str, exit_status: &str, log: &[&str]) {
        self.state().outcomes.push_back(TaskOutcome {
            task_type: task_type.to_string(),
            exit_status: exit_status.to_string(),
            log: log.iter().map(|s| s.to_string()).collect(),
        });
    }

    /// The next `times` calls of `/cluster/nextid` hand out an id that another client takes
    /// right away, so the following create fails with "already exists".
    pub fn race_next_ids(&self, times: u32) {
        self.state().id_races += times;
    }

    /// Sets how long new tasks run.
    pub fn set_task_duration(&self, duration: Duration) {
        self.state().task_duration = duration;
    }

    /// Sets how long new tasks of one type run.
    pub fn set_task_duration_for(&self, task_type: &str, duration: Duration) {
        self.state()
            .task_durations
            .insert(task_type.to_string(), duration);
    }

    /// Makes every ticket issued so far expired.
    pub fn expire_tickets(&self) {
        let mut state = self.state();
        let old = Instant::now().checked_sub(state.ticket_lifetime + Duration::from_secs(1));
        if let Some(old) = old {
            for t in state.tickets.values_mut() {
                t.issued = old;
            }
        }
    }

    /// Ages every ticket by `age` (renewal happens before the two-hour expiry).
    pub fn age_tickets(&self, age: Duration) {
        for t in self.state().tickets.values_mut() {
            if let Some(earlier) = t.issued.checked_sub(age) {
                t.issued = earlier;
            }
        }
    }

    /// Tickets handed out so far (logins plus renewals).
    pub fn tickets_issued(&self) -> u32 {
        self.state().tickets_issued
    }

    /// The guest with this id.
    pub fn guest(&self, vmid: u32) -> Option<GuestView> {
        let state = self.state();
        let g = state.guests.get(&vmid)?;
        Some(GuestView {
            kind: g.kind,
            name: g.name(),
            running: g.running,
            lock: g.lock.as_ref().map(|l| l.name.clone()),
            snapshots: g.snapshots.iter().map(|s| s.name.clone()).collect(),
            parent: g.parent.clone(),
            config: g
                .config
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
        })
    }

    /// Ids of all guests.
    pub fn guest_ids(&self) -> Vec<u32> {
        self.state().guests.keys().copied().collect()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// UPIDs of all tasks, oldest first.
    pub fn task_upids(&self) -> Vec<String> {
        self.state().task_order.clone()
    }

    /// When a task stops (or stopped).
    pub fn task_end(&self, upid: &str) -> Option<Instant> {
        self.state().tasks.get(upid).map(|t| t.ends_at())
    }

    /// How often a task's status was asked for.
    pub fn task_status_polls(&self, upid: &str) -> u32 {
        self.state()
            .tasks
            .get(upid)
            .map(|t| t.status_polls)
            .unwrap_or(0)
    }

    /// The most tasks that ran at once on a node.
    pub fn max_concurrent_tasks(&self, node: &str) -> usize {
        self.state()
            .max_concurrent_tasks
            .get(node)
            .copied()
            .unwrap_or(0)
    }

    /// Starts a task of `task_type` with no effect that runs for `duration` (for latency
    /// benches) and returns its UPID.
    pub fn start_bench_task(&self, task_type: &str, duration: Duration) -> String {
        let mut state = self.state();
        let node = self.node.clone();
        let saved = state.task_durations.insert(task_type.to_string(), duration);
        let upid = state.start_task(
            &node,
            task_type,
            None,
            "root@pam",
            vec!["working".into()],
            None,
            false,
        );
        match saved {
            Some(d) => state.task_durations.insert(task_type.to_string(), d),
            None => state.task_durations.remove(task_type),
        };
        upid
    }
}
