//! Shared sessions: the owner invites, a guest joins with `?join=CODE`; both get every frame,
//! utterances are attributed, the owner drives, and a guest's write asks the owner.

mod gateway_support;

use gateway_support::*;
use relay_testkit::realtime::Scenario;
use serde_json::json;

/// The owner (ana) and a guest (bob, a developer) in one conversation.
async fn pair(rig: &Rig) -> (Client, Client) {
    let (owner, guest, _) = pair_on(rig, rig).await;
    (owner, guest)
}

#[tokio::test]
async fn both_hear_the_conversation_and_each_utterance_is_attributed() {
    let rig = Rig::start(Scenario::new()).await;
    let (mut owner, mut guest) = pair(&rig).await;
    typed_turn_reaches_everyone(&mut [&mut guest, &mut owner], "bob", "hello from bob").await;
    typed_turn_reaches_everyone(&mut [&mut owner, &mut guest], "ana", "and from ana").await;
    // Only the owner invites.
    guest.send(json!({"type": "invite"})).await;
    let error = guest.expect("error").await;
    assert_eq!(error["code"], "not_the_owner");
    // A guest leaving is seen; the conversation goes on.
    drop(guest);
    let left = owner.expect("participant_left").await;
    assert_eq!(left["user"], "bob");
    owner.send(json!({"type": "ping", "id": 1})).await;
    assert_eq!(owner.expect("pong").await["id"], 1);
}

#[tokio::test]
async fn a_guests_write_is_an_approval_for_the_owner() {
    let rig = Rig::start(
        Scenario::new()
            .call(&[("slow_sync", "{}")])
            .say("Synced.", 300),
    )
    .await;
    let (mut owner, mut guest) = pair(&rig).await;
    guest
        .send(json!({"type": "text", "text": "sync everything"}))
        .await;
    let started = owner.expect("tool_call_started").await;
    assert_eq!(started["speaker"], "bob");
    let mut id = String::new();
    for client in [&mut owner, &mut guest] {
        let requested = client.expect("approval_requested").await;
        let request = &requested["request"];
        assert_eq!(request["question"], "bob asks to run slow sync. Allow it?");
        assert_eq!(request["requested_by"], "bob");
        assert_eq!(request["approvers"], json!(["ana"]));
        assert_eq!(request["session"], "pairing");
        id = request["id"].as_str().unwrap().to_string();
    }
    // The guest cannot approve their own request.
    guest
        .send(json!({"type": "approval_answer", "id": id, "decision": "allow"}))
        .await;
    let error = guest.expect("error").await;
    assert_eq!(error["code"], "not_an_approver");
    // The owner does.
    owner
        .send(json!({"type": "approval_answer", "id": id, "decision": "allow"}))
        .await;
    for client in [&mut owner, &mut guest] {
        let resolved = client.expect("approval_resolved").await;
        assert_eq!(resolved["answer"]["answered_by"], "ana");
        assert_eq!(resolved["answer"]["via"], "button");
    }
    owner
        .until(|f| f.kind() == "tool_progress" && f.json()["done"] == 1)
        .await;
    rig.factory.release.notify_one();
    let finished = owner.expect("tool_call_finished").await;
    assert_eq!(finished["ok"], true, "{finished}");
    assert_eq!(guest.expect("tool_call_finished").await["ok"], true);
}

#[tokio::test]
async fn a_guests_role_still_applies_and_reads_need_no_approval() {
    let rig = Rig::start(
        Scenario::new()
            .call(&[("lookup", r#"{"repo": "api"}"#)])
            .say("api is green.", 300),
    )
    .await;
    let (mut owner, mut guest) = pair(&rig).await;
    guest
        .send(json!({"type": "text", "text": "how is api"}))
        .await;
    let frames = owner.until_type("tool_call_finished").await;
    assert!(!frames.iter().any(|f| f.kind() == "approval_requested"));
    let finished = frames.last().unwrap().json();
    assert_eq!(finished["ok"], true);
    assert_eq!(
        finished["output"],
        json!({"repo": "api", "state": "api-is-green"}).to_string()
    );
    guest.expect("tool_call_finished").await;
}

#[tokio::test]
async fn a_guest_without_the_rights_is_refused_and_nothing_runs_or_asks() {
    let rig = Rig::start(
        Scenario::new()
            .call(&[("team_report", "{}")])
            .say("You may not see that.", 300)
            .call(&[("team_report", "{}")])
            .say("Three things are in progress.", 300),
    )
    .await;
    let (mut owner, mut guest) = pair(&rig).await;
    guest
        .send(json!({"type": "text", "text": "what is everyone working on"}))
        .await;
    let frames = owner.until_type("tool_call_finished").await;
    // The owner is not asked to lift the guest's role: a refusal, not an approval.
    assert!(!frames.iter().any(|f| f.kind() == "approval_requested"));
    let finished = frames.last().unwrap().json();
    assert_eq!(finished["name"], "team_report");
    assert_eq!(finished["ok"], false);
    let error = finished["output"].as_str().unwrap();
    assert!(
        error.contains("bob") && error.contains("developer") && error.contains("team_lead"),
        "{error}"
    );
    assert_eq!(guest.expect("tool_call_finished").await["ok"], false);
    assert_eq!(
        rig.factory
            .team_runs
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // The owner's own request runs.
    owner
        .send(json!({"type": "text", "text": "and now for me"}))
        .await;
    let finished = owner.expect("tool_call_finished").await;
    assert_eq!(finished["ok"], true, "{finished}");
    assert_eq!(
        rig.factory
            .team_runs
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn the_owner_leaving_ends_the_shared_session_for_the_guest() {
    let rig = Rig::start(Scenario::new()).await;
    let (owner, mut guest) = pair(&rig).await;
    drop(owner);
    let closed = guest.expect("closed").await;
    assert_eq!(closed["reason"], "the owner left");
    assert_eq!(guest.next().await, Frame::Closed);
    rig.idle().await;
    assert_eq!(rig.gateway.active_conversations(), 0);
}
