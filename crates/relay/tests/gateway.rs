//! The voice gateway over the facade's conversations: `?session=NAME` saves the conversation
//! in the store as it goes and resumes it on the next socket (the model hears the earlier
//! turns); the signed-in caller's role applies.

use std::sync::Arc;

use relay::core::store::TurnRole;
use relay::core::team::{Caller, Role};
use relay::server::Server;
use relay::server::gateway::Gateway;
use relay::{Conversations, Relay, StoreChoice, VoiceConfig};
use relay_testkit::gateway_client::{Client, Frame};
use relay_testkit::git::write_workspace;
use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::json;

async fn relay(dir: &tempfile::TempDir, user: &str) -> Relay {
    Relay::builder()
        .workspace(dir.path())
        .store(StoreChoice::Configured)
        .user(user)
        .build()
        .await
        .unwrap()
}

/// Serves the gateway over `relay`; requests are `caller`'s when given (as an auth layer
/// would say), else the local user's.
async fn serve(
    relay: Relay,
    peer: &FakeRealtime,
    caller: Option<Caller>,
) -> (Gateway, String, tokio::sync::oneshot::Sender<()>) {
    let local = relay.caller().clone();
    let voice = VoiceConfig::new().url(peer.url()).api_key("sk-test-key");
    let gateway =
        Gateway::builder(Arc::new(Conversations::new(Arc::new(relay), voice)), local).build();
    let mut router = gateway.router();
    if let Some(caller) = caller {
        router = router.layer(relay::server::axum::Extension(caller));
    }
    let server = Server::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v1/conversation", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(router, async {
        let _ = stopped.await;
    }));
    (gateway, url, stop)
}

async fn say(client: &mut Client, text: &str) {
    client.send(json!({"type": "text", "text": text})).await;
    let reply = format!("You said: {text}");
    client
        .until(|f| f.kind() == "assistant_text" && f.json()["text"] == reply.as_str())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_session_is_saved_as_it_goes_and_resumed_on_the_next_socket() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    let peer = FakeRealtime::start(Scenario::new()).await.unwrap();
    let (gateway, url, _stop) = serve(relay(&dir, "ann").await, &peer, None).await;

    let mut client = Client::connect(&format!("{url}?session=morning")).await;
    let ready = client.expect("ready").await;
    assert_eq!(ready["session_id"], "morning");
    assert_eq!(ready["user"], "ann");
    // Relay's own tools, for ann's role.
    assert!(
        ready["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("project_status")),
        "{ready}"
    );
    say(&mut client, "remember the number forty two").await;
    drop(client);
    tokio::time::timeout(std::time::Duration::from_secs(30), gateway.idle())
        .await
        .unwrap();

    // Saved in the store, turn by turn.
    let memory = relay(&dir, "ann").await.session("morning").await.unwrap();
    let turns = memory.history();
    assert!(
        turns
            .iter()
            .any(|t| t.role == TurnRole::User && t.text == "remember the number forty two"),
        "{turns:?}"
    );
    assert!(
        turns.iter().any(|t| t.role == TurnRole::Assistant
            && t.text == "You said: remember the number forty two"),
        "{turns:?}"
    );

    // The next socket resumes it: the new Realtime session hears the earlier turns.
    let mut client = Client::connect(&format!("{url}?session=morning")).await;
    assert_eq!(client.expect("ready").await["session_id"], "morning");
    say(&mut client, "what was the number").await;
    let replayed = peer.connection(1).client_events;
    assert!(
        replayed
            .iter()
            .any(|e| e["type"] == "conversation.item.create"
                && e["item"]["content"][0]["text"] == "remember the number forty two"),
        "{replayed:#?}"
    );
    drop(client);
    tokio::time::timeout(std::time::Duration::from_secs(30), gateway.idle())
        .await
        .unwrap();
    let turns = relay(&dir, "ann")
        .await
        .session("morning")
        .await
        .unwrap()
        .history();
    assert!(
        turns
            .iter()
            .any(|t| t.role == TurnRole::User && t.text == "what was the number")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_in_callers_role_applies() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    let file = dir.path().join("relay.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!(
            "{yaml}team:\n  - user: ann\n    role: team_lead\n  - user: bob\n    role: developer\n"
        ),
    )
    .unwrap();
    // ann has a session; bob (a developer) may not resume it.
    relay(&dir, "ann")
        .await
        .session("plans")
        .await
        .unwrap()
        .save()
        .await
        .unwrap();
    let peer = FakeRealtime::start(Scenario::new()).await.unwrap();
    let bob = Caller::new("bob", Role::Developer);
    let (_gateway, url, _stop) = serve(relay(&dir, "ann").await, &peer, Some(bob)).await;

    let mut client = Client::connect(&format!("{url}?session=plans")).await;
    let error = client.expect("error").await;
    assert_eq!(error["code"], "denied");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("bob (developer)"),
        "{error}"
    );
    client.expect("closed").await;
    assert_eq!(client.next().await, Frame::Closed);
    assert_eq!(peer.connection_count(), 0, "nothing was started");

    // His own session works, as bob, with a developer's tools.
    let mut client = Client::connect(&format!("{url}?session=bobs")).await;
    let ready = client.expect("ready").await;
    assert_eq!(ready["user"], "bob");
    assert_eq!(ready["role"], "developer");
    say(&mut client, "hello").await;
    let record = relay(&dir, "ann")
        .await
        .session("bobs")
        .await
        .unwrap()
        .record();
    assert_eq!(record.user, "bob");
}
