//! [`RoomBus`] on Redis: channels are pub/sub channels (`relay:` + the name; one pub/sub
//! connection per subscription, closed when its receiver is dropped), invite codes are string
//! keys `relay:invite:CODE` with a TTL.

use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use redis::AsyncCommands;
use relay_core::store::{BusMessages, InviteRecord, RoomBus, StoreError};
use tokio::sync::mpsc;

use super::{PREFIX, RedisStore};

/// How many messages of one subscription may wait for their reader before Redis itself buffers.
const SUBSCRIPTION_QUEUE: usize = 256;
/// How long opening a subscription may take.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

fn invite_key(code: &str) -> String {
    format!("{PREFIX}invite:{code}")
}

#[async_trait]
impl RoomBus for RedisStore {
    async fn publish(&self, channel: &str, payload: Vec<u8>) -> Result<(), StoreError> {
        let _: i64 = self
            .conn()
            .publish(format!("{PREFIX}{channel}"), payload)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<BusMessages, StoreError> {
        let name = format!("{PREFIX}{channel}");
        let opened = tokio::time::timeout(SUBSCRIBE_TIMEOUT, async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(&name).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await
        .map_err(|_| StoreError::Backend {
            url: self.url.clone(),
            reason: format!("subscribing to {name} took longer than {SUBSCRIBE_TIMEOUT:?}"),
        })?
        .map_err(|e| self.err(e))?;
        let (tx, rx) = mpsc::channel(SUBSCRIPTION_QUEUE);
        tokio::spawn(async move {
            let mut messages = opened.into_on_message();
            loop {
                tokio::select! {
                    // The reader is gone: unsubscribe (the connection closes with the stream).
                    _ = tx.closed() => return,
                    message = messages.next() => {
                        let Some(message) = message else {
                            tracing::warn!(channel = %name, "the store's pub/sub connection closed");
                            return;
                        };
                        if tx.send(message.get_payload_bytes().to_vec()).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(rx)
    }

    async fn put_invite(
        &self,
        code: &str,
        invite: &InviteRecord,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let _: () = self
            .conn()
            .pset_ex(
                invite_key(code),
                super::encode(invite),
                ttl.as_millis().max(1) as u64,
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn invite(&self, code: &str) -> Result<Option<InviteRecord>, StoreError> {
        self.get_json(&invite_key(code)).await
    }

    async fn delete_invite(&self, code: &str) -> Result<(), StoreError> {
        let _: i64 = self
            .conn()
            .del(invite_key(code))
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
