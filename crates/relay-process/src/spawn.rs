//! Starting a child: its own process group, a parent-death signal, the owner token, and the
//! table of live groups.

use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

use tokio::process::{Child, Command};

use crate::groups::GroupGuard;
use crate::watchdog;

/// The environment variable every process Relay starts carries (with [`owner_token`] as its
/// value), inherited by whatever those processes start in turn.
pub const OWNER_ENV: &str = "RELAY_OWNER";

type Job = Box<dyn FnOnce() + Send>;

/// This process's token: its pid and start time, so a reused pid never matches.
pub fn owner_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let pid = std::process::id() as i32;
        let start = crate::tree::start_time(pid).unwrap_or(0);
        format!("{pid}-{start}")
    })
}

/// Starts `command` as the leader of a new process group and returns it with the guard that
/// keeps the group in the table [`crate::kill_all`] works on.
///
/// On Linux the child gets SIGKILL when Relay dies (`PR_SET_PDEATHSIG`). That signal follows
/// the *thread* that forked the child, and tokio's blocking threads (or a host language's
/// threads in the bindings) come and go, so every child is forked on one thread that lives as
/// long as the process. If Relay died between the fork and the `prctl`, the child notices (its
/// parent changed) and does not run.
///
/// Must be called inside a tokio runtime (as `tokio::process::Command::spawn` itself).
pub fn spawn(mut command: Command) -> std::io::Result<(Child, GroupGuard)> {
    watchdog::ensure();
    at_exit();
    command
        .process_group(0)
        .env(crate::OWNER_ENV, owner_token());
    #[cfg(target_os = "linux")]
    {
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls (prctl, getppid) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    // Relay died before the signal was armed: do not run orphaned.
                    return Err(std::io::Error::other(
                        "relay exited while starting the process",
                    ));
                }
                Ok(())
            });
        }
    }
    let handle = tokio::runtime::Handle::try_current().ok();
    let (reply, answer) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _entered = handle.as_ref().map(|h| h.enter());
        let result = command.spawn().map(|child| {
            let pgid = child.id().map(|id| id as i32).unwrap_or(0);
            (child, GroupGuard::register(pgid))
        });
        let _ = reply.send(result);
    });
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .map_err(|_| std::io::Error::other("the process spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| std::io::Error::other("the process spawner thread is gone"))?
}

/// Registers [`crate::kill_all`] with the C library's `atexit` once, so a host that exits
/// normally (a Rust `main` returning, `std::process::exit`, Python, Node or the JVM shutting
/// down) kills the groups still running on its way out.
fn at_exit() {
    extern "C" fn kill_all_at_exit() {
        crate::kill_all();
    }
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: registers a plain `extern "C" fn()` without arguments, as atexit(3) expects.
        if unsafe { libc::atexit(kill_all_at_exit) } != 0 {
            tracing::warn!("cannot register the exit hook that kills Relay's child processes");
        }
    });
}

/// The thread every child is forked on; it lives as long as the process.
fn spawner() -> &'static Mutex<mpsc::Sender<Job>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("relay-spawner".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            })
            .expect("the process spawner thread starts");
        Mutex::new(tx)
    })
}
