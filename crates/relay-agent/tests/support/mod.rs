//! Shared helpers for tests that drive the real `claude` CLI against the fake Anthropic API.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use relay_agent::claude::{ClaudeCodeAgent, ClaudeCodeAgentBuilder};
use relay_core::agent::{AgentContext, AgentEvent};
use relay_testkit::anthropic::{FakeAnthropic, Script};
use relay_testkit::claude_cli::{claude_bin, claude_env};

/// A fake API, a private CLI home and a git repository for one test.
pub struct Harness {
    pub server: FakeAnthropic,
    pub home: tempfile::TempDir,
    pub repo: PathBuf,
    _repo_dir: tempfile::TempDir,
}

impl Harness {
    /// A harness whose script may name files in the repository (passed to `script`).
    pub async fn new(script: impl FnOnce(&Path) -> Script) -> Self {
        // Where PID 1 does not reap orphans, the test process must, or killed tool processes
        // would linger as zombies and the process-table checks could not tell.
        relay_agent::become_child_subreaper();
        let home = tempfile::tempdir().expect("home dir");
        let repo_dir = tempfile::tempdir().expect("repo dir");
        let repo = repo_dir.path().canonicalize().unwrap().join("repo");
        std::fs::create_dir(&repo).unwrap();
        init_git_repo(&repo);
        let server = FakeAnthropic::start(script(&repo))
            .await
            .expect("start fake API");
        Self {
            server,
            home,
            repo,
            _repo_dir: repo_dir,
        }
    }

    /// An agent builder wired to the fake API (policy and timeouts left to the test).
    pub fn agent(&self) -> ClaudeCodeAgentBuilder {
        let mut builder = ClaudeCodeAgent::builder().binary(claude_bin());
        for (k, v) in claude_env(&self.server.url(), self.home.path()) {
            builder = builder.env(k, v);
        }
        builder
    }
}

pub fn init_git_repo(path: &Path) {
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(path)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            // No background auto-gc: it would outlive the command as an orphan of this
            // (subreaper) test process and muddle the process-table checks.
            .env("GIT_CONFIG_COUNT", "2")
            .env("GIT_CONFIG_KEY_0", "gc.auto")
            .env("GIT_CONFIG_VALUE_0", "0")
            .env("GIT_CONFIG_KEY_1", "maintenance.auto")
            .env("GIT_CONFIG_VALUE_1", "false")
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?} failed");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(path.join("README.md"), "test repo\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "init"]);
}

/// Collects every event of a run.
#[derive(Clone, Default)]
pub struct Recorder {
    events: Arc<Mutex<Vec<AgentEvent>>>,
}

impl Recorder {
    pub fn context(&self) -> AgentContext {
        let events = self.events.clone();
        AgentContext::new(move |e| events.lock().unwrap().push(e))
    }
    pub fn events(&self) -> Vec<AgentEvent> {
        self.events.lock().unwrap().clone()
    }
}

/// A process seen in /proc.
#[derive(Debug, Clone)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub comm: String,
    pub state: char,
    pub cmdline: String,
}

/// Processes (excluding this one) whose working directory is `dir` or below it.
pub fn processes_in(dir: &Path) -> Vec<ProcInfo> {
    let me = std::process::id() as i32;
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if cwd.starts_with(dir)
            && let Some(info) = proc_info(pid)
        {
            found.push(info);
        }
    }
    found
}

/// The process with this pid, if any entry (even a zombie) is left in /proc.
pub fn proc_info(pid: i32) -> Option<ProcInfo> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(") ")?;
    let comm = head.split_once(" (")?.1.to_string();
    let state = rest.chars().next()?;
    let ppid = rest.split(' ').nth(1)?.parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default();
    Some(ProcInfo {
        pid,
        ppid,
        comm,
        state,
        cmdline,
    })
}

/// Waits up to `secs` for `predicate`, polling.
pub async fn eventually(secs: u64, mut predicate: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if predicate() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    predicate()
}
