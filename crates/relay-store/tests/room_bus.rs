//! The room bus (shared sessions across processes): Redis has one, on a real `redis-server`;
//! SQLite has none. Two stores opened on one server stand for two processes.

use std::time::Duration;

use relay_core::store::{BUS_VERSION, InviteRecord, RoomBus, Store, StoreUrl};
use relay_store::RedisStore;

async fn bus(url: &str) -> std::sync::Arc<dyn RoomBus> {
    RedisStore::open(&url.parse::<StoreUrl>().unwrap())
        .await
        .unwrap()
        .room_bus()
        .expect("a Redis store has a room bus")
}

fn record() -> InviteRecord {
    InviteRecord {
        v: BUS_VERSION,
        room: "r1".into(),
        owner: "ana".into(),
        session: "pairing".into(),
        host: "a:1".into(),
    }
}

/// `PUBSUB NUMSUB` of `channel` (the bus prefixes `relay:`).
async fn subscribers(url: &str, channel: &str) -> i64 {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (_, n): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(format!("relay:{channel}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_another_process_in_order_and_a_dropped_receiver_unsubscribes() {
    let server = relay_testkit::redis::RedisServer::start();
    let (a, b) = (bus(&server.url()).await, bus(&server.url()).await);
    let mut rx = b.subscribe("room:r1:in").await.unwrap();
    for i in 0..200u32 {
        let mut payload = i.to_be_bytes().to_vec();
        payload.extend(vec![0u8; 4800]);
        a.publish("room:r1:in", payload).await.unwrap();
    }
    for i in 0..200u32 {
        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("delivered")
            .expect("subscribed");
        assert_eq!(got[..4], i.to_be_bytes());
        assert_eq!(got.len(), 4804, "binary payloads arrive whole");
    }
    // Another channel's messages are not delivered here.
    a.publish("room:r2:in", b"other".to_vec()).await.unwrap();
    a.publish("room:r1:in", b"mine".to_vec()).await.unwrap();
    assert_eq!(rx.recv().await.unwrap(), b"mine");
    assert_eq!(subscribers(&server.url(), "room:r1:in").await, 1);
    drop(rx);
    // The subscription's task notices at once and closes its connection.
    let mut n = 1;
    for _ in 0..200 {
        n = subscribers(&server.url(), "room:r1:in").await;
        if n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(n, 0, "no subscription is left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_are_found_by_other_processes_until_deleted_or_expired() {
    let server = relay_testkit::redis::RedisServer::start();
    let (a, b) = (bus(&server.url()).await, bus(&server.url()).await);
    assert_eq!(b.invite("abc").await.unwrap(), None);
    a.put_invite("abc", &record(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(b.invite("abc").await.unwrap(), Some(record()));
    a.delete_invite("abc").await.unwrap();
    assert_eq!(b.invite("abc").await.unwrap(), None);
    // A TTL that is not refreshed runs out.
    a.put_invite("short", &record(), Duration::from_millis(50))
        .await
        .unwrap();
    let mut found = b.invite("short").await.unwrap();
    for _ in 0..200 {
        if found.is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        found = b.invite("short").await.unwrap();
    }
    assert_eq!(found, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_invite_is_an_error_and_a_lost_server_ends_subscriptions() {
    let server = relay_testkit::redis::RedisServer::start();
    let a = bus(&server.url()).await;
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("relay:invite:bad")
        .arg("{not json")
        .query_async(&mut conn)
        .await
        .unwrap();
    let e = a.invite("bad").await.unwrap_err();
    assert_eq!(e.code(), "store_corrupt", "{e}");
    let mut rx = a.subscribe("room:r1:in").await.unwrap();
    drop(server);
    let end = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the loss is noticed");
    assert_eq!(end, None, "a lost connection ends the subscription");
    assert!(a.publish("room:r1:in", vec![1]).await.is_err());
    assert!(a.subscribe("room:r1:in").await.is_err());
}

#[tokio::test]
async fn sqlite_has_no_room_bus() {
    let dir = tempfile::tempdir().unwrap();
    let store = relay_store::SqliteStore::open(&dir.path().join("relay.db"))
        .await
        .unwrap();
    assert!(store.room_bus().is_none());
}
