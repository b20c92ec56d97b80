//! # relay-process
//!
//! Child processes that never outlive Relay. Every process Relay starts (a coding agent, a
//! command in a local environment) is started through [`spawn`]:
//!
//! - it leads a process group of its own, registered in a process-wide table until its
//!   [`GroupGuard`] is dropped, so [`kill_all`] (what a signal handler or a host's exit hook
//!   calls) can kill every tree Relay still has running; [`kill_all`] is also registered with
//!   the C library's `atexit`, so a normal exit of the host process does it too;
//! - on Linux it gets a parent-death signal (`PR_SET_PDEATHSIG`, SIGKILL), so it dies with Relay
//!   even when Relay is killed with SIGKILL;
//! - it carries `RELAY_OWNER=<token>` in its environment, inherited by everything it starts, and
//!   a watchdog process (`/bin/sh`, started once) kills every process carrying the token when
//!   Relay's end of a pipe closes while trees were running: the grandchildren a parent-death
//!   signal does not reach (Claude Code's Bash tool starts its commands in groups of their own).
//!
//! [`tree`] finds and kills the whole process tree under a process through `/proc`;
//! [`become_child_subreaper`] makes the calling process the reaper of orphaned descendants.
//!
//! What remains true elsewhere: on macOS there is neither a parent-death signal nor `/proc`, so
//! only [`kill_all`] (on signals, at exit) and the per-run cleanup apply; a `kill -9` of Relay
//! leaves its children running there.

mod groups;
mod spawn;
pub mod tree;
mod watchdog;

pub use groups::{GroupGuard, kill_all, live_groups};
pub use spawn::{OWNER_ENV, owner_token, spawn};

/// Makes this process the reaper of orphaned descendants (Linux `PR_SET_CHILD_SUBREAPER`).
///
/// Needed where PID 1 does not reap orphans (some containers and micro-VMs): processes an agent
/// started would otherwise stay zombies after the agent is killed. Agents reap their own process
/// group afterwards. Call once at startup in binaries (the `relay` CLI does); libraries embedding
/// Relay decide for their process. Returns whether it took effect.
pub fn become_child_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer flag only.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}
