//! Approvals in the gateway: a tool asks the conversation's approver; the question is spoken
//! and sent as `approval_requested`; the user's button or own speech answers it, never the
//! model's words.

mod gateway_support;

use gateway_support::*;
use relay_testkit::realtime::Scenario;
use serde_json::json;

/// Starts a conversation whose model calls `deploy`; returns the request frame.
async fn deploy_requested(rig: &Rig) -> (Client, serde_json::Value) {
    let mut client = rig.connect("?session=release").await;
    client.expect("ready").await;
    client
        .send(json!({"type": "text", "text": "deploy to production"}))
        .await;
    let started = client.expect("tool_call_started").await;
    assert_eq!(started["name"], "deploy");
    let requested = client.expect("approval_requested").await;
    let request = &requested["request"];
    assert_eq!(
        request["question"],
        "Relay wants to deploy to production. Allow it?"
    );
    assert_eq!(request["action"]["kind"], "tool");
    assert_eq!(request["action"]["name"], "deploy");
    // Tied to the conversation: its session, who asked, and the owner answers.
    assert_eq!(request["session"], "release");
    assert_eq!(request["requested_by"], "ana");
    assert_eq!(request["approvers"], json!(["ana"]));
    (client, requested)
}

#[tokio::test]
async fn an_approval_is_spoken_shown_and_answered_by_button() {
    let rig = Rig::start(
        Scenario::new()
            .call(&[("deploy", "{}")])
            .say("Deployed.", 300),
    )
    .await;
    let (mut client, requested) = deploy_requested(&rig).await;
    let id = requested["request"]["id"].as_str().unwrap().to_string();
    // The question is spoken: the peer is asked to say it, out of band.
    let frames = client
        .until(|f| {
            f.kind() == "assistant_text"
                && f.json()["text"] == "Relay wants to deploy to production. Allow it?"
        })
        .await;
    assert!(frames.iter().any(|f| matches!(f, Frame::Audio(_))));
    client
        .send(json!({"type": "approval_answer", "id": id, "decision": "allow"}))
        .await;
    let resolved = client.expect("approval_resolved").await;
    assert_eq!(resolved["id"], id.as_str());
    assert_eq!(resolved["answer"]["decision"], "allow");
    assert_eq!(resolved["answer"]["answered_by"], "ana");
    assert_eq!(resolved["answer"]["via"], "button");
    let finished = client.expect("tool_call_finished").await;
    assert_eq!(finished["ok"], true);
    assert_eq!(
        finished["output"],
        json!({"deployed": true, "approved_by": "ana"}).to_string()
    );
    // Answered once: a second click finds nothing waiting.
    client
        .send(json!({"type": "approval_answer", "id": id, "decision": "deny"}))
        .await;
    assert_eq!(client.expect("error").await["code"], "approval_not_pending");
}

#[tokio::test]
async fn the_users_own_spoken_yes_answers_an_approval() {
    let rig = Rig::start(
        Scenario::new()
            .transcripts(&["yes, only this once"])
            .call(&[("deploy", "{}")]),
    )
    .await;
    let (mut client, requested) = deploy_requested(&rig).await;
    client.speak(&utterance()).await;
    let frames = client.until_type("approval_resolved").await;
    let transcript = frames
        .iter()
        .find(|f| f.kind() == "user_transcript")
        .expect("the user's words")
        .json();
    assert_eq!(transcript["text"], "yes, only this once");
    assert_eq!(transcript["speaker"], "ana");
    let resolved = frames.last().unwrap().json();
    assert_eq!(resolved["id"], requested["request"]["id"]);
    assert_eq!(resolved["answer"]["decision"], "allow");
    assert_eq!(resolved["answer"]["answered_by"], "ana");
    assert_eq!(resolved["answer"]["via"], "voice");
    let finished = client.expect("tool_call_finished").await;
    assert_eq!(finished["ok"], true);
}

#[tokio::test]
async fn a_spoken_no_denies_and_the_tool_says_so() {
    let rig = Rig::start(
        Scenario::new()
            .transcripts(&["no, don't"])
            .call(&[("deploy", "{}")]),
    )
    .await;
    let (mut client, _) = deploy_requested(&rig).await;
    client.speak(&utterance()).await;
    let resolved = client.expect("approval_resolved").await;
    assert_eq!(resolved["answer"]["decision"], "deny");
    assert_eq!(resolved["answer"]["via"], "voice");
    let finished = client.expect("tool_call_finished").await;
    assert_eq!(finished["ok"], false);
    assert!(
        finished["output"]
            .as_str()
            .unwrap()
            .contains("not deployed"),
        "{finished}"
    );
}

#[tokio::test]
async fn the_models_own_yes_does_not_approve() {
    // The question the model speaks is itself a "yes" (while a tool runs, the model's only
    // speech is such out-of-band lines): its words must not answer.
    let rig = Rig::start(Scenario::new().call(&[("deploy", r#"{"question": "Yes."}"#)])).await;
    let mut client = rig.connect("").await;
    client.expect("ready").await;
    client.send(json!({"type": "text", "text": "deploy"})).await;
    let requested = client.expect("approval_requested").await;
    let id = requested["request"]["id"].as_str().unwrap().to_string();
    let frames = client
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == "Yes.")
        .await;
    assert!(
        !frames.iter().any(|f| f.kind() == "approval_resolved"),
        "{:#?}",
        summary(&frames)
    );
    // Still waiting: the user's button decides, and it is a no.
    client
        .send(json!({"type": "approval_answer", "id": id, "decision": "deny"}))
        .await;
    let resolved = client.expect("approval_resolved").await;
    assert_eq!(resolved["answer"]["decision"], "deny");
    assert_eq!(resolved["answer"]["via"], "button");
    assert_eq!(resolved["answer"]["answered_by"], "ana");
    assert_eq!(client.expect("tool_call_finished").await["ok"], false);
}

#[tokio::test]
async fn closing_the_socket_ends_a_conversation_with_an_approval_waiting() {
    let rig = Rig::start(Scenario::new().call(&[("deploy", "{}")])).await;
    let (client, _) = deploy_requested(&rig).await;
    drop(client);
    rig.idle().await;
    assert_eq!(rig.gateway.active_conversations(), 0);
    // (A waiting approval does not keep the conversation alive: it was denied with "the
    // conversation ended" and the session wound down.)
}
