//! The process groups Relay has running, so one call can kill them all.

use std::sync::Mutex;

use crate::tree;
use crate::watchdog;

/// Leaders (= group ids) of the live process groups started through [`crate::spawn`].
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Held for the whole of a [`kill_all`], so a second call (a second Ctrl-C, then the exit hook)
/// returns only when the first has finished killing: otherwise the process could exit with a
/// tree stopped but not yet killed.
static KILLING: Mutex<()> = Mutex::new(());

/// Keeps a process group in the table of live groups until dropped.
///
/// Dropping it does not kill anything: the owner of the child kills and reaps its own group
/// (the guard only tells [`kill_all`] what is still there).
#[derive(Debug)]
pub struct GroupGuard {
    pgid: i32,
}

impl GroupGuard {
    pub(crate) fn register(pgid: i32) -> Self {
        let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        groups.push(pgid);
        if groups.len() == 1 {
            watchdog::set_busy(true);
        }
        Self { pgid }
    }

    /// The process group id (the pid of its leader).
    pub fn pgid(&self) -> i32 {
        self.pgid
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = groups.iter().position(|&g| g == self.pgid) {
            groups.swap_remove(i);
        }
        if groups.is_empty() {
            watchdog::set_busy(false);
        }
    }
}

/// The process groups started through [`crate::spawn`] whose guard is still alive.
pub fn live_groups() -> Vec<i32> {
    GROUPS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Kills every live process group started through [`crate::spawn`] and everything under its
/// leader (the tree is frozen first, so nothing escapes by forking), with SIGKILL. Returns how
/// many groups were still registered.
///
/// For shutdown paths: signal handlers, `atexit` hooks, a second Ctrl-C. The owners of the
/// children still reap them when they get to run; at process exit nobody needs to.
pub fn kill_all() -> usize {
    let _one_at_a_time = KILLING.lock().unwrap_or_else(|e| e.into_inner());
    let groups = std::mem::take(&mut *GROUPS.lock().unwrap_or_else(|e| e.into_inner()));
    for &pgid in &groups {
        let members = tree::freeze(pgid);
        // SAFETY: kill(2) on a process group we created; errors (ESRCH) are harmless.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        tree::kill_members(&members);
    }
    if !groups.is_empty() {
        tracing::debug!(
            groups = groups.len(),
            "killed the process groups still running"
        );
    }
    watchdog::set_busy(false);
    groups.len()
}
