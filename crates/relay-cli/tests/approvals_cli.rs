//! Approvals in `relay voice` and `relay chat`: the real binary, the demo workspace, a local
//! environment, and the fake Realtime server owned by the test. The model asks to destroy the
//! environment; the question is spoken, and the user's own answer, the `--approve` policy, or
//! nobody (a timeout, no terminal) decides.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::Value;

const QUESTION: &str = "Destroy the environment scratch, with its disks and snapshots? Allow it?";

fn relay(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relay runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn relay_async(dir: PathBuf, args: Vec<String>, stdin: &str) -> Output {
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        relay(&dir, &args, &stdin)
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The demo workspace with a local environment `scratch` running.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(dir.path())
        .arg("demo")
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ws = dir.path().join("relay-demo/workspace");
    let up = relay(&ws, &["env", "up", "scratch", "--provider", "local"], "");
    assert!(up.status.success(), "{}", text(&up.stderr));
    (dir, ws)
}

fn exists(ws: &Path) -> bool {
    let out = relay(ws, &["env", "ls", "--provider", "local", "--json"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).contains("\"scratch\"")
}

/// `relay voice` against a model that calls `env_down` on scratch, with `extra` arguments.
async fn voice(ws: &Path, server: &FakeRealtime, extra: &[&str]) -> (Output, String) {
    let mut args: Vec<String> = ["voice", "--url", &server.url(), "--provider", "local"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = relay_async(ws.to_path_buf(), args, "").await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    (out, stdout)
}

fn destroy_scenario() -> Scenario {
    Scenario::new().call(&[("env_down", r#"{"name":"scratch"}"#)])
}

/// The output the model received for env_down.
fn env_down_output(server: &FakeRealtime) -> Value {
    server
        .client_events_of("conversation.item.create")
        .iter()
        .filter(|e| e["item"]["type"] == "function_call_output")
        .map(|e| serde_json::from_str(e["item"]["output"].as_str().unwrap()).unwrap())
        .next()
        .expect("a function call output")
}

/// Whether the question was sent to the model to be spoken.
fn announced(server: &FakeRealtime) -> bool {
    server.client_events_of("response.create").iter().any(|e| {
        e["response"]["instructions"]
            .as_str()
            .is_some_and(|i| i.contains(QUESTION))
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_question_is_spoken_and_the_users_yes_destroys_it() {
    let (_guard, ws) = workspace();
    let server = FakeRealtime::start(destroy_scenario()).await.unwrap();
    let (_, stdout) = voice(&ws, &server, &["--text", "tear down scratch", "yes"]).await;
    assert!(
        announced(&server),
        "{:#?}",
        server.client_events_of("response.create")
    );
    assert!(
        stdout.contains(&format!("  ? {QUESTION} (say yes or no)\n")),
        "{stdout}"
    );
    assert!(stdout.contains("you: yes\n"), "{stdout}");
    assert!(stdout.contains("  approved by "), "{stdout}");
    assert_eq!(
        env_down_output(&server)["summary"],
        "scratch was torn down and deleted."
    );
    assert!(!exists(&ws));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_users_no_keeps_it_and_the_model_is_told() {
    let (_guard, ws) = workspace();
    let server = FakeRealtime::start(destroy_scenario()).await.unwrap();
    let (_, stdout) = voice(&ws, &server, &["--text", "tear down scratch", "no"]).await;
    assert!(announced(&server));
    assert!(stdout.contains("  denied by "), "{stdout}");
    let output = env_down_output(&server);
    assert!(
        output["error"].as_str().unwrap().ends_with("said no"),
        "{output}"
    );
    assert!(
        output["hint"]
            .as_str()
            .unwrap()
            .contains("do not try again")
    );
    assert!(exists(&ws));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_approve_policy_answers_for_scripts() {
    let (_guard, ws) = workspace();
    let server = FakeRealtime::start(destroy_scenario()).await.unwrap();
    voice(
        &ws,
        &server,
        &["--approve", "deny", "--text", "tear down scratch"],
    )
    .await;
    assert_eq!(
        env_down_output(&server)["error"],
        "`env_down` was not run: denied by the approval policy; nobody was asked"
    );
    assert!(!announced(&server), "a policy asks nobody");
    assert!(exists(&ws));

    let server = FakeRealtime::start(destroy_scenario()).await.unwrap();
    voice(
        &ws,
        &server,
        &["--approve", "allow", "--text", "tear down scratch"],
    )
    .await;
    assert_eq!(
        env_down_output(&server)["summary"],
        "scratch was torn down and deleted."
    );
    assert!(!exists(&ws));
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_answering_in_time_denies() {
    let (_guard, ws) = workspace();
    let server = FakeRealtime::start(destroy_scenario()).await.unwrap();
    let (_, stdout) = voice(
        &ws,
        &server,
        &["--approval-timeout", "1", "--text", "tear down scratch"],
    )
    .await;
    assert!(announced(&server));
    assert_eq!(
        env_down_output(&server)["error"],
        "`env_down` was not run: nobody answered within 1 s"
    );
    assert!(
        stdout.contains("  denied: nobody answered within 1 s\n"),
        "{stdout}"
    );
    assert!(exists(&ws));
}

#[test]
fn chat_without_a_terminal_denies_unless_told_otherwise() {
    let (_guard, ws) = workspace();
    let out = relay(&ws, &["chat", "--provider", "local"], "tear down scratch\n");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("stdin is not a terminal); pass --approve allow or --approve deny"),
        "{stdout}"
    );
    assert!(exists(&ws));
    let out = relay(
        &ws,
        &["chat", "--provider", "local", "--approve", "allow"],
        "tear down scratch\n",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("scratch was torn down and deleted."),
        "{stdout}"
    );
    assert!(!exists(&ws));
}

#[test]
fn a_bad_policy_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = relay(dir.path(), &["chat", "--approve", "maybe"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown approval policy `maybe`; use allow or deny"),
        "{}",
        text(&out.stderr)
    );
}
