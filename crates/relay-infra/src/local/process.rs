//! Commands in a local environment: a child process in its own process group, with resource
//! limits set through `setrlimit` before `exec`, killed as a group on timeout or cancellation.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use relay_core::infra::{ExecOutput, InfraError, ResourceProfile};
use tokio::io::AsyncWriteExt;

/// Limits applied to each command.
///
/// Linux has no unprivileged per-process CPU-core limit (that needs cgroups), so the profile's
/// cores are not enforced; memory is bounded by `RLIMIT_DATA` (heap and private mappings) at the
/// profile's upper bound, file size by `RLIMIT_FSIZE` at root plus workspace disk, and core
/// dumps are off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub data_bytes: u64,
    pub file_bytes: u64,
}

impl Limits {
    pub fn from_profile(p: &ResourceProfile) -> Self {
        const MIB: u64 = 1024 * 1024;
        const GIB: u64 = 1024 * MIB;
        Self {
            data_bytes: p.memory_max_mb * MIB,
            file_bytes: (p.root_disk_gb as u64 + p.workspace_disk_gb as u64) * GIB,
        }
    }
}

pub(crate) async fn run(
    command: &[String],
    cwd: &Path,
    stdin: Option<&str>,
    timeout: Duration,
    limits: Limits,
    env_name: &str,
) -> Result<ExecOutput, InfraError> {
    let mut cmd = tokio::process::Command::new(&command[0]);
    cmd.args(&command[1..])
        .current_dir(cwd)
        .env("RELAY_ENV", env_name)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            set_limit(libc::RLIMIT_DATA, limits.data_bytes)?;
            set_limit(libc::RLIMIT_FSIZE, limits.file_bytes)?;
            set_limit(libc::RLIMIT_CORE, 0)?;
            Ok(())
        });
    }
    // Its own process group, a parent-death signal, the owner token (relay_process).
    let (mut child, _group) = relay_process::spawn(cmd)
        .map_err(|e| InfraError::InvalidRequest(format!("cannot run `{}`: {e}", command[0])))?;
    let pid = child.id();
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let data = data.to_string();
        tokio::spawn(async move {
            let _ = pipe.write_all(data.as_bytes()).await;
        });
    }
    let guard = GroupKiller(pid);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let collect = async {
        // Both pipes are drained (a full pipe would stall the command), keeping a bounded head
        // and tail of each.
        let (out, err) = tokio::join!(read_bounded(stdout), read_bounded(stderr));
        let status = child.wait().await;
        (status, out, err)
    };
    let output = tokio::time::timeout(timeout, collect).await;
    match output {
        Ok((Ok(status), out, err)) => {
            // Leftover background children of the command go too.
            drop(guard);
            use std::os::unix::process::ExitStatusExt;
            Ok(ExecOutput {
                exit_code: status.code(),
                signal: status.signal(),
                stdout: out.into_text(),
                stderr: err.into_text(),
            })
        }
        Ok((Err(e), _, _)) => Err(InfraError::InvalidRequest(format!(
            "`{}` failed: {e}",
            command[0]
        ))),
        Err(_) => Err(InfraError::Timeout {
            operation: format!("`{}`", command.join(" ")),
            secs: timeout.as_secs_f64(),
            advice: "it was killed with its child processes; raise the timeout if it needs longer"
                .to_string(),
        }),
    }
}

/// The most of each output stream an exec keeps in memory: its first and last halves.
pub(crate) const OUTPUT_MAX_BYTES: usize = 16 * 1024 * 1024;

/// A stream's output with a bounded head and tail; what lies between is counted, not kept.
#[derive(Default)]
struct Bounded {
    head: Vec<u8>,
    tail: Vec<u8>,
    dropped: u64,
}

impl Bounded {
    fn push(&mut self, mut bytes: &[u8]) {
        let half = OUTPUT_MAX_BYTES / 2;
        if self.head.len() < half {
            let n = bytes.len().min(half - self.head.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 2 * half {
            let excess = self.tail.len() - half;
            self.tail.drain(..excess);
            self.dropped += excess as u64;
        }
    }

    fn into_text(mut self) -> String {
        let half = OUTPUT_MAX_BYTES / 2;
        if self.tail.len() > half {
            let excess = self.tail.len() - half;
            self.tail.drain(..excess);
            self.dropped += excess as u64;
        }
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if self.dropped > 0 {
            text.push_str(&format!(
                "\n[relay: {} bytes of output left out here; the first and last {} MiB are kept]\n",
                self.dropped,
                half / (1024 * 1024)
            ));
        }
        text.push_str(&String::from_utf8_lossy(&self.tail));
        text
    }
}

async fn read_bounded<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> Bounded {
    use tokio::io::AsyncReadExt;
    let mut kept = Bounded::default();
    let Some(mut pipe) = pipe else {
        return kept;
    };
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.push(&buf[..n]);
    }
    kept
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type RlimitResource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type RlimitResource = libc::c_int;

fn set_limit(resource: RlimitResource, value: u64) -> std::io::Result<()> {
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a stack value.
    unsafe {
        if libc::getrlimit(resource, &mut current) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // Never raise a limit above what we have: only lower.
        let value = value.min(current.rlim_max);
        let limit = libc::rlimit {
            rlim_cur: value,
            rlim_max: current.rlim_max,
        };
        if libc::setrlimit(resource, &limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Kills the whole process group when dropped (timeout, cancellation, panic), so no command
/// outlives its call.
struct GroupKiller(Option<u32>);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: signalling a process group we created.
            unsafe {
                libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
            }
        }
    }
}
