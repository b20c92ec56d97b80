//! Sign-ins in Redis: `relay:signin:<id hash>` holds the record with a TTL ending when it
//! expires; `relay:signins:<user>` indexes a user's sign-ins so that revoking their tokens
//! ends them all (one script, atomic on the server).

use redis::AsyncCommands;
use relay_core::store::{SignInRecord, StoreError};

use super::{PREFIX, RedisStore, encode, scripts};
use crate::now_ms;

fn key(id_hash: &str) -> String {
    format!("{PREFIX}signin:{id_hash}")
}

fn user_key(user: &str) -> String {
    format!("{PREFIX}signins:{user}")
}

impl RedisStore {
    pub(super) async fn put_signin_record(&self, s: SignInRecord) -> Result<(), StoreError> {
        let ttl_ms = s.expires_ms.saturating_sub(now_ms());
        if ttl_ms == 0 {
            return Ok(()); // already over: nothing to keep
        }
        let _: i64 = scripts::put_signin()
            .key(key(&s.id_hash))
            .key(user_key(&s.user))
            .arg(encode(&s))
            .arg(ttl_ms)
            .arg(&s.id_hash)
            .invoke_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) async fn signin_record(
        &self,
        id_hash: &str,
    ) -> Result<Option<SignInRecord>, StoreError> {
        let record: Option<SignInRecord> = self.get_json(&key(id_hash)).await?;
        Ok(record.filter(|s| s.expires_ms > now_ms()))
    }

    pub(super) async fn delete_signin_record(&self, id_hash: &str) -> Result<bool, StoreError> {
        let n: i64 = self
            .conn()
            .del(key(id_hash))
            .await
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    pub(super) async fn delete_user_signins(&self, user: &str) -> Result<u32, StoreError> {
        let n: u32 = scripts::delete_signins()
            .key(user_key(user))
            .arg(format!("{PREFIX}signin:"))
            .invoke_async(&mut self.conn())
            .await
            .map_err(|e| self.err(e))?;
        Ok(n)
    }
}
