//! The fake cluster's state: guests, tasks, tickets, tokens and scripted faults.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Guest type, as in PVE paths (`/nodes/{node}/lxc`, `/nodes/{node}/qemu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestKind {
    /// An LXC container.
    Lxc,
    /// A QEMU virtual machine.
    Qemu,
}

impl GuestKind {
    /// The path segment and resource type (`lxc` or `qemu`).
    pub fn as_str(self) -> &'static str {
        match self {
            GuestKind::Lxc => "lxc",
            GuestKind::Qemu => "qemu",
        }
    }

    /// How PVE names the guest in messages (`CT 100`, `VM 100`).
    pub fn label(self) -> &'static str {
        match self {
            GuestKind::Lxc => "CT",
            GuestKind::Qemu => "VM",
        }
    }

    /// The config key holding the guest's name (`hostname` for LXC, `name` for QEMU).
    pub(crate) fn name_key(self) -> &'static str {
        match self {
            GuestKind::Lxc => "hostname",
            GuestKind::Qemu => "name",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "lxc" => Some(GuestKind::Lxc),
            "qemu" => Some(GuestKind::Qemu),
            _ => None,
        }
    }
}

/// A request pattern whose next `times` matches are handled but never answered.
#[derive(Clone, Debug)]
pub(crate) struct Stall {
    pub method: String,
    pub path_contains: String,
    pub times: u32,
}

/// A lock held on a guest.
#[derive(Clone, Debug)]
pub(crate) struct Lock {
    pub name: String,
    /// Refusals left before the lock goes away by itself; `None` while a task holds it.
    pub refusals_left: Option<u32>,
}

/// One snapshot of a guest.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub name: String,
    pub description: String,
    pub snaptime: u64,
    pub parent: Option<String>,
}

/// One guest (container or VM).
#[derive(Clone, Debug)]
pub(crate) struct Guest {
    pub vmid: u32,
    pub kind: GuestKind,
    pub node: String,
    pub running: bool,
    pub started_at: Option<Instant>,
    pub template: bool,
    pub config: BTreeMap<String, Value>,
    pub snapshots: Vec<Snapshot>,
    pub parent: Option<String>,
    pub lock: Option<Lock>,
    pub ignores_shutdown: bool,
}

impl Guest {
    /// A stopped, unlocked, non-template guest with no snapshots.
    pub fn new(vmid: u32, kind: GuestKind, node: String, config: BTreeMap<String, Value>) -> Self {
        Guest {
            vmid,
            kind,
            node,
            running: false,
            started_at: None,
            template: false,
            config,
            snapshots: Vec::new(),
            parent: None,
            lock: None,
            ignores_shutdown: false,
        }
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.kind.label(), self.vmid)
    }

    pub fn name(&self) -> String {
        self.config
            .get(self.kind.name_key())
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}{}", self.kind.label(), self.vmid))
    }

    pub fn agent_enabled(&self) -> bool {
        self.config
            .get("agent")
            .and_then(Value::as_str)
            .map(|a| a == "1" || a.starts_with("1,") || a.contains("enabled=1"))
            .unwrap_or(false)
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// What happens to the cluster when a task ends successfully.
pub(crate) type Effect = Box<dyn FnOnce(&mut BTreeMap<u32, Guest>) + Send>;

/// One worker task.
pub(crate) struct Task {
    pub upid: String,
    pub node: String,
    pub kind: String,
    pub guest: Option<u32>,
    pub started: Instant,
    pub duration: Duration,
    pub exit_status: String,
    pub log: Vec<String>,
    pub effect: Option<Effect>,
    /// Removes the guest when the task fails (a failed create leaves nothing behind).
    pub remove_guest_on_failure: bool,
    pub finalized: bool,
    pub status_polls: u32,
}

impl Task {
    pub fn ends_at(&self) -> Instant {
        self.started + self.duration
    }

    pub fn is_running(&self, now: Instant) -> bool {
        now < self.ends_at()
    }
}

/// A scripted outcome for the next task of a type.
#[derive(Clone, Debug)]
pub(crate) struct TaskOutcome {
    pub task_type: String,
    pub exit_status: String,
    pub log: Vec<String>,
}

/// A scripted HTTP failure.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    pub method: Option<String>,
    pub path_contains: String,
    pub status: u16,
    pub reason: String,
    pub errors: Option<Value>,
    pub times: u32,
}

/// A login session.
#[derive(Clone, Debug)]
pub(crate) struct Ticket {
    pub user: String,
    pub csrf: String,
    pub issued: Instant,
}

/// Result of a guest-agent command.
#[derive(Clone, Debug, Default)]
pub(crate) struct AgentProcess {
    pub exited: bool,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub out: String,
    pub err: String,
}

/// One request as the server saw it, for assertions.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path below `/api2/json`.
    pub path: String,
    /// `token`, `ticket` or `none`.
    pub auth: &'static str,
    /// Whether a `CSRFPreventionToken` header was sent.
    pub csrf_header: bool,
    /// Status code answered.
    pub status: u16,
}

