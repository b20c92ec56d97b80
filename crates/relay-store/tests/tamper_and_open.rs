//! The audit chain finds a changed, a removed and a reordered entry in each store (tampered
//! with directly, as an attacker with access to the database would); opening fails clearly for
//! an unreachable or newer store; older schemas migrate forward keeping their data.

use std::time::Duration;

use relay_core::store::{AuditEntry, AuditFilter, AuditOutcome, Store, StoreError, StoreUrl};
use relay_store::chain::{self, Verdict};
use relay_store::{RedisStore, SqliteStore};
use serde_json::json;

fn entry(i: u64) -> AuditEntry {
    AuditEntry {
        at_ms: 1_000 + i,
        user: "ann".into(),
        role: "developer".into(),
        session: None,
        kind: "command".into(),
        action: format!("relay commit #{i}"),
        args: json!({"message": format!("change {i}")}),
        outcome: AuditOutcome::Ok,
        detail: None,
        duration_ms: 3,
    }
}

async fn verdict(store: &dyn Store) -> Verdict {
    let records = store.audit(AuditFilter::default()).await.unwrap();
    chain::verify(&records, store.audit_head().await.unwrap())
}

async fn filled(store: &dyn Store) {
    for i in 1..=5 {
        store.append_audit(entry(i)).await.unwrap();
    }
    assert_eq!(verdict(store).await, Verdict::Intact { records: 5 });
}

fn broken_at(v: Verdict) -> (u64, String) {
    match v {
        Verdict::Broken { seq, problem } => (seq, problem),
        Verdict::Intact { .. } => panic!("tampering was not detected"),
    }
}

// ---- SQLite -----------------------------------------------------------------------------------

