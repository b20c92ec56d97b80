//! The job queue on a Redis stream with one consumer group: `XADD` enqueues, `XREADGROUP`
//! hands a new entry to one worker and the entry stays pending until `XACK`. Each pending
//! entry has a lease (server time, in a hash next to the stream); an entry whose lease ran out
//! (its worker died or stalled) is taken over by the next claimer with `XCLAIM`. Claiming and
//! renewing are Lua scripts, so two workers never get the same entry.

use std::time::Duration;

use redis::RedisResult;
use redis::aio::MultiplexedConnection;
use relay_core::store::Claim;

use super::{QUEUE_GROUP, QUEUE_KEY, scripts};

const LEASES_KEY: &str = "relay:queue:leases";

/// Creates the stream and its group (idempotent).
pub(super) async fn create_group(conn: &mut MultiplexedConnection) -> RedisResult<()> {
    let created: RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(QUEUE_KEY)
        .arg(QUEUE_GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Adds `job_id` to the stream and tells idle workers (pub/sub, see `watch`).
pub(super) async fn enqueue(conn: &mut MultiplexedConnection, job_id: &str) -> RedisResult<()> {
    let _: () = redis::pipe()
        .cmd("XADD")
        .arg(QUEUE_KEY)
        .arg("*")
        .arg("job")
        .arg(job_id)
        .ignore()
        .cmd("PUBLISH")
        .arg(super::watch::ENQUEUED_CHANNEL)
        .arg(job_id)
        .ignore()
        .query_async(conn)
        .await?;
    Ok(())
}

pub(super) async fn claim(
    conn: &mut MultiplexedConnection,
    worker: &str,
    lease: Duration,
) -> RedisResult<Option<Claim>> {
    let got: Option<(String, String, u32)> = scripts::claim()
        .key(QUEUE_KEY)
        .key(LEASES_KEY)
        .arg(QUEUE_GROUP)
        .arg(worker)
        .arg(lease.as_millis().max(1) as u64)
        .invoke_async(conn)
        .await?;
    Ok(got.map(|(delivery, job_id, attempts)| Claim {
        job_id,
        delivery,
        worker: worker.to_owned(),
        attempts,
    }))
}

pub(super) async fn renew(
    conn: &mut MultiplexedConnection,
    claim: &Claim,
    lease: Duration,
) -> RedisResult<bool> {
    let held: i64 = scripts::renew()
        .key(QUEUE_KEY)
        .key(LEASES_KEY)
        .arg(QUEUE_GROUP)
        .arg(&claim.delivery)
        .arg(&claim.worker)
        .arg(lease.as_millis().max(1) as u64)
        .invoke_async(conn)
        .await?;
    Ok(held == 1)
}

pub(super) async fn ack(conn: &mut MultiplexedConnection, claim: &Claim) -> RedisResult<()> {
    let _: () = redis::pipe()
        .atomic()
        .cmd("XACK")
        .arg(QUEUE_KEY)
        .arg(QUEUE_GROUP)
        .arg(&claim.delivery)
        .ignore()
        .cmd("XDEL")
        .arg(QUEUE_KEY)
        .arg(&claim.delivery)
        .ignore()
        .cmd("HDEL")
        .arg(LEASES_KEY)
        .arg(&claim.delivery)
        .ignore()
        .query_async(conn)
        .await?;
    Ok(())
}
