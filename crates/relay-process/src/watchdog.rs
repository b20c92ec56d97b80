//! The watchdog: a small `/bin/sh` process, started once, that outlives Relay just long enough
//! to kill what Relay started when Relay itself was killed.
//!
//! Relay holds the write end of the watchdog's stdin and writes `1` when it has process groups
//! running and `0` when it has none. When the pipe closes (Relay exited, however it exited)
//! while the last word was `1`, the watchdog kills every process whose environment carries
//! `RELAY_OWNER=<this process's token>`, in rounds until none is left: the children and
//! grandchildren of agents and commands, including those in process groups of their own.
//!
//! Linux only (it reads `/proc/<pid>/environ`); a process that cleared its environment escapes.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{ChildStdin, Stdio};
use std::sync::Mutex;

/// The watchdog's stdin; `None` before it starts or when it could not start.
static PIPE: Mutex<Option<ChildStdin>> = Mutex::new(None);
static STARTED: std::sync::Once = std::sync::Once::new();

/// Ignores the signals a terminal or a shutdown sends, waits for EOF, then kills by token.
const SCRIPT: &str = r#"trap '' INT TERM HUP QUIT PIPE
busy=0
while IFS= read -r line; do busy=$line; done
[ "$busy" = 1 ] || exit 0
mark="RELAY_OWNER=$1"
rounds=0
while [ $rounds -lt 50 ]; do
  found=
  for f in $(grep -slzxF -- "$mark" /proc/[0-9]*/environ); do
    p=${f#/proc/}; p=${p%/environ}
    [ "$p" = "$$" ] || found="$found $p"
  done
  [ -z "$found" ] && exit 0
  kill -STOP $found 2>/dev/null
  kill -KILL $found 2>/dev/null
  rounds=$((rounds+1))
done
"#;

/// Starts the watchdog once per process (Linux only; elsewhere nothing happens).
pub(crate) fn ensure() {
    if !cfg!(target_os = "linux") {
        return;
    }
    STARTED.call_once(|| {
        let child = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("relay-watchdog")
            .arg(crate::owner_token())
            .env_remove(crate::OWNER_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own group: a Ctrl-C at the terminal must not reach it.
            .process_group(0)
            .spawn();
        match child {
            Ok(mut child) => {
                *PIPE.lock().unwrap_or_else(|e| e.into_inner()) = child.stdin.take();
                // Never waited for: it exits after this process does.
                std::mem::forget(child);
            }
            Err(e) => tracing::warn!(
                "cannot start the process watchdog (/bin/sh): {e}; \
                 if Relay is killed with SIGKILL, grandchildren of its agents may outlive it"
            ),
        }
    });
}

/// Tells the watchdog whether process groups are running.
pub(crate) fn set_busy(busy: bool) {
    let mut pipe = PIPE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(stdin) = pipe.as_mut()
        && stdin.write_all(if busy { b"1\n" } else { b"0\n" }).is_err()
    {
        // The watchdog is gone (someone killed it); nothing more to tell.
        *pipe = None;
    }
}
