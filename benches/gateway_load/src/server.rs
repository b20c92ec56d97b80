//! The server under test as a child process: started with the fake Realtime service's URL and
//! key, its address read from the line it prints when it listens, weighed through `/proc`,
//! stopped (and killed if need be) at the end — also when the harness is dropped mid-run.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::API_KEY;
use crate::run::LoadError;

/// Which server to put under load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerKind {
    /// `relay serve` (the `relay` binary at this path).
    Relay {
        /// The `relay` binary.
        bin: PathBuf,
    },
    /// The Node example server, `node <script>` (examples/node/voice-server/server.mjs).
    Node {
        /// The `node` executable.
        node: PathBuf,
        /// `server.mjs`.
        script: PathBuf,
    },
}

impl ServerKind {
    /// `relay` or `node`, for tables.
    pub fn label(&self) -> &'static str {
        match self {
            ServerKind::Relay { .. } => "relay serve",
            ServerKind::Node { .. } => "node example",
        }
    }
}

/// The variable naming a command to run `relay` under, for diagnosis (e.g. `heaptrack -o
/// /tmp/relay-serve` to see which allocations a conversation holds); its RSS is then not
/// `relay`'s own.
pub const RELAY_WRAPPER_ENV: &str = "GATEWAY_LOAD_RELAY_WRAPPER";

/// `bin`, or the command in [`RELAY_WRAPPER_ENV`] followed by `bin`.
fn wrapped(bin: &Path) -> Command {
    let wrapper = std::env::var(RELAY_WRAPPER_ENV).unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let Some(program) = words.next() else {
        return Command::new(bin);
    };
    let mut c = Command::new(program);
    c.args(words).arg(bin);
    c
}

/// The process below `root` (itself included) running `bin`, if any.
fn pid_of_wrapped(root: u32, bin: &Path) -> Option<u32> {
    let bin = std::fs::canonicalize(bin).ok()?;
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `ppid` is the second field after the parenthesised command name.
        let ppid = stat
            .rfind(')')
            .and_then(|i| stat[i + 2..].split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let mut family = vec![root];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    family
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_ref() == Some(&bin))
}

/// How many of the child's last output lines are kept for error messages.
const KEPT_LINES: usize = 40;

/// A running server under test. Dropping it kills the process.
pub struct ServerProcess {
    child: Child,
    pid: u32,
    /// `ws://HOST:PORT/v1/conversation?protocol=1`.
    url: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `kind` over `workspace`, its Realtime service at `realtime_url`, and waits (at
    /// most `within`) for it to say where it listens.
    pub async fn start(
        kind: &ServerKind,
        workspace: &Path,
        realtime_url: &str,
        within: Duration,
    ) -> Result<ServerProcess, LoadError> {
        let mut command = match kind {
            ServerKind::Relay { bin } => {
                let mut c = wrapped(bin);
                c.args(["serve", "--bind", "127.0.0.1:0", "-w"])
                    .arg(workspace)
                    // `relay serve` also serves webhooks, which need a secret to start.
                    .env("RELAY_WEBHOOK_SECRET", "gateway-load")
                    .env("RUST_LOG", "warn");
                c
            }
            ServerKind::Node { node, script } => {
                let mut c = Command::new(node);
                c.arg(script)
                    .env("PORT", "0")
                    .env("HOST", "127.0.0.1")
                    .env("RELAY_WORKSPACE", workspace);
                c
            }
        };
        command
            .env("OPENAI_REALTIME_URL", realtime_url)
            .env("OPENAI_API_KEY", API_KEY)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let what = format!("{kind:?}");
        let mut child = command.spawn().map_err(|e| LoadError::Server {
            what: what.clone(),
            message: format!("cannot start it: {e}"),
        })?;
        let pid = child.id().ok_or_else(|| LoadError::Server {
            what: what.clone(),
            message: "it exited at once".into(),
        })?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let (lines_tx, mut lines) = mpsc::unbounded_channel();
        drain(child.stdout.take(), output.clone(), lines_tx.clone());
        drain(child.stderr.take(), output.clone(), lines_tx);
        let found = tokio::time::timeout(within, async {
            while let Some(line) = lines.recv().await {
                if let Some(addr) = listening_addr(&line) {
                    return Some(addr);
                }
            }
            None
        })
        .await;
        let addr = match found {
            Ok(Some(addr)) => addr,
            outcome => {
                let why = match outcome {
                    Ok(_) => "it exited before it listened",
                    Err(_) => "it did not say where it listens in time",
                };
                let _ = child.kill().await;
                let lines = output.lock().map(|l| l.join("\n")).unwrap_or_default();
                return Err(LoadError::Server {
                    what,
                    message: format!("{why}; its output:\n{lines}"),
                });
            }
        };
        // Under a wrapper, the server is a descendant of the child: weigh and stop that one.
        let pid = match kind {
            ServerKind::Relay { bin } => pid_of_wrapped(pid, bin).unwrap_or(pid),
            ServerKind::Node { .. } => pid,
        };
        Ok(ServerProcess {
            child,
            pid,
            url: format!("ws://{addr}/v1/conversation?protocol=1"),
            output,
        })
    }

    /// The conversation endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Resident memory now, KiB (`None` once the process is gone).
    pub fn rss_kib(&self) -> Option<u64> {
        relay_testkit::memory::process_rss_kib(self.pid).map(|(rss, _)| rss)
    }

    /// CPU time the process used so far (user + system), from `/proc/<pid>/stat`.
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // Fields after the command name (which may hold spaces) start at field 3 (`state`);
        // utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Duration::from_millis(ticks * 10))
    }

    /// The last lines the server printed.
    pub fn last_output(&self) -> String {
        self.output.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// Asks the server to stop (SIGTERM), killing it after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        // SAFETY: kill(2) on the pid of our own child (not yet reaped: we hold `child`), or of
        // the server a wrapper child runs (alive while the wrapper waits for it), so the pid
        // was not reused by another process.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Forwards each line of `stream` to `lines` and keeps the last ones in `kept`.
fn drain(
    stream: Option<impl AsyncRead + Unpin + Send + 'static>,
    kept: Arc<Mutex<Vec<String>>>,
    lines: mpsc::UnboundedSender<String>,
) {
    let Some(stream) = stream else { return };
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if let Ok(mut kept) = kept.lock() {
                if kept.len() == KEPT_LINES {
                    kept.remove(0);
                }
                kept.push(line.clone());
            }
            let _ = lines.send(line);
        }
    });
}

/// `HOST:PORT` from `relay serve: listening on http://HOST:PORT (...)` or
/// `voice server listening on ws://HOST:PORT/v1/conversation`.
fn listening_addr(line: &str) -> Option<String> {
    let rest = line.split("listening on ").nth(1)?;
    let rest = rest
        .strip_prefix("http://")
        .or_else(|| rest.strip_prefix("ws://"))?;
    let addr: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '/')
        .collect();
    (!addr.is_empty()).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::listening_addr;

    #[test]
    fn reads_both_servers_listening_lines() {
        assert_eq!(
            listening_addr(
                "relay serve: listening on http://127.0.0.1:40123 (POST /webhooks/github, GET /healthz)"
            )
            .as_deref(),
            Some("127.0.0.1:40123")
        );
        assert_eq!(
            listening_addr("voice server listening on ws://127.0.0.1:8080/v1/conversation")
                .as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(listening_addr("relay serve: stopping"), None);
    }
}
