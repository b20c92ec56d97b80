//! One conformance suite, run against both stores: SQLite in a temporary directory and a real
//! `redis-server` started by the test on a free loopback port (relay_testkit::redis).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use relay_core::store::{
    AuditEntry, AuditFilter, AuditOutcome, JobFilter, JobRecord, JobState, SessionRecord,
    SignInRecord, Store, StoreUrl, TokenRecord, ToolCallRecord, Turn, TurnRole,
};
use relay_store::chain::{self, Verdict};
use serde_json::json;

/// A store under test and what keeps it alive.
struct Subject {
    url: StoreUrl,
    _dir: Option<tempfile::TempDir>,
    _server: Option<relay_testkit::redis::RedisServer>,
}

impl Subject {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::Sqlite(dir.path().join(".relay/relay.db"));
        Subject {
            url,
            _dir: Some(dir),
            _server: None,
        }
    }

    fn redis() -> Self {
        let server = relay_testkit::redis::RedisServer::start();
        let url = server.url().parse().unwrap();
        Subject {
            url,
            _dir: None,
            _server: Some(server),
        }
    }

    /// A new connection to the same store (another process would open its own).
    async fn open(&self) -> Arc<dyn Store> {
        relay_store::open(&self.url).await.unwrap()
    }
}

fn entry(user: &str, action: &str, at_ms: u64) -> AuditEntry {
    AuditEntry {
        at_ms,
        user: user.into(),
        role: "developer".into(),
        session: Some("s1".into()),
        kind: "tool".into(),
        action: action.into(),
        args: json!({"repos": ["api"], "message": "fix"}),
        outcome: AuditOutcome::Ok,
        detail: None,
        duration_ms: 12,
    }
}

fn job(id: &str, user: &str, state: JobState, created_ms: u64) -> JobRecord {
    JobRecord {
        id: id.into(),
        operation: "sync".into(),
        user: user.into(),
        state,
        spec: json!({"repos": ["a", "b"]}),
        done: vec!["a".into()],
        resume: [("b".to_string(), "session-1".to_string())].into(),
        owner: Some("host:1".into()),
        heartbeat_ms: created_ms,
        cancel_requested: false,
        created_ms,
        updated_ms: created_ms,
        message: None,
    }
}

mod suite {
    pub use super::signins::*;
    use super::*;

    pub async fn schema_is_current(s: Subject) {
        let store = s.open().await;
        assert_eq!(
            store.schema_version().await.unwrap(),
            relay_store::SCHEMA_VERSION
        );
        // Opening again is a no-op.
        assert_eq!(
            s.open().await.schema_version().await.unwrap(),
            relay_store::SCHEMA_VERSION
        );
        assert!(!store.url().is_empty());
    }

