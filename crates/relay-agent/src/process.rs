//! Agent processes: spawned directly (never through a shell) in their own process group, so a
//! cancel or timeout kills the agent and everything it started; stderr is kept as a short tail
//! for error messages.

use std::collections::VecDeque;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use relay_core::agent::AgentError;
use relay_process::GroupGuard;
use relay_process::tree::{self, Member};

const STDERR_TAIL_LINES: usize = 20;
const STDERR_LINE_MAX: usize = 2000;

/// A spawned agent process and its process group.
pub(crate) struct AgentProcess {
    child: Child,
    pgid: i32,
    program: String,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_task: Option<tokio::task::JoinHandle<()>>,
    /// Keeps the group in the table `relay_process::kill_all` works on.
    _group: GroupGuard,
}

impl AgentProcess {
    /// Spawns `program args` in `cwd` as the leader of a new process group with piped stdio.
    /// Each stderr line also goes to `on_stderr` when given.
    pub(crate) fn spawn(
        program: &Path,
        args: &[String],
        cwd: &Path,
        env: &[(String, String)],
        on_stderr: Option<Box<dyn Fn(String) + Send + Sync>>,
    ) -> Result<Self, AgentError> {
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(cwd)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Its own process group, a parent-death signal, the owner token (relay_process).
        let (mut child, group) =
            relay_process::spawn(command).map_err(|source| AgentError::Io {
                action: "start",
                program: program.display().to_string(),
                source,
            })?;
        let pgid = child.id().map(|id| id as i32).unwrap_or(0);
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_task = child.stderr.take().map(|stderr| {
            let tail = stderr_tail.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stderr);
                // Lines are cut while they are read: a child that writes gigabytes without a
                // newline costs STDERR_LINE_MAX bytes here, not gigabytes.
                while let Some(line) = read_capped_line(&mut reader, STDERR_LINE_MAX).await {
                    if let Some(callback) = &on_stderr {
                        callback(line.clone());
                    }
                    let mut tail = tail.lock().expect("stderr tail lock");
                    if tail.len() == STDERR_TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            })
        });
        Ok(Self {
            child,
            pgid,
            program: program.display().to_string(),
            stderr_tail,
            stderr_task,
            _group: group,
        })
    }

    /// The process id of the agent (also its process group id).
    pub(crate) fn pid(&self) -> i32 {
        self.pgid
    }

    /// Takes the stdin pipe.
    pub(crate) fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }

    /// Takes the stdout pipe.
    pub(crate) fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// The last lines of stderr, joined.
    pub(crate) fn stderr_tail(&self) -> String {
        let tail = self.stderr_tail.lock().expect("stderr tail lock");
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Waits for the stderr reader to drain (bounded), so the tail is complete.
    pub(crate) async fn drain_stderr(&mut self) {
        if let Some(task) = self.stderr_task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
    }

    /// Waits for the process to exit on its own for up to `grace`, then kills the tree.
    /// Always cleans up afterwards: whatever the agent started and left running is killed and
    /// reaped.
    pub(crate) async fn finish(&mut self, grace: Duration) -> Result<ExitStatus, AgentError> {
        // Taken before the exit: afterwards, leftovers are no longer linked to the agent.
        let leftovers = tree::descendants(self.pgid);
        let status = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => status.map_err(|source| self.io_error("wait for", source))?,
            Err(_) => {
                tracing::warn!(
                    pid = self.pgid,
                    "agent did not exit in time; killing its process group"
                );
                return self.kill_group().await;
            }
        };
        kill_group(self.pgid);
        tree::kill_members(&leftovers);
        reap_group(self.pgid).await;
        tree::reap_members(&leftovers).await;
        self.drain_stderr().await;
        Ok(status)
    }

    /// Kills the agent and every process under it (its own group and the groups its tools
    /// created) with SIGKILL, then reaps them: no orphan, no zombie.
    pub(crate) async fn kill_group(&mut self) -> Result<ExitStatus, AgentError> {
        let members: Vec<Member> = if matches!(self.child.try_wait(), Ok(None)) {
            tree::freeze(self.pgid)
        } else {
            Vec::new()
        };
        kill_group(self.pgid);
        tree::kill_members(&members);
        let status = self
            .child
            .wait()
            .await
            .map_err(|source| self.io_error("wait for", source))?;
        reap_group(self.pgid).await;
        tree::reap_members(&members).await;
        self.drain_stderr().await;
        Ok(status)
    }

    fn io_error(&self, action: &'static str, source: std::io::Error) -> AgentError {
        AgentError::Io {
            action,
            program: self.program.clone(),
            source,
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        // A run dropped mid-way (its future cancelled) must not leave processes behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let members = tree::freeze(self.pgid);
            kill_group(self.pgid);
            tree::kill_members(&members);
        }
    }
}

/// Reads one line of at most `max` bytes (longer lines are cut, marked with `…`, and the rest
/// up to the newline is skipped without being kept); `None` at the end of the stream.
pub(crate) async fn read_capped_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Option<String> {
    let mut line: Vec<u8> = Vec::new();
    let mut cut = false;
    let mut any = false;
    while let Ok(available) = reader.fill_buf().await {
        if available.is_empty() {
            break;
        }
        any = true;
        let (chunk, newline) = match memchr::memchr(b'\n', available) {
            Some(pos) => (&available[..pos], true),
            None => (available, false),
        };
        let room = max.saturating_sub(line.len());
        if chunk.len() > room {
            cut = true;
        }
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len() + usize::from(newline);
        reader.consume(used);
        if newline {
            break;
        }
    }
    if !any {
        return None;
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let mut text = String::from_utf8_lossy(&line).into_owned();
    if cut {
        // from_utf8_lossy may have replaced a code point split by the cut; that is fine.
        text.push('…');
    }
    Some(text)
}

/// Describes an exit status in words for error messages.
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => "an unknown status".into(),
    }
}

fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group; no memory is touched.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// Reaps members of the group that were re-parented to this process. That happens when this
/// process is a child subreaper (see [`relay_process::become_child_subreaper`]); otherwise there is nothing to
/// reap here and this returns at once.
async fn reap_group(pgid: i32) {
    if pgid <= 0 {
        return;
    }
    for _ in 0..50 {
        let mut status = 0;
        // SAFETY: waitpid(2) on our own children of this process group, non-blocking.
        let rc = unsafe { libc::waitpid(-pgid, &mut status, libc::WNOHANG) };
        match rc {
            -1 => return, // ECHILD: no child of ours is left in that group
            0 => tokio::time::sleep(Duration::from_millis(20)).await, // still dying
            _ => continue, // reaped one; look again
        }
    }
}
