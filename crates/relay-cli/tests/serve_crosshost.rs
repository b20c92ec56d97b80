//! A shared session across two real `relay serve` processes on one real Redis store: the owner
//! (ann) talks to server A, the guest (bob) joins from server B with the invite. Both get the
//! same frames, the guest's microphone reaches A's Realtime peer as bob's, bob's write is an
//! approval for ann; when B is killed ann sees bob leave, and when A is killed (`kill -9`) the
//! guest, on another server, gets `error` and `closed`.

mod serve_support;

use std::path::Path;
use std::process::Command;

use relay_testkit::gateway_client::{Client, Frame, typed_turn_reaches_everyone};
use relay_testkit::git::write_workspace;
use relay_testkit::realtime::{FakeRealtime, Scenario};
use relay_testkit::redis::RedisServer;
use serde_json::json;
use serve_support::Serving;

const TEAM: &str = "team:\n  - user: ann\n    role: admin\n  - user: bob\n    role: developer\n";

/// A workspace (one server's checkout) with the team.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    let file = dir.path().join("relay.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{yaml}{TEAM}")).unwrap();
    dir
}

fn relay(dir: &Path, store: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_relay"));
    c.current_dir(dir)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_TOKEN")
        .env_remove("RELAY_MCP_TOKEN")
        .env("RELAY_STORE_URL", store)
        .env("RELAY_USER", "ann")
        .env("RELAY_WEBHOOK_SECRET", "s3cret")
        .env("NO_COLOR", "1");
    c
}

