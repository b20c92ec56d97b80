//! `relay voice` and `relay chat` end to end: the real binary, the demo workspace of real git
//! repositories, and the fake Realtime server owned by the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::Value;

fn relay(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("relay runs");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

async fn relay_async(dir: PathBuf, args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        relay(&dir, &args, stdin.as_deref())
    })
    .await
    .unwrap()
}

/// Times of the `input_audio_buffer.append` events the server has read, waiting (up to 5 s) for `n`: the server
/// may still be reading the last frames when the client process has already exited.
async fn appended(server: &FakeRealtime, n: usize) -> Vec<std::time::Instant> {
    for _ in 0..500 {
        let log = server.connection(0);
        let times: Vec<_> = log
            .client_events
            .iter()
            .zip(&log.client_event_times)
            .filter(|(e, _)| e["type"] == "input_audio_buffer.append")
            .map(|(_, t)| *t)
            .collect();
        if times.len() >= n {
            return times;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!(
        "the server never read {n} appends: {:?}",
        server.connection(0).client_events.len()
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `relay demo` in a fresh directory; returns (guard, workspace path).
fn demo() -> (tempfile::TempDir, PathBuf) {
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
    assert!(ws.join("relay.yaml").exists());
    (dir, ws)
}

#[test]
fn voice_without_key_or_url_says_exactly_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = relay(dir.path(), &["voice", "--text", "hello"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: missing configuration: OPENAI_API_KEY. Set the OPENAI_API_KEY environment variable to your OpenAI API key, or pass --url to use another Realtime-compatible server."
    );
}

#[test]
fn voice_needs_text_or_wav() {
    let dir = tempfile::tempdir().unwrap();
    let out = relay(
        dir.path(),
        &["voice", "--url", "ws://127.0.0.1:9/v1/realtime"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--text"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn voice_text_runs_tools_on_the_workspace_and_prints_the_conversation() {
    let (_guard, ws) = demo();
    let server = FakeRealtime::start(Scenario::new().call(&[("project_status", "{}")]))
        .await
        .unwrap();
    let args = vec![
        "voice".into(),
        "--url".into(),
        server.url(),
        "--text".into(),
        "good morning".into(),
        "thanks".into(),
    ];
    let out = relay_async(ws, args, None).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("you: good morning\n  tool project_status({})\n"),
        "{stdout}"
    );
    assert!(stdout.contains("  ok project_status: "), "{stdout}");
    assert!(
        stdout.contains("relay: Results: {\"primary_project\":null"),
        "{stdout}"
    );
    assert!(
        stdout.contains("you: thanks\nrelay: You said: thanks\n"),
        "{stdout}"
    );
    assert_eq!(server.connection(0).model.as_deref(), Some("gpt-realtime"));
}

#[tokio::test(flavor = "multi_thread")]
async fn voice_json_prints_one_event_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeRealtime::start(Scenario::new().say("hi there", 300))
        .await
        .unwrap();
    let args = vec![
        "voice".into(),
        "--url".into(),
        server.url(),
        "--model".into(),
        "gpt-realtime-mini".into(),
        "--json".into(),
        "--text".into(),
        "hello".into(),
    ];
    let out = relay_async(dir.path().to_path_buf(), args, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"session_started"));
    assert!(types.contains(&"assistant_audio"));
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "assistant_text" && e["text"] == "hi there")
    );
    assert_eq!(types.last(), Some(&"response_done"));
    assert_eq!(
        server.connection(0).model.as_deref(),
        Some("gpt-realtime-mini")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn voice_wav_streams_speech_and_writes_the_reply_audio() {
    let dir = tempfile::tempdir().unwrap();
    // 16 kHz stereo input: Relay resamples to 24 kHz mono before streaming.
    let mut samples = Vec::new();
    for i in 0..16_000 {
        let loud = (3_200..12_800).contains(&i);
        let s = if loud {
            ((i as f64 * 250.0 * std::f64::consts::TAU / 16_000.0).sin() * 12_000.0) as i16
        } else {
            0
        };
        samples.extend([s, s]);
    }
    let input = dir.path().join("in.wav");
    relay_voice::audio::write_wav_pcm16(&input, &samples, 16_000, 2).unwrap();
    let server = FakeRealtime::start(
        Scenario::new()
            .transcripts(&["status please"])
            .say("All green.", 700),
    )
    .await
    .unwrap();
    let args = vec![
        "voice".into(),
        "--url".into(),
        server.url(),
        "--wav".into(),
        "in.wav".into(),
        "--out".into(),
        "out.wav".into(),
        "--fast".into(),
    ];
    let out = relay_async(dir.path().to_path_buf(), args, None).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("you: status please\nrelay: All green.\n"),
        "{stdout}"
    );
    let reply = relay_voice::audio::read_wav(dir.path().join("out.wav")).unwrap();
    assert_eq!(
        (reply.sample_rate, reply.channels, reply.duration_ms()),
        (24_000, 1, 700)
    );
    // 1 s of input plus 1 s of trailing silence reached the server.
    assert_eq!(appended(&server, 20).await.len(), 20);
}

#[test]
fn voice_rejects_a_file_that_is_not_wav() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.wav"), "not audio").unwrap();
    let out = relay(
        dir.path(),
        &[
            "voice",
            "--url",
            "ws://127.0.0.1:9/v1/realtime",
            "--wav",
            "notes.wav",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("notes.wav: not a RIFF/WAVE file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn chat_answers_typed_requests_offline() {
    let (_guard, ws) = demo();
    let out = relay(
        &ws,
        &["chat"],
        Some("status\nswitch to backend\nwhat is the impact of shared-api\nexit\n"),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("relay: 4 repositories:"), "{stdout}");
    assert!(
        stdout.contains(
            "relay: Primary project is now backend; related: shared-api, database-migrations."
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("relay: Changing shared-api affects database-migrations, backend, frontend"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn voice_wav_streams_at_real_time_pace_without_fast() {
    let dir = tempfile::tempdir().unwrap();
    // 300 ms of 24 kHz mono tone: 3 frames, then 10 frames of trailing silence, 100 ms apart.
    let samples: Vec<i16> = (0..7_200)
        .map(|i| ((i as f64 * 200.0 * std::f64::consts::TAU / 24_000.0).sin() * 10_000.0) as i16)
        .collect();
    relay_voice::audio::write_wav_pcm16(dir.path().join("in.wav"), &samples, 24_000, 1).unwrap();
    let server = FakeRealtime::start(Scenario::new().transcripts(&["hello"]))
        .await
        .unwrap();
    let args = vec![
        "voice".into(),
        "--url".into(),
        server.url(),
        "--wav".into(),
        "in.wav".into(),
    ];
    let out = relay_async(dir.path().to_path_buf(), args, None).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("you: hello\nrelay: You said: hello\n"),
        "{stdout}"
    );
    // Frames arrive spread over time, not in one burst. The client may stop streaming trailing
    // silence once the reply is in, so check the pace of the appends the server did read (at least
    // the 3 tone frames and one silence frame): consecutive frames ~100 ms apart (a behavioural
    // check with generous slack, not a benchmark).
    let times = appended(&server, 4).await;
    let spread = times[times.len() - 1] - times[0];
    let expected = std::time::Duration::from_millis(70 * (times.len() as u64 - 1));
    assert!(
        spread >= expected,
        "{} appends within {spread:?}",
        times.len()
    );
}

#[test]
fn chat_brings_up_a_local_environment_and_runs_commands_in_it_offline() {
    let (_guard, ws) = demo();
    // A script tears the environment down: it says so with --approve (tests/approvals_cli.rs
    // covers asking).
    let out = relay(
        &ws,
        &["chat", "--provider", "local", "--approve", "allow"],
        Some(
            "bring up environment dev\nrun `ls` in dev\nrun `sh -c 'exit 4'` in environment dev\n\
             list environments\ntear down dev\nrun `ls` in dev\nexit\n",
        ),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "relay: dev was created and is running.\ndev: running (local, profile developer)\n"
        ),
        "{stdout}"
    );
    // The environment holds the workspace's repositories.
    assert!(
        stdout.contains(
            "relay: `ls` in dev succeeded (exit code 0).\nstdout:\nbackend\ndatabase-migrations\nfrontend\nshared-api\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("relay: `sh -c exit 4` in dev failed with exit code 4.\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "relay: 1 environment, 1 running.\n- dev: running (local, profile developer)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("relay: dev was torn down and deleted.\n"),
        "{stdout}"
    );
    // Once dev is gone, the name is taken for a repository, and none is called that.
    assert!(
        stdout.contains("relay: run_agent_task failed: unknown repository `dev`"),
        "{stdout}"
    );
    assert!(!ws.join(".relay/envs/dev").exists());
}

#[test]
fn chat_runs_commands_across_repositories_with_the_shell_agent() {
    let (_guard, ws) = demo();
    let out = relay(
        &ws,
        &["chat"],
        Some("sync\nrun `git rev-parse --abbrev-ref HEAD` in backend and frontend\nexit\n"),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "relay: The task succeeded in all 2 repositories (backend, frontend). 0 files changed.\n\
             - backend: succeeded, no files changed\n- frontend: succeeded, no files changed\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  … backend: done in 1 turn, 0 files changed"),
        "spoken progress per repository: {stdout}"
    );
}

#[test]
fn chat_with_an_unknown_provider_says_what_to_use() {
    let (_guard, ws) = demo();
    let out = relay(&ws, &["chat", "--provider", "cloud"], Some("exit\n"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: unknown provider `cloud`; use proxmox or local"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn voice_offers_the_agent_and_env_tools_and_runs_the_shell_agent() {
    let (_guard, ws) = demo();
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("run_agent_task", r#"{"task":"ls src","repos":["backend"]}"#)])
            .say("Listed.", 200)
            .call(&[("run_agent_task", r#"{"task":"ls","repos":["billing"]}"#)])
            .say("No such repository.", 200),
    )
    .await
    .unwrap();
    let args: Vec<String> = [
        "voice",
        "--url",
        &server.url(),
        "--agent",
        "shell",
        "--provider",
        "local",
        "--text",
        "list backend's sources",
        "and billing's",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = relay_async(ws, args, None).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let update = &server.client_events_of("session.update")[0];
    let tools: Vec<&str> = update["session"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for tool in [
        "run_agent_task",
        "env_up",
        "env_exec",
        "env_down",
        "project_status",
    ] {
        assert!(tools.contains(&tool), "{tool} in {tools:?}");
    }
    assert!(
        stdout.contains("  … backend: done in 1 turn, 0 files changed\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  failed run_agent_task: {\"error\":\"unknown repository `billing`"),
        "{stdout}"
    );
    let outputs: Vec<Value> = server
        .client_events_of("conversation.item.create")
        .iter()
        .filter(|e| e["item"]["type"] == "function_call_output")
        .map(|e| serde_json::from_str(e["item"]["output"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        outputs[0]["summary"],
        "The task succeeded in the repository (backend). 0 files changed."
    );
    assert_eq!(outputs[0]["agent"], "shell");
}
