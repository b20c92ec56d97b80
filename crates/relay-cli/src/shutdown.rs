//! Shutting down on SIGINT, SIGTERM and SIGHUP, for every long-running command (`relay run`,
//! `voice`, `chat`, `env exec`; `serve` and `worker` when they come).
//!
//! The first signal asks the command to stop: it cancels its jobs, whose agents and commands
//! kill their process trees, and exits with 128 + the signal number. A second signal does not
//! wait for that: it kills every process group Relay still has running
//! ([`relay::process::kill_all`]) and then exits. Either way no child is left behind; and if
//! Relay is killed with SIGKILL, the parent-death signal and the watchdog of `relay::process`
//! take care of them (on Linux).

use std::future::Future;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::error::CliError;

/// The signals a command stops on.
const SIGNALS: [(i32, &str); 3] = [
    (libc_signal::SIGINT, "SIGINT"),
    (libc_signal::SIGTERM, "SIGTERM"),
    (libc_signal::SIGHUP, "SIGHUP"),
];

/// Signal numbers (the same on Linux and macOS), without a libc dependency.
mod libc_signal {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGTERM: i32 = 15;
}

/// Listens for the stop signals from [`Shutdown::listen`] on.
pub struct Shutdown {
    received: watch::Receiver<Option<i32>>,
}

impl Shutdown {
    /// Starts listening. From here on the signals no longer terminate the process by
    /// themselves: the command stops at the first, [`relay::process::kill_all`] and exit at the
    /// second.
    pub fn listen() -> Result<Self, CliError> {
        let mut streams = Vec::new();
        for (number, name) in SIGNALS {
            let stream = signal(SignalKind::from_raw(number)).map_err(|e| CliError {
                code: crate::error::EXIT_FAILED,
                message: format!("cannot handle {name}: {e}"),
            })?;
            streams.push((number, name, stream));
        }
        let (tx, received) = watch::channel(None);
        tokio::spawn(async move {
            let mut count = 0;
            loop {
                let (number, name) = next_signal(&mut streams).await;
                count += 1;
                if count == 1 {
                    eprintln!(
                        "\n{name}: stopping; cancelling jobs and their processes (again to force)…"
                    );
                    let _ = tx.send(Some(number));
                } else {
                    let killed = relay::process::kill_all();
                    eprintln!("{name} again: killed {killed} process group(s); exiting");
                    std::process::exit(exit_code(number).into());
                }
            }
        });
        Ok(Self { received })
    }

    /// Waits for the first signal; returns its number.
    pub async fn signalled(&mut self) -> i32 {
        loop {
            if let Some(number) = *self.received.borrow_and_update() {
                return number;
            }
            if self.received.changed().await.is_err() {
                // The listener is gone (the runtime is shutting down): never resolves.
                std::future::pending::<()>().await;
            }
        }
    }
}

async fn next_signal(
    streams: &mut [(i32, &'static str, tokio::signal::unix::Signal)],
) -> (i32, &'static str) {
    let futures = streams.iter_mut().map(|(number, name, stream)| {
        let (number, name) = (*number, *name);
        Box::pin(async move {
            stream.recv().await;
            (number, name)
        })
    });
    futures::future::select_all(futures).await.0
}

/// The exit code after `signal`: 128 + its number, as shells report it.
pub fn exit_code(signal: i32) -> u8 {
    (128 + signal).clamp(0, 255) as u8
}

/// Runs `work` until it completes or a stop signal arrives. On a signal the work is dropped
/// (agents and commands kill their process groups when dropped), every process group still
/// registered is killed, and the command fails with 128 + the signal number.
pub async fn until_signal<T>(
    work: impl Future<Output = Result<T, CliError>>,
) -> Result<T, CliError> {
    let mut shutdown = Shutdown::listen()?;
    tokio::select! {
        result = work => result,
        number = shutdown.signalled() => {
            relay::process::kill_all();
            Err(CliError { code: exit_code(number), message: String::new() })
        }
    }
}
