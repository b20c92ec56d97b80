//! Shared sessions across hosts: two gateways (two servers, each with its own connections to
//! one real `redis-server`), the owner on A, the guest on B. Everything the in-process shared
//! session does must hold: the same frames for both, attribution, the owner drives, a guest's
//! write asks the owner, late joiners see waiting approvals; and the bad paths: unknown codes,
//! a store that cannot be reached, either side going away.

mod gateway_support;

use std::sync::Arc;
use std::time::Duration;

use gateway_support::*;
use relay_core::store::{RoomBus, Store, StoreUrl};
use relay_store::RedisStore;
use relay_testkit::realtime::Scenario;
use relay_testkit::redis::RedisServer;
use serde_json::json;

/// Quicker heartbeats than the default 2 s: a side that went away is noticed within about 3 s,
/// while a live side starved for a moment on a loaded two-core machine is not taken for gone.
const HEARTBEAT: Duration = Duration::from_millis(1000);

async fn bus(redis: &RedisServer) -> Arc<dyn RoomBus> {
    let store = RedisStore::open(&redis.url().parse::<StoreUrl>().unwrap())
        .await
        .unwrap();
    store.room_bus().expect("a Redis store has a room bus")
}

/// A gateway on its own bus connections to `redis`.
async fn host(redis: &RedisServer, scenario: Scenario) -> Rig {
    let bus = bus(redis).await;
    Rig::with(
        scenario,
        |f| f,
        move |b| b.bus(bus).share_heartbeat(HEARTBEAT),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_hosts_hear_the_conversation_and_each_utterance_is_attributed() {
    let redis = RedisServer::start();
    let mut scenario = Scenario::new().transcripts(&["hello from bob's microphone"]);
    scenario.record_audio = true;
    let a = host(&redis, scenario).await;
    let b = host(&redis, Scenario::new()).await;
    let (mut owner, mut guest, _) = pair_on(&a, &b).await;

    typed_turn_reaches_everyone(&mut [&mut guest, &mut owner], "bob", "hello from bob").await;
    typed_turn_reaches_everyone(&mut [&mut owner, &mut guest], "ana", "and from ana").await;

    // The guest's microphone reaches the owner's Realtime peer, every byte, as the guest's.
    let speech = utterance();
    guest.speak(&speech).await;
    for client in [&mut owner, &mut guest] {
        let said = client.expect("user_transcript").await;
        assert_eq!(said["text"], "hello from bob's microphone");
        assert_eq!(said["speaker"], "bob");
    }
    assert_eq!(a.peer.input_audio_bytes(), speech.len());
    assert_eq!(
        b.peer.connection_count(),
        0,
        "the guest's server runs no conversation"
    );

    // Pings and bad frames are answered on the guest's server; only the owner invites.
    guest.send(json!({"type": "ping", "id": 7})).await;
    assert_eq!(guest.expect("pong").await["id"], 7);
    guest.send_raw("{not json").await;
    assert_eq!(guest.expect("error").await["code"], "bad_client_frame");
    guest.audio(vec![1, 2, 3]).await;
    let odd = guest.expect("error").await;
    assert_eq!(odd["code"], "bad_client_frame");
    assert!(
        odd["message"].as_str().unwrap().contains("3 bytes"),
        "{odd}"
    );
    guest.send(json!({"type": "invite"})).await;
    let error = guest.expect("error").await;
    assert_eq!(error["code"], "not_the_owner");

    // The guest leaving is seen on the owner's side; the conversation goes on.
    drop(guest);
    let left = owner.expect("participant_left").await;
    assert_eq!(left["user"], "bob");
    owner.send(json!({"type": "ping", "id": 1})).await;
    assert_eq!(owner.expect("pong").await["id"], 1);
    b.idle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_guests_write_is_an_approval_for_the_owner_and_a_late_joiner_sees_it() {
    let redis = RedisServer::start();
    let a = host(
        &redis,
        Scenario::new()
            .call(&[("slow_sync", "{}")])
            .say("Synced.", 300),
    )
    .await;
    let b = host(&redis, Scenario::new()).await;
    let (mut owner, mut guest, code) = pair_on(&a, &b).await;
    guest
        .send(json!({"type": "text", "text": "sync everything"}))
        .await;
    let mut id = String::new();
    for client in [&mut owner, &mut guest] {
        // The call's start and its approval request come from two sources: either may be first.
        let [started, requested] = client
            .first_of_each(["tool_call_started", "approval_requested"])
            .await;
        assert_eq!(started["speaker"], "bob");
        let request = &requested["request"];
        assert_eq!(request["question"], "bob asks to run slow sync. Allow it?");
        assert_eq!(request["requested_by"], "bob");
        assert_eq!(request["approvers"], json!(["ana"]));
        assert_eq!(request["session"], "pairing");
        id = request["id"].as_str().unwrap().to_string();
    }
    // A second guest joining on B while it waits sees it after `ready`.
    let mut late = b.connect(&format!("?join={code}&as=cy:team_lead")).await;
    let ready = late.expect("ready").await;
    assert_eq!(
        ready["participants"].as_array().unwrap().len(),
        3,
        "{ready}"
    );
    let waiting = late.expect("approval_requested").await;
    assert_eq!(waiting["request"]["id"], id.as_str());
    for client in [&mut owner, &mut guest] {
        assert_eq!(client.expect("participant_joined").await["user"], "cy");
    }
    // The guest cannot approve their own request; the owner does.
    guest
        .send(json!({"type": "approval_answer", "id": id, "decision": "allow"}))
        .await;
    assert_eq!(guest.expect("error").await["code"], "not_an_approver");
    owner
        .send(json!({"type": "approval_answer", "id": id, "decision": "allow"}))
        .await;
    for client in [&mut owner, &mut guest, &mut late] {
        let resolved = client.expect("approval_resolved").await;
        assert_eq!(resolved["answer"]["answered_by"], "ana");
        assert_eq!(resolved["answer"]["via"], "button");
    }
    a.factory.release.notify_one();
    for client in [&mut owner, &mut guest, &mut late] {
        assert_eq!(client.expect("tool_call_finished").await["ok"], true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_guests_reads_need_no_approval() {
    let redis = RedisServer::start();
    let a = host(
        &redis,
        Scenario::new()
            .call(&[("lookup", r#"{"repo": "api"}"#)])
            .say("api is green.", 300),
    )
    .await;
    let b = host(&redis, Scenario::new()).await;
    let (mut owner, mut guest, _) = pair_on(&a, &b).await;
    guest
        .send(json!({"type": "text", "text": "how is api"}))
        .await;
    for client in [&mut owner, &mut guest] {
        let frames = client.until_type("tool_call_finished").await;
        assert!(!frames.iter().any(|f| f.kind() == "approval_requested"));
        let finished = frames.last().unwrap().json();
        assert_eq!(finished["ok"], true);
        assert_eq!(
            finished["output"],
            json!({"repo": "api", "state": "api-is-green"}).to_string()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_guests_own_role_applies_on_the_owners_server() {
    let redis = RedisServer::start();
    let a = host(
        &redis,
        Scenario::new()
            .call(&[("team_report", "{}")])
            .say("Not allowed.", 100)
            .call(&[("team_report", "{}")]),
    )
    .await;
    let b = host(&redis, Scenario::new()).await;
    let (mut owner, mut guest, code) = pair_on(&a, &b).await;
    // Bob is a developer (his server said so): the team's report is refused, nobody is asked.
    guest
        .send(json!({"type": "text", "text": "show me the team report"}))
        .await;
    for client in [&mut owner, &mut guest] {
        let frames = client.until_type("tool_call_finished").await;
        assert!(!frames.iter().any(|f| f.kind() == "approval_requested"));
        let finished = frames.last().unwrap().json();
        assert_eq!(finished["ok"], false, "{finished}");
        let output = finished["output"].as_str().unwrap();
        assert!(
            output.contains("bob is a developer") && output.contains("team_lead"),
            "{output}"
        );
    }
    // Cy, a team lead joining from B, may: it is the owner's to approve.
    let mut cy = b.connect(&format!("?join={code}&as=cy:team_lead")).await;
    assert_eq!(cy.expect("ready").await["role"], "team_lead");
    cy.send(json!({"type": "text", "text": "show me the team report"}))
        .await;
    let requested = owner.expect("approval_requested").await;
    assert_eq!(
        requested["request"]["question"],
        "cy asks to run team report. Allow it?"
    );
    owner
        .send(json!({"type": "approval_answer", "id": requested["request"]["id"], "decision": "allow"}))
        .await;
    let finished = cy.expect("tool_call_finished").await;
    assert_eq!(finished["ok"], true, "{finished}");
    assert_eq!(finished["output"], json!({"members": 3}).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_leaving_closes_the_remote_guest_and_forgets_the_invite() {
    let redis = RedisServer::start();
    let a = host(&redis, Scenario::new()).await;
    let b = host(&redis, Scenario::new()).await;
    let (owner, mut guest, code) = pair_on(&a, &b).await;
    drop(owner);
    let closed = guest.expect("closed").await;
    assert_eq!(closed["reason"], "the owner left");
    assert_eq!(guest.next().await, Frame::Closed);
    a.idle().await;
    b.idle().await;
    // The code is gone from the store: a new guest is refused before the upgrade.
    let bus = bus(&redis).await;
    for _ in 0..100 {
        if bus.invite(&code).await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bus.invite(&code).await.unwrap(), None);
    let (status, body) = b.refused(&format!("?join={code}")).await;
    assert_eq!(status, 404);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no shared session"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owners_server_shutting_down_closes_the_remote_guest() {
    let redis = RedisServer::start();
    let a = host(&redis, Scenario::new()).await;
    let b = host(&redis, Scenario::new()).await;
    let (_owner, mut guest, _) = pair_on(&a, &b).await;
    a.gateway.shutdown(Duration::from_secs(5)).await;
    let closed = guest.expect("closed").await;
    assert_eq!(closed["reason"], "the server is shutting down");
    assert_eq!(guest.next().await, Frame::Closed);
    b.idle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guests_server_shutting_down_is_seen_as_the_guest_leaving() {
    let redis = RedisServer::start();
    let a = host(&redis, Scenario::new()).await;
    let b = host(&redis, Scenario::new()).await;
    let (mut owner, mut guest, _) = pair_on(&a, &b).await;
    b.gateway.shutdown(Duration::from_secs(5)).await;
    assert_eq!(
        guest.expect("closed").await["reason"],
        "the server is shutting down"
    );
    assert_eq!(owner.expect("participant_left").await["user"], "bob");
    owner.send(json!({"type": "ping", "id": 2})).await;
    assert_eq!(owner.expect("pong").await["id"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_codes_are_refused_before_the_upgrade_on_any_server() {
    let redis = RedisServer::start();
    let a = host(&redis, Scenario::new()).await;
    let b = host(&redis, Scenario::new()).await;
    for rig in [&a, &b] {
        for code in [
            "0123456789abcdef01234567",
            "no%20such%3Acode",
            &"f".repeat(65),
        ] {
            let (status, body) = rig.refused(&format!("?join={code}")).await;
            assert_eq!(status, 404, "{code}");
            assert_eq!(body["hint"], "ask the session's owner for a new invite");
        }
    }
    assert_eq!(a.peer.connection_count() + b.peer.connection_count(), 0);
    // A record written by another version of Relay is named, not misread.
    let bus = bus(&redis).await;
    let mut record = relay_core::store::InviteRecord {
        v: 99,
        room: "r".into(),
        owner: "ana".into(),
        session: "s".into(),
        host: "elsewhere:1".into(),
    };
    bus.put_invite("future", &record, Duration::from_secs(60))
        .await
        .unwrap();
    let (status, body) = b.refused("?join=future").await;
    assert_eq!(status, 409);
    assert!(
        body["error"].as_str().unwrap().contains("version 99"),
        "{body}"
    );
    // A room whose server is gone (its code not yet expired): the guest is told, in bounded time.
    record.v = relay_core::store::BUS_VERSION;
    bus.put_invite("stale", &record, Duration::from_secs(60))
        .await
        .unwrap();
    let mut guest = b.connect("?join=stale&as=bob:developer").await;
    let error = guest.expect("error").await;
    assert_eq!(error["code"], "owner_unreachable");
    assert!(
        error["message"].as_str().unwrap().contains("elsewhere:1"),
        "{error}"
    );
    assert_eq!(guest.expect("closed").await["by_application"], false);
    assert_eq!(guest.next().await, Frame::Closed);
    b.idle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_be_reached_is_an_error_frame_and_the_conversation_goes_on() {
    let redis = RedisServer::start();
    let a = host(&redis, Scenario::new()).await;
    let b = host(&redis, Scenario::new()).await;
    let mut owner = a.connect("?session=pairing").await;
    owner.expect("ready").await;
    drop(redis);
    owner.send(json!({"type": "invite"})).await;
    let error = owner.expect("error").await;
    assert_eq!(error["code"], "invite_not_shared");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("store could not be reached"),
        "{error}"
    );
    // The code still works on the owner's own server.
    let code = owner.expect("invite").await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let mut local = a.connect(&format!("?join={code}&as=bob:developer")).await;
    assert_eq!(local.expect("ready").await["user"], "bob");
    owner
        .send(json!({"type": "text", "text": "still here"}))
        .await;
    owner
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "You said: still here")
        .await;
    // Another server cannot look the code up: refused with what to do.
    let (status, body) = b.refused(&format!("?join={code}")).await;
    assert_eq!(status, 503);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("could not be looked up"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_going_away_mid_session_ends_it_for_the_remote_guest_only() {
    let redis = RedisServer::start();
    let a = host(&redis, Scenario::new()).await;
    let b = host(&redis, Scenario::new()).await;
    let (mut owner, mut guest, _) = pair_on(&a, &b).await;
    drop(redis);
    let error = guest.expect("error").await;
    assert_eq!(error["code"], "store_unavailable", "{error}");
    assert_eq!(guest.expect("closed").await["by_application"], false);
    assert_eq!(guest.next().await, Frame::Closed);
    // The owner's side stops hearing from the guest: they left; the conversation goes on.
    assert_eq!(owner.expect("participant_left").await["user"], "bob");
    owner
        .send(json!({"type": "text", "text": "still here"}))
        .await;
    owner
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "You said: still here")
        .await;
    b.idle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_guest_that_stops_reading_is_dropped_and_the_owner_sees_them_leave() {
    let redis = RedisServer::start();
    // Ten minutes of reply audio (about 29 MB), a 100 ms chunk every millisecond: more than any
    // socket buffers hold, at a pace the owner's client keeps up with. The default heartbeat:
    // this much traffic on a loaded machine may hold up a 100 ms one.
    let mut story = Scenario::new().say("a very long story", 600_000);
    story.chunk_interval_ms = 1;
    let bus_a = bus(&redis).await;
    let a = Rig::with(story, |f| f, move |b| b.bus(bus_a)).await;
    let bus_b = bus(&redis).await;
    let b = Rig::with(
        Scenario::new(),
        |f| f,
        move |b| b.bus(bus_b).send_queue_bytes(64 * 1024),
    )
    .await;
    let (mut owner, mut guest, _) = pair_on(&a, &b).await;
    owner
        .send(json!({"type": "text", "text": "tell me a story"}))
        .await;
    // The owner reads everything; the guest reads nothing until the owner sees them go.
    let left = owner.until_type("participant_left").await;
    assert_eq!(left.last().unwrap().json()["user"], "bob");
    let frames = guest.until(|f| f.kind() == "closed").await;
    let error = frames
        .iter()
        .rev()
        .find(|f| f.kind() == "error")
        .expect("an error frame")
        .json();
    assert_eq!(error["code"], "client_too_slow");
    assert_eq!(
        frames.last().unwrap().json()["reason"],
        "the client read too slowly: its send queue overflowed"
    );
    b.idle().await;
    // The conversation goes on for the owner.
    owner.send(json!({"type": "ping", "id": 3})).await;
    assert_eq!(owner.expect("pong").await["id"], 3);
}
