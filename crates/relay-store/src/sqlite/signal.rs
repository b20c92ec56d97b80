//! The queue signal of one SQLite file in this process: notified on every enqueue made here,
//! and — through a watcher thread — on commits by other processes sharing the file.
//!
//! `PRAGMA data_version` changes whenever another connection commits to the database. In WAL
//! mode reading it touches only the shared-memory index, no disk, so one read every
//! [`WATCH_INTERVAL`] costs microseconds. Any commit wakes the workers (not only an enqueue):
//! a spurious wake is one empty claim, cheaper than a per-table trigger counter on every write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Notify;

/// How often the watcher reads `data_version`: the worst added wait for a job enqueued by
/// another process on the same file.
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(25);

/// One file's signal, shared by every handle on that file in this process.
pub(crate) struct FileSignal {
    path: PathBuf,
    /// Woken on every enqueue here, and on commits by other processes once watched.
    pub notify: Arc<Notify>,
    watching: AtomicBool,
}

/// The signal of the database at `path`.
pub(crate) fn for_file(path: &Path) -> Arc<FileSignal> {
    static BY_FILE: OnceLock<Mutex<HashMap<PathBuf, Weak<FileSignal>>>> = OnceLock::new();
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut map = BY_FILE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    map.retain(|_, weak| weak.strong_count() > 0);
    if let Some(signal) = map.get(&key).and_then(Weak::upgrade) {
        return signal;
    }
    let signal = Arc::new(FileSignal {
        path: key.clone(),
        notify: Arc::new(Notify::new()),
        watching: AtomicBool::new(false),
    });
    map.insert(key, Arc::downgrade(&signal));
    signal
}

impl FileSignal {
    /// Starts the watcher thread, once per file: only when somebody waits for the queue (a
    /// worker), so processes that never work the queue never poll. The thread ends when the
    /// last handle on the file is dropped.
    pub fn watch(self: &Arc<Self>) {
        if self.watching.swap(true, Ordering::SeqCst) {
            return;
        }
        let conn = match Connection::open_with_flags(
            &self.path,
            // Read-write (it never writes): a WAL reader takes its read locks in the -shm file.
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ) {
            Ok(conn) => conn,
            Err(e) => {
                // The fallback poll still finds the jobs, only later.
                tracing::warn!(path = %self.path.display(), "cannot watch the queue for other processes' jobs: {e}");
                return;
            }
        };
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("relay-sqlite-watch".into())
            .spawn(move || watch(conn, weak));
        if let Err(e) = spawned {
            tracing::warn!("cannot start the SQLite queue watcher: {e}");
        }
    }
}

fn data_version(conn: &Connection) -> Option<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0)).ok()
}

fn watch(conn: Connection, signal: Weak<FileSignal>) {
    let mut seen = data_version(&conn);
    loop {
        std::thread::sleep(WATCH_INTERVAL);
        let Some(signal) = signal.upgrade() else {
            return;
        };
        let now = data_version(&conn);
        if now != seen {
            seen = now;
            signal.notify.notify_waiters();
        }
    }
}