    pub async fn audit_records_are_numbered_chained_and_filtered(s: Subject) {
        let store = s.open().await;
        assert_eq!(store.audit_head().await.unwrap(), None);
        let a = store
            .append_audit(entry("ann", "sync_repos", 1_000))
            .await
            .unwrap();
        let b = store
            .append_audit(entry("bob", "commit", 2_000))
            .await
            .unwrap();
        let c = store
            .append_audit(entry("ann", "relay push", 3_000))
            .await
            .unwrap();
        assert_eq!((a.seq, b.seq, c.seq), (1, 2, 3));
        assert_eq!(a.prev_hash, chain::GENESIS);
        assert_eq!(b.prev_hash, a.hash);
        assert_eq!(c.prev_hash, b.hash);
        assert_eq!(store.audit_head().await.unwrap(), Some((3, c.hash.clone())));

        let all = store.audit(AuditFilter::default()).await.unwrap();
        assert_eq!(all, vec![a.clone(), b.clone(), c.clone()]);
        let ann = store
            .audit(AuditFilter {
                user: Some("ann".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(ann.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 3]);
        let recent = store
            .audit(AuditFilter {
                since_ms: Some(2_000),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(recent.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(
            chain::verify(&all, store.audit_head().await.unwrap()),
            Verdict::Intact { records: 3 }
        );
    }

    pub async fn concurrent_appends_from_two_connections_keep_one_chain(s: Subject) {
        let one = s.open().await;
        let two = s.open().await;
        let mut tasks = Vec::new();
        for i in 0..40u64 {
            let store = if i % 2 == 0 { one.clone() } else { two.clone() };
            tasks.push(tokio::spawn(async move {
                store
                    .append_audit(entry("ann", &format!("a{i}"), i))
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let all = one.audit(AuditFilter::default()).await.unwrap();
        assert_eq!(
            all.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (1..=40).collect::<Vec<_>>()
        );
        let actions: BTreeSet<String> = all.iter().map(|r| r.entry.action.clone()).collect();
        assert_eq!(actions.len(), 40, "every append is there once");
        assert_eq!(
            chain::verify(&all, two.audit_head().await.unwrap()),
            Verdict::Intact { records: 40 }
        );
    }

    pub async fn tokens_are_found_by_hash_and_revoked(s: Subject) {
        let store = s.open().await;
        let token = |user: &str, hash: &str, at: u64| TokenRecord {
            id: format!("relay_{hash}"),
            user: user.into(),
            hash: hash.into(),
            created_ms: at,
            revoked_ms: None,
        };
        store.put_token(token("ann", "h1", 1)).await.unwrap();
        store.put_token(token("ann", "h2", 2)).await.unwrap();
        store.put_token(token("bob", "h3", 3)).await.unwrap();
        assert_eq!(
            store.token_by_hash("h2").await.unwrap(),
            Some(token("ann", "h2", 2))
        );
        assert_eq!(store.token_by_hash("nope").await.unwrap(), None);
        assert_eq!(store.tokens(None).await.unwrap().len(), 3);
        assert_eq!(store.revoke_tokens("ann").await.unwrap(), 2);
        assert_eq!(
            store.revoke_tokens("ann").await.unwrap(),
            0,
            "already revoked"
        );
        assert!(
            store
                .token_by_hash("h1")
                .await
                .unwrap()
                .unwrap()
                .revoked_ms
                .is_some()
        );
        assert!(
            store
                .token_by_hash("h3")
                .await
                .unwrap()
                .unwrap()
                .revoked_ms
                .is_none()
        );
        let ann = store.tokens(Some("ann".into())).await.unwrap();
        assert_eq!(
            ann.iter().map(|t| t.hash.as_str()).collect::<Vec<_>>(),
            ["h1", "h2"]
        );
    }

    pub async fn sessions_round_trip_list_and_expire(s: Subject) {
        let store = s.open().await;
        let mut session = SessionRecord {
            id: "morning".into(),
            user: "ann".into(),
            created_ms: 1,
            updated_ms: 10,
            primary: Some("backend".into()),
            ..Default::default()
        };
        session.projects.insert(
            "backend".into(),
            relay_core::store::ProjectContext {
                project: "backend".into(),
                active_repos: vec!["backend".into(), "shared-api".into()],
                operation: Some("job-1".into()),
            },
        );
        session.turns.push(Turn {
            role: TurnRole::User,
            text: "status".into(),
            tool: None,
            at_ms: 2,
        });
        session.turns.push(Turn {
            role: TurnRole::Tool,
            text: String::new(),
            tool: Some(ToolCallRecord {
                name: "project_status".into(),
                arguments: "{}".into(),
                output: "{\"ok\":true}".into(),
            }),
            at_ms: 3,
        });
        let week = Duration::from_secs(7 * 24 * 3600);
        store.save_session(session.clone(), week).await.unwrap();
        // Another connection (another process) resumes it.
        let other = s.open().await;
        assert_eq!(
            other.load_session("morning").await.unwrap(),
            Some(session.clone())
        );
        assert_eq!(other.load_session("evening").await.unwrap(), None);

        let mut later = session.clone();
        later.id = "evening".into();
        later.updated_ms = 20;
        later.turns.truncate(1);
        store.save_session(later, week).await.unwrap();
        let listed = store.sessions().await.unwrap();
        let ids: BTreeSet<&str> = listed.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, BTreeSet::from(["morning", "evening"]));
        let morning = listed.iter().find(|s| s.id == "morning").unwrap();
        assert_eq!(
            (morning.turns, morning.primary.as_deref()),
            (2, Some("backend"))
        );

        // A session past its TTL is gone from loading and listing.
        let mut brief = session.clone();
        brief.id = "brief".into();
        store
            .save_session(brief, Duration::from_millis(150))
            .await
            .unwrap();
        assert!(store.load_session("brief").await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(store.load_session("brief").await.unwrap(), None);
        assert!(
            store
                .sessions()
                .await
                .unwrap()
                .iter()
                .all(|s| s.id != "brief")
        );

        assert!(store.delete_session("evening").await.unwrap());
        assert!(!store.delete_session("evening").await.unwrap());
        assert_eq!(store.sessions().await.unwrap().len(), 1);
    }

    pub async fn jobs_and_their_events_are_kept(s: Subject) {
        let store = s.open().await;
        store
            .put_job(job("j1", "ann", JobState::Succeeded, 100))
            .await
            .unwrap();
        store
            .put_job(job("j2", "bob", JobState::Running, 200))
            .await
            .unwrap();
        store
            .put_job(job("j3", "ann", JobState::Interrupted, 300))
            .await
            .unwrap();
        let mut j2 = job("j2", "bob", JobState::Running, 200);
        j2.done.push("b".into());
        j2.updated_ms = 250;
        store.put_job(j2.clone()).await.unwrap();
        assert_eq!(store.job("j2").await.unwrap(), Some(j2));
        assert_eq!(store.job("zz").await.unwrap(), None);
        let all = store.jobs(JobFilter::default()).await.unwrap();
        assert_eq!(
            all.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
            ["j3", "j2", "j1"]
        );
        let ann = store
            .jobs(JobFilter {
                user: Some("ann".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(ann.len(), 2);
        let stuck = store
            .jobs(JobFilter {
                states: vec![JobState::Running, JobState::Interrupted],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            stuck.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
            ["j3", "j2"]
        );
        for i in 0..5 {
            store
                .append_job_event("j2", json!({"type": "progress", "done": i}))
                .await
                .unwrap();
        }
        let events = store.job_events("j2").await.unwrap();
        assert_eq!(
            events
                .iter()
                .map(|e| e["done"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        assert!(store.job_events("j1").await.unwrap().is_empty());
    }

    pub async fn the_queue_hands_out_each_job_once_and_takes_over_expired_leases(s: Subject) {
        let store = s.open().await;
        let long = Duration::from_secs(60);
        assert_eq!(store.claim("w1", long).await.unwrap(), None);
        for id in ["q1", "q2", "q3"] {
            store.enqueue(id).await.unwrap();
        }
        assert_eq!(store.queue_len().await.unwrap(), 3);
        let c1 = store.claim("w1", long).await.unwrap().unwrap();
        let c2 = store.claim("w2", long).await.unwrap().unwrap();
        assert_eq!(
            (c1.job_id.as_str(), c1.attempts, c1.worker.as_str()),
            ("q1", 1, "w1")
        );
        assert_eq!(c2.job_id, "q2");
        store.ack(&c1).await.unwrap();
        assert_eq!(store.queue_len().await.unwrap(), 2);
        assert!(store.renew(&c2, long).await.unwrap());

        // q3 is leased briefly and its worker "dies": after the lease it goes to another.
        let short = Duration::from_millis(100);
        let c3 = store.claim("w3", short).await.unwrap().unwrap();
        assert_eq!(c3.job_id, "q3");
        assert_eq!(
            store.claim("w4", short).await.unwrap(),
            None,
            "nothing available yet"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        let again = store.claim("w4", long).await.unwrap().unwrap();
        assert_eq!(
            (again.job_id.as_str(), again.attempts, again.worker.as_str()),
            ("q3", 2, "w4")
        );
        assert!(
            !store.renew(&c3, long).await.unwrap(),
            "the dead worker's lease is lost"
        );
        assert!(store.renew(&again, long).await.unwrap());
        store.ack(&again).await.unwrap();
        store.ack(&c2).await.unwrap();
        assert_eq!(store.queue_len().await.unwrap(), 0);
        assert_eq!(
            store.claim("w1", Duration::from_millis(1)).await.unwrap(),
            None
        );
    }

    pub async fn concurrent_workers_drain_the_queue_exactly_once(s: Subject) {
        let producer = s.open().await;
        for i in 0..30 {
            producer.enqueue(&format!("job{i:02}")).await.unwrap();
        }
        let mut workers = Vec::new();
        for w in 0..4 {
            let store = s.open().await;
            workers.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(claim) = store
                    .claim(&format!("w{w}"), Duration::from_secs(60))
                    .await
                    .unwrap()
                {
                    got.push(claim.job_id.clone());
                    store.ack(&claim).await.unwrap();
                }
                got
            }));
        }
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        all.sort();
        let expected: Vec<String> = (0..30).map(|i| format!("job{i:02}")).collect();
        assert_eq!(all, expected, "every job exactly once");
    }

    pub async fn environment_owners_are_kept(s: Subject) {
        let store = s.open().await;
        assert!(store.env_owners().await.unwrap().is_empty());
        store
            .set_env_owner("dev", Some("ann".into()))
            .await
            .unwrap();
        store.set_env_owner("ci", Some("bob".into())).await.unwrap();
        store
            .set_env_owner("dev", Some("carl".into()))
            .await
            .unwrap();
        assert_eq!(
            s.open().await.env_owners().await.unwrap(),
            [
                ("ci".to_string(), "bob".to_string()),
                ("dev".to_string(), "carl".to_string())
            ]
        );
        store.set_env_owner("ci", None).await.unwrap();
        store.set_env_owner("never", None).await.unwrap();
        assert_eq!(store.env_owners().await.unwrap().len(), 1);
    }

    pub async fn notify_is_accepted(s: Subject) {
        s.open().await.notify("jobs", "j1").await.unwrap();
    }

    pub async fn a_delivery_id_is_recorded_once_across_connections(s: Subject) {
        let (a, b) = (s.open().await, s.open().await);
        let keep = Duration::from_secs(3600);
        assert!(a.record_delivery("d-1", keep).await.unwrap());
        // Another connection (another process) sees it: a redelivery.
        assert!(!b.record_delivery("d-1", keep).await.unwrap());
        assert!(b.record_delivery("d-2", keep).await.unwrap());
        // Forgotten (it could not be queued): the redelivery is accepted.
        a.forget_delivery("d-1").await.unwrap();
        a.forget_delivery("never-seen").await.unwrap();
        assert!(b.record_delivery("d-1", keep).await.unwrap());
        // Remembered only for `keep`.
        assert!(
            a.record_delivery("short", Duration::from_millis(50))
                .await
                .unwrap()
        );
        assert!(!a.record_delivery("short", keep).await.unwrap());
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(a.record_delivery("short", keep).await.unwrap());
        // Concurrent records of one id: exactly one wins.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = s.open().await;
            tasks.push(tokio::spawn(async move {
                store
                    .record_delivery("race", Duration::from_secs(60))
                    .await
                    .unwrap()
            }));
        }
        let mut won = 0;
        for t in tasks {
            won += usize::from(t.await.unwrap());
        }
        assert_eq!(won, 1);
    }

    pub async fn an_enqueue_wakes_an_idle_worker(s: Subject) {
        let worker = s.open().await;
        let producer = s.open().await;
        let signal = worker.queue_signal();
        assert!(
            signal.poll >= Duration::from_millis(500),
            "{:?}",
            signal.poll
        );
        for round in 0..3 {
            let notified = signal.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            assert!(
                worker
                    .claim("w", Duration::from_secs(30))
                    .await
                    .unwrap()
                    .is_none()
            );
            let id = format!("wake-{round}");
            let enqueue = {
                let producer = producer.clone();
                let id = id.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    producer.enqueue(&id).await.unwrap();
                })
            };
            // Woken by the enqueue (the signal is never notified otherwise; the bound is only
            // there so a broken wake-up fails instead of hanging).
            tokio::time::timeout(Duration::from_secs(30), notified)
                .await
                .unwrap_or_else(|_| panic!("round {round}: not woken by the enqueue"));
            enqueue.await.unwrap();
            let claim = worker
                .claim("w", Duration::from_secs(30))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(claim.job_id, id);
            worker.ack(&claim).await.unwrap();
        }
    }
}

mod signins {
    use super::*;

    fn signin(id_hash: &str, user: &str, lasts: Duration) -> SignInRecord {
        let now = relay_store::now_ms();
        SignInRecord {
            id_hash: id_hash.into(),
            user: user.into(),
            created_ms: now,
            expires_ms: now + lasts.as_millis() as u64,
        }
    }

    pub async fn sign_ins_are_shared_end_and_go_with_their_users_tokens(s: Subject) {
        let one = s.open().await;
        let two = s.open().await;
        let day = Duration::from_secs(86_400);
        let ann_a = signin("a1", "ann", day);
        one.put_signin(ann_a.clone()).await.unwrap();
        one.put_signin(signin("a2", "ann", day)).await.unwrap();
        one.put_signin(signin("b1", "bob", day)).await.unwrap();
        // Another connection (another host) sees it as stored.
        assert_eq!(two.signin("a1").await.unwrap(), Some(ann_a));
        assert_eq!(two.signin("nope").await.unwrap(), None);

        // Signing out ends one, once.
        assert!(two.delete_signin("a2").await.unwrap());
        assert!(!one.delete_signin("a2").await.unwrap());
        assert_eq!(one.signin("a2").await.unwrap(), None);

        // Revoking a user's tokens ends their sign-ins, not others'.
        one.put_token(TokenRecord {
            id: "relay_ann".into(),
            user: "ann".into(),
            hash: "h-ann".into(),
            created_ms: 1,
            revoked_ms: None,
        })
        .await
        .unwrap();
        assert_eq!(two.revoke_tokens("ann").await.unwrap(), 1);
        assert_eq!(one.signin("a1").await.unwrap(), None);
        assert!(one.signin("b1").await.unwrap().is_some());
        assert_eq!(one.delete_signins("bob").await.unwrap(), 1);
        assert_eq!(two.signin("b1").await.unwrap(), None);
        assert_eq!(one.delete_signins("bob").await.unwrap(), 0);

        // An expired sign-in is gone; one stored already expired is never found.
        one.put_signin(signin("short", "ann", Duration::from_millis(300)))
            .await
            .unwrap();
        let mut over = signin("over", "ann", Duration::ZERO);
        over.expires_ms -= 1;
        one.put_signin(over).await.unwrap();
        assert_eq!(one.signin("over").await.unwrap(), None);
        let gone = async {
            while one.signin("short").await.unwrap().is_some() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), gone)
            .await
            .expect("an expired sign-in is not found");
        assert_eq!(one.delete_signins("ann").await.unwrap(), 0, "none live");
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::suite::$name(super::Subject::sqlite()).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::suite::$name(super::Subject::redis()).await;
                }
            )*
        }
    };
}

conformance!(
    schema_is_current,
    audit_records_are_numbered_chained_and_filtered,
    concurrent_appends_from_two_connections_keep_one_chain,
    tokens_are_found_by_hash_and_revoked,
    sessions_round_trip_list_and_expire,
    jobs_and_their_events_are_kept,
    the_queue_hands_out_each_job_once_and_takes_over_expired_leases,
    concurrent_workers_drain_the_queue_exactly_once,
    environment_owners_are_kept,
    notify_is_accepted,
    a_delivery_id_is_recorded_once_across_connections,
    an_enqueue_wakes_an_idle_worker,
    sign_ins_are_shared_end_and_go_with_their_users_tokens,
);