async fn sqlite() -> (tempfile::TempDir, SqliteStore, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let store = SqliteStore::open(&path).await.unwrap();
    filled(&store).await;
    let raw = rusqlite::Connection::open(&path).unwrap();
    (dir, store, raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_changed_entry_is_named() {
    let (_d, store, raw) = sqlite().await;
    raw.execute(
        "UPDATE audit SET record = replace(record, 'change 3', 'nothing') WHERE seq = 3",
        [],
    )
    .unwrap();
    let (seq, problem) = broken_at(verdict(&store).await);
    assert_eq!(seq, 3);
    assert!(problem.contains("entry 3 was changed"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_deleted_entry_is_named() {
    let (_d, store, raw) = sqlite().await;
    raw.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let (seq, problem) = broken_at(verdict(&store).await);
    assert_eq!(seq, 2);
    assert!(problem.contains("entry 2 was removed"), "{problem}");
    // Removing the newest entry is found through the head.
    let (_d, store, raw) = sqlite().await;
    raw.execute("DELETE FROM audit WHERE seq = 5", []).unwrap();
    let (seq, problem) = broken_at(verdict(&store).await);
    assert_eq!(seq, 5);
    assert!(problem.contains("removed from the end"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reordered_entries_are_named() {
    let (_d, store, raw) = sqlite().await;
    // Swap the records stored at positions 2 and 4.
    raw.execute_batch(
        "UPDATE audit SET seq = -2 WHERE seq = 2;
         UPDATE audit SET seq = 2 WHERE seq = 4;
         UPDATE audit SET seq = 4 WHERE seq = -2;",
    )
    .unwrap();
    let (seq, problem) = broken_at(verdict(&store).await);
    assert_eq!(seq, 2);
    assert!(problem.contains("out of order"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migrates_forward_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let old = SqliteStore::open_at_version(&path, 1).await.unwrap();
    assert_eq!(old.schema_version().await.unwrap(), 1);
    old.append_audit(entry(1)).await.unwrap();
    drop(old);
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        relay_store::SCHEMA_VERSION
    );
    assert_eq!(
        verdict(&store).await,
        Verdict::Intact { records: 1 },
        "data kept"
    );
    store.enqueue("j").await.unwrap(); // the version-2 tables exist
    assert!(
        store
            .record_delivery("d", std::time::Duration::from_secs(60))
            .await
            .unwrap()
    ); // and version 3's
    drop(store);

    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade Relay"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_that_cannot_be_opened_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let url = StoreUrl::Sqlite(file.join("relay.db"));
    let err = relay_store::open(&url).await.unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    assert!(
        err.to_string()
            .contains(&format!("sqlite:{}", file.join("relay.db").display())),
        "{err}"
    );
    // A file that is not a database.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 4096]).unwrap();
    let err = relay_store::open(&StoreUrl::Sqlite(junk))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("junk.db") && err.to_string().contains("not a database"),
        "{err}"
    );
}

// ---- Redis ------------------------------------------------------------------------------------

async fn redis() -> (
    relay_testkit::redis::RedisServer,
    RedisStore,
    redis::aio::MultiplexedConnection,
) {
    let server = relay_testkit::redis::RedisServer::start();
    let store = RedisStore::open(&server.url().parse().unwrap())
        .await
        .unwrap();
    filled(&store).await;
    let raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    (server, store, raw)
}

async fn raw_cmd(conn: &mut redis::aio::MultiplexedConnection, args: &[&str]) -> redis::Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(conn).await.unwrap()
}

async fn raw_get(conn: &mut redis::aio::MultiplexedConnection, index: i64) -> String {
    redis::cmd("LINDEX")
        .arg("relay:audit")
        .arg(index)
        .query_async(conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_changed_entry_is_named() {
    let (_s, store, mut raw) = redis().await;
    let third = raw_get(&mut raw, 2).await.replace("change 3", "nothing");
    raw_cmd(&mut raw, &["LSET", "relay:audit", "2", &third]).await;
    let (seq, problem) = broken_at(verdict(&store).await);
    assert_eq!(seq, 3);
    assert!(problem.contains("entry 3 was changed"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_deleted_entry_is_named() {
    let (_s, store, mut raw) = redis().await;
    let second = raw_get(&mut raw, 1).await;
    raw_cmd(&mut raw, &["LREM", "relay:audit", "1", &second]).await;
    let (seq, problem) = broken_at(verdict(&store).await);
    assert_eq!(seq, 2);
    assert!(problem.contains("entry 2 was removed"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_reordered_entries_are_named() {
    let (_s, store, mut raw) = redis().await;
    let second = raw_get(&mut raw, 1).await;
    let fourth = raw_get(&mut raw, 3).await;
    raw_cmd(&mut raw, &["LSET", "relay:audit", "1", &fourth]).await;
    raw_cmd(&mut raw, &["LSET", "relay:audit", "3", &second]).await;
    let (seq, problem) = broken_at(verdict(&store).await);
    assert_eq!(seq, 2);
    assert!(problem.contains("out of order"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_migrates_forward_and_refuses_a_newer_schema() {
    let server = relay_testkit::redis::RedisServer::start();
    let url: StoreUrl = server.url().parse().unwrap();
    let old = RedisStore::open_at_version(&url, 1).await.unwrap();
    assert_eq!(old.schema_version().await.unwrap(), 1);
    old.append_audit(entry(1)).await.unwrap();
    let store = RedisStore::open(&url).await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        relay_store::SCHEMA_VERSION
    );
    assert_eq!(verdict(&store).await, Verdict::Intact { records: 1 });
    store.enqueue("j").await.unwrap();
    assert!(
        store
            .claim("w", std::time::Duration::from_secs(5))
            .await
            .unwrap()
            .is_some(),
        "the group exists"
    );

    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    raw_cmd(&mut raw, &["SET", "relay:schema", "99"]).await;
    let err = RedisStore::open(&url).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_redis_is_an_error_naming_the_url_without_its_password() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url: StoreUrl = format!("redis://:s3cret-pass@127.0.0.1:{port}/0")
        .parse()
        .unwrap();
    let err = relay_store::open(&url).await.unwrap_err();
    let text = err.to_string();
    assert_eq!(err.code(), "store_unavailable");
    assert!(
        text.contains(&format!("redis://***@127.0.0.1:{port}/0")),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");

    // A server that wants a different password.
    let server = relay_testkit::redis::RedisServer::start();
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    raw_cmd(&mut raw, &["CONFIG", "SET", "requirepass", "right-one"]).await;
    let url: StoreUrl = format!("redis://:wrong-one@127.0.0.1:{}/0", server.port())
        .parse()
        .unwrap();
    let text = relay_store::open(&url).await.unwrap_err().to_string();
    assert!(
        text.contains("cannot open the store at redis://***@127.0.0.1"),
        "{text}"
    );
    assert!(
        !text.contains("wrong-one") && !text.contains("right-one"),
        "{text}"
    );
    let url: StoreUrl = format!("redis://:right-one@127.0.0.1:{}/0", server.port())
        .parse()
        .unwrap();
    relay_store::open(&url).await.unwrap();
}

/// A job enqueued by another process (the `sqlite3` shell, a real second writer) wakes a worker
/// waiting on this process's queue signal: the watcher saw the file's `data_version` move. The
/// wait is on the notification alone (not the fallback poll); the timeout only guards a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_enqueue_by_another_process_wakes_a_waiting_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let signal = store.queue_signal();
    assert!(
        store
            .claim("w", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
    // Armed before the other process writes, as `Worker::run` arms it before claiming.
    let woken = signal.notify.notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    let status = std::process::Command::new("sqlite3")
        .arg(&path)
        .arg("INSERT INTO queue (job_id) VALUES ('from-another-process');")
        .status()
        .expect("the sqlite3 shell (scripts/setup/sqlite.sh installs it)");
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(30), woken)
        .await
        .expect("the worker was not woken by another process's enqueue");
    let claim = store.claim("w", Duration::from_secs(60)).await.unwrap();
    assert_eq!(
        claim.map(|c| c.job_id).as_deref(),
        Some("from-another-process")
    );
}