/// Everything the fake knows.
pub(crate) struct State {
    pub nodes: Vec<String>,
    pub guests: BTreeMap<u32, Guest>,
    pub tasks: HashMap<String, Task>,
    pub task_order: Vec<String>,
    pub tokens: HashMap<String, String>,
    pub users: HashMap<String, String>,
    pub tickets: HashMap<String, Ticket>,
    pub tickets_issued: u32,
    pub ticket_lifetime: Duration,
    pub task_duration: Duration,
    pub task_durations: HashMap<String, Duration>,
    pub outcomes: VecDeque<TaskOutcome>,
    pub faults: Vec<Fault>,
    /// Requests that are carried out but whose answer never comes.
    pub stalls: Vec<Stall>,
    pub id_races: u32,
    pub templates: Vec<String>,
    pub agent: HashMap<u64, AgentProcess>,
    pub next_pid: u64,
    pub next_task_pid: u32,
    pub requests: Vec<RecordedRequest>,
    pub max_concurrent_tasks: HashMap<String, usize>,
    pub agent_dir: std::path::PathBuf,
}

impl State {
    pub fn new(node: &str, agent_dir: std::path::PathBuf) -> Self {
        Self {
            nodes: vec![node.to_string()],
            guests: BTreeMap::new(),
            tasks: HashMap::new(),
            task_order: Vec::new(),
            tokens: HashMap::new(),
            users: HashMap::new(),
            tickets: HashMap::new(),
            tickets_issued: 0,
            ticket_lifetime: Duration::from_secs(7200),
            task_duration: Duration::from_millis(150),
            task_durations: HashMap::new(),
            outcomes: VecDeque::new(),
            faults: Vec::new(),
            stalls: Vec::new(),
            id_races: 0,
            templates: vec![
                "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst".to_string(),
                "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst".to_string(),
            ],
            agent: HashMap::new(),
            next_pid: 1000,
            next_task_pid: 0x1a2b,
            requests: Vec::new(),
            max_concurrent_tasks: HashMap::new(),
            agent_dir,
        }
    }

    /// Finishes every task whose time is up: applies its effect, releases its lock.
    pub fn advance(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .task_order
            .iter()
            .filter(|u| {
                let t = &self.tasks[*u];
                !t.finalized && !t.is_running(now)
            })
            .cloned()
            .collect();
        for upid in due {
            let task = self.tasks.get_mut(&upid).expect("task listed");
            task.finalized = true;
            let ok = task.exit_status == "OK" || task.exit_status.starts_with("WARNINGS");
            let effect = task.effect.take();
            let guest = task.guest;
            let remove = task.remove_guest_on_failure && !ok;
            if let Some(vmid) = guest
                && let Some(g) = self.guests.get_mut(&vmid)
                && g.lock.as_ref().is_some_and(|l| l.refusals_left.is_none())
            {
                g.lock = None;
            }
            if ok {
                if let Some(effect) = effect {
                    effect(&mut self.guests);
                }
            } else if remove && let Some(vmid) = guest {
                self.guests.remove(&vmid);
            }
        }
    }

    /// Starts a worker task and returns its UPID.
    #[allow(clippy::too_many_arguments)]
    pub fn start_task(
        &mut self,
        node: &str,
        kind: &str,
        guest: Option<u32>,
        user: &str,
        log: Vec<String>,
        effect: Option<Effect>,
        remove_guest_on_failure: bool,
    ) -> String {
        let now = Instant::now();
        let running_on_node = self
            .tasks
            .values()
            .filter(|t| t.node == node && t.is_running(now))
            .count()
            + 1;
        let max = self
            .max_concurrent_tasks
            .entry(node.to_string())
            .or_default();
        *max = (*max).max(running_on_node);

        self.next_task_pid += 1;
        let epoch = now_epoch();
        let pstart = 0x0100_0000u32 + self.task_order.len() as u32;
        let id = guest.map(|g| g.to_string()).unwrap_or_default();
        let upid = format!(
            "UPID:{node}:{:08X}:{pstart:08X}:{epoch:08X}:{kind}:{id}:{user}:",
            self.next_task_pid
        );
        let mut exit_status = "OK".to_string();
        let mut log = log;
        if let Some(pos) = self.outcomes.iter().position(|o| o.task_type == kind) {
            let outcome = self.outcomes.remove(pos).expect("position exists");
            exit_status = outcome.exit_status;
            log.extend(outcome.log);
        }
        if exit_status == "OK" {
            log.push("TASK OK".to_string());
        } else if exit_status.starts_with("WARNINGS") {
            log.push(format!("TASK {exit_status}"));
        } else {
            log.push(format!("TASK ERROR: {exit_status}"));
        }
        let duration = self
            .task_durations
            .get(kind)
            .copied()
            .unwrap_or(self.task_duration);
        self.tasks.insert(
            upid.clone(),
            Task {
                upid: upid.clone(),
                node: node.to_string(),
                kind: kind.to_string(),
                guest,
                started: now,
                duration,
                exit_status,
                log,
                effect,
                remove_guest_on_failure,
                finalized: false,
                status_polls: 0,
            },
        );
        self.task_order.push(upid.clone());
        upid
    }
}
