//! The SQLite schema, one migration per version; `PRAGMA user_version` says where a file is.

use rusqlite::Connection;

/// Migration `i` takes a database from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the audit log, its head, user tokens.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE audit (
         seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, user TEXT NOT NULL,
         record TEXT NOT NULL);
     CREATE INDEX audit_at ON audit (at_ms);
     CREATE TABLE tokens (
         hash TEXT PRIMARY KEY, user TEXT NOT NULL, created_ms INTEGER NOT NULL,
         record TEXT NOT NULL);",
    // 2: sessions, durable jobs and their events, the queue, environment owners.
    "CREATE TABLE sessions (
         id TEXT PRIMARY KEY, updated_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
         record TEXT NOT NULL);
     CREATE TABLE jobs (
         id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, record TEXT NOT NULL);
     CREATE TABLE job_events (
         job_id TEXT NOT NULL, n INTEGER NOT NULL, event TEXT NOT NULL,
         PRIMARY KEY (job_id, n));
     CREATE TABLE queue (
         seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, worker TEXT,
         lease_until_ms INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0);
     CREATE TABLE env_owners (name TEXT PRIMARY KEY, user TEXT NOT NULL);",
    // 3: webhook delivery ids, remembered for redelivery dedup.
    "CREATE TABLE deliveries (id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);",
    // 4: browsers' sign-ins to `relay serve` (hashes of the cookies' ids).
    "CREATE TABLE signins (
         id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created_ms INTEGER NOT NULL,
         expires_ms INTEGER NOT NULL);
     CREATE INDEX signins_user ON signins (user);",
];

/// The version `conn` is at.
pub(super) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Runs the migrations from the file's version up to `target`, each in its own transaction.
/// Returns the version found before migrating.
pub(super) fn migrate(conn: &mut Connection, target: u32) -> rusqlite::Result<u32> {
    let found = version(conn)?;
    for v in found..target {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        if version(&tx)? > v {
            continue;
        }
        tx.execute_batch(MIGRATIONS[v as usize])?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
        tracing::info!(from = v, to = v + 1, "store schema migrated");
    }
    Ok(found)
}
