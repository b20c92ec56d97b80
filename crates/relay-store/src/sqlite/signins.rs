//! Sign-ins in SQLite: one row per sign-in, expired rows swept when a new one is stored.

use relay_core::store::SignInRecord;
use rusqlite::{Connection, OptionalExtension, params};

use super::Failure;
use crate::now_ms;

pub(super) fn put(c: &Connection, s: &SignInRecord) -> Result<(), Failure> {
    c.execute(
        "DELETE FROM signins WHERE expires_ms <= ?1",
        params![now_ms() as i64],
    )?;
    c.execute(
        "INSERT OR REPLACE INTO signins (id_hash, user, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            s.id_hash,
            s.user,
            s.created_ms as i64,
            s.expires_ms.min(i64::MAX as u64) as i64
        ],
    )?;
    Ok(())
}

pub(super) fn get(c: &Connection, id_hash: &str) -> Result<Option<SignInRecord>, Failure> {
    Ok(c.prepare_cached(
        "SELECT user, created_ms, expires_ms FROM signins WHERE id_hash = ?1 AND expires_ms > ?2",
    )?
    .query_row(params![id_hash, now_ms() as i64], |r| {
        Ok(SignInRecord {
            id_hash: id_hash.to_owned(),
            user: r.get(0)?,
            created_ms: r.get::<_, i64>(1)? as u64,
            expires_ms: r.get::<_, i64>(2)? as u64,
        })
    })
    .optional()?)
}

pub(super) fn delete(c: &Connection, id_hash: &str) -> Result<bool, Failure> {
    Ok(c.execute("DELETE FROM signins WHERE id_hash = ?1", params![id_hash])? > 0)
}

/// Deletes `user`'s sign-ins; how many had not expired.
pub(super) fn delete_user(c: &Connection, user: &str) -> Result<u32, Failure> {
    let live = c.execute(
        "DELETE FROM signins WHERE user = ?1 AND expires_ms > ?2",
        params![user, now_ms() as i64],
    )?;
    c.execute("DELETE FROM signins WHERE user = ?1", params![user])?;
    Ok(live as u32)
}