/// `relay team token create USER` on the shared store.
fn token(dir: &Path, store: &str, user: &str) -> String {
    let out = relay(dir, store)
        .args(["team", "token", "create", user])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A `relay serve` on the store, in front of `peer`.
fn serve(dir: &Path, store: &str, peer: &FakeRealtime) -> Serving {
    let mut serve = relay(dir, store);
    serve
        .args(["serve", "--bind", "127.0.0.1:0", "--agent", "shell"])
        .args(["--share-heartbeat-ms", "1000"])
        .env("OPENAI_REALTIME_URL", peer.url())
        .env("OPENAI_API_KEY", "sk-test-key");
    Serving::start(serve)
}

/// Bob joins with `code` on the server at `addr`.
async fn join(addr: &str, code: &str, bob: &str, owner: &mut Client) -> Client {
    let mut guest = Client::connect_with_token(
        &format!("ws://{addr}/v1/conversation?protocol=1&join={code}"),
        bob,
    )
    .await;
    let ready = guest.expect("ready").await;
    assert_eq!(ready["session_id"], "pairing");
    assert_eq!(ready["user"], "bob");
    assert_eq!(ready["role"], "developer");
    assert_eq!(ready["owner"], "ann");
    assert_eq!(
        ready["participants"],
        json!([{"user": "ann", "role": "admin"}, {"user": "bob", "role": "developer"}])
    );
    assert_eq!(owner.expect("participant_joined").await["user"], "bob");
    guest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_session_spans_two_relay_serve_processes_on_one_redis() {
    let redis = RedisServer::start();
    let store = redis.url();
    let (a_dir, b_dir, c_dir) = (workspace(), workspace(), workspace());
    let ann = token(a_dir.path(), &store, "ann");
    let bob = token(b_dir.path(), &store, "bob");
    let mut scenario = Scenario::new()
        .transcripts(&["bob on the microphone"])
        .call(&[("create_branch", r#"{"name": "feature/pair"}"#)]);
    scenario.record_audio = true;
    let peer = FakeRealtime::start(scenario).await.unwrap();
    let unused = FakeRealtime::start(Scenario::new()).await.unwrap();
    let a = serve(a_dir.path(), &store, &peer);
    let b = serve(b_dir.path(), &store, &unused);
    let (a_addr, b_addr) = (a.addr.clone(), b.addr.clone());

    let mut owner = Client::connect_with_token(
        &format!("ws://{a_addr}/v1/conversation?protocol=1&session=pairing"),
        &ann,
    )
    .await;
    assert_eq!(owner.expect("ready").await["user"], "ann");
    owner.send(json!({"type": "invite"})).await;
    let code = owner.expect("invite").await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let mut guest = join(&b_addr, &code, &bob, &mut owner).await;

    // Bob asks for a write: the branch is ann's to allow, and it is made on A's workspace.
    guest
        .send(json!({"type": "text", "text": "make a branch feature/pair"}))
        .await;
    let mut id = String::new();
    for client in [&mut owner, &mut guest] {
        let [started, requested] = client
            .first_of_each(["tool_call_started", "approval_requested"])
            .await;
        assert_eq!(started["name"], "create_branch");
        assert_eq!(started["speaker"], "bob");
        let request = &requested["request"];
        assert_eq!(
            request["question"],
            "bob asks to run create branch. Allow it?"
        );
        assert_eq!(request["requested_by"], "bob");
        assert_eq!(request["approvers"], json!(["ann"]));
        id = request["id"].as_str().unwrap().to_string();
    }
    guest
        .send(json!({"type": "approval_answer", "id": id, "decision": "allow"}))
        .await;
    assert_eq!(guest.expect("error").await["code"], "not_an_approver");
    owner
        .send(json!({"type": "approval_answer", "id": id, "decision": "allow"}))
        .await;
    for client in [&mut owner, &mut guest] {
        let resolved = client.expect("approval_resolved").await;
        assert_eq!(resolved["answer"]["answered_by"], "ann");
        let finished = client.expect("tool_call_finished").await;
        assert_eq!(finished["ok"], true, "{finished}");
    }
    let branches = Command::new("git")
        .args(["branch", "--list", "feature/pair"])
        .current_dir(a_dir.path().join("api"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&branches.stdout).contains("feature/pair"));

    // Both hear the conversation; every utterance is attributed.
    typed_turn_reaches_everyone(&mut [&mut guest, &mut owner], "bob", "hello from bob").await;
    // Bob's microphone, through B and Redis, reaches A's Realtime peer as bob's.
    let speech = utterance();
    guest.speak(&speech).await;
    for client in [&mut owner, &mut guest] {
        let said = client.expect("user_transcript").await;
        assert_eq!(said["text"], "bob on the microphone");
        assert_eq!(said["speaker"], "bob");
    }
    assert_eq!(peer.input_audio_bytes(), speech.len());
    assert_eq!(unused.connection_count(), 0);

    // B dies: ann sees bob leave, and the conversation goes on.
    b.kill_9();
    assert_eq!(owner.expect("participant_left").await["user"], "bob");
    // Bob's socket went down with B.
    assert_eq!(guest.until(|_| false).await.last(), Some(&Frame::Closed));
    owner.send(json!({"type": "ping", "id": 1})).await;
    assert_eq!(owner.expect("pong").await["id"], 1);

    // Bob rejoins through C with the same invite; then A dies: bob is told, and closed.
    let c = serve(c_dir.path(), &store, &unused);
    let c_addr = c.addr.clone();
    let mut guest = join(&c_addr, &code, &bob, &mut owner).await;
    a.kill_9();
    let error = guest.expect("error").await;
    assert_eq!(error["code"], "owner_unreachable");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("stopped answering"),
        "{error}"
    );
    assert_eq!(guest.expect("closed").await["by_application"], false);
    assert_eq!(guest.next().await, Frame::Closed);

    // C itself is fine and stops cleanly.
    let (ok, log) = c.stop();
    assert!(ok, "{log}");
}

/// PCM16 24 kHz: `ms` of silence, or of a loud tone (speech to the peer's VAD).
fn pcm(ms: u32, loud: bool) -> Vec<u8> {
    (0..ms * 24)
        .flat_map(|i| {
            let s = if loud {
                ((f64::from(i) * 300.0 * std::f64::consts::TAU / 24_000.0).sin() * 12_000.0) as i16
            } else {
                0
            };
            s.to_le_bytes()
        })
        .collect()
}

/// One spoken turn: silence, speech, silence (the peer's VAD ends the turn).
fn utterance() -> Vec<u8> {
    [pcm(300, false), pcm(600, true), pcm(800, false)].concat()
}
