//! Shared helpers for the transport tests: tools the "app" registers, a session starter, and
//! event collection with a safety timeout (a hang fails the test; no timing is asserted).

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use relay_core::tools::ToolRegistry;
pub use relay_core::tools::test_util::{Lookup, SlowSync};
use relay_core::voice::{
    TranscriptionConfig, TurnDetection, VoiceEvent, VoiceSession, VoiceSessionConfig,
    VoiceTransport,
};
use relay_core::{RepoGraph, Workspace};
use relay_repos::GitRepoGraph;
use relay_testkit::realtime::FakeRealtime;
use relay_voice::{RealtimeConfig, RealtimeTransport, ReconnectPolicy};
use serde_json::Value;
use tokio::sync::Notify;

pub fn registry(gate: Option<Arc<Notify>>) -> Arc<ToolRegistry> {
    let mut r = ToolRegistry::new().with(Arc::new(Lookup));
    if let Some(release) = gate {
        r.register(Arc::new(SlowSync { release }));
    }
    Arc::new(r)
}

pub fn fast_reconnect() -> ReconnectPolicy {
    ReconnectPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    }
}

pub fn transport(server: &FakeRealtime, registry: Arc<ToolRegistry>) -> RealtimeTransport {
    let config = RealtimeConfig::builder()
        .url(server.url())
        .api_key("sk-test-key")
        .reconnect(fast_reconnect())
        .build()
        .unwrap();
    RealtimeTransport::new(config, registry)
}

pub fn voice_config() -> VoiceSessionConfig {
    VoiceSessionConfig::builder()
        .turn_detection(Some(TurnDetection::server_vad()))
        .transcription(Some(TranscriptionConfig {
            model: "gpt-4o-transcribe".into(),
            language: None,
        }))
        .progress_interval_ms(150)
        .build()
}

pub async fn start(server: &FakeRealtime, registry: Arc<ToolRegistry>) -> VoiceSession {
    transport(server, registry)
        .start(voice_config())
        .await
        .expect("session starts")
}

/// Reads events until `stop` matches (inclusive). Fails the test after 60 s: a hang guard roomy
/// enough for tools that start the real `claude` CLI on a loaded machine.
pub async fn until(
    session: &VoiceSession,
    mut stop: impl FnMut(&VoiceEvent) -> bool,
) -> Vec<VoiceEvent> {
    let mut seen = Vec::new();
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(ev) = session.next_event().await {
            let done = stop(&ev);
            seen.push(ev);
            if done {
                return;
            }
        }
    })
    .await;
    assert!(result.is_ok(), "timed out; events so far: {seen:#?}");
    seen
}

/// Reads until the reply to the last input is complete (see `ReplyTracker`).
pub async fn until_reply(session: &VoiceSession) -> Vec<VoiceEvent> {
    let mut tracker = relay_core::voice::ReplyTracker::default();
    until(session, move |e| tracker.observe(e)).await
}

/// Reads until an `assistant_text` whose text contains `needle`.
pub async fn until_says(session: &VoiceSession, needle: &str) -> Vec<VoiceEvent> {
    let needle = needle.to_string();
    until(
        session,
        move |e| matches!(e, VoiceEvent::AssistantText { text, .. } if text.contains(&needle)),
    )
    .await
}

/// The `function_call_output`s the fake model received, parsed, in the order they were sent.
pub fn tool_outputs(server: &FakeRealtime) -> Vec<Value> {
    server
        .client_events_of("conversation.item.create")
        .iter()
        .filter(|e| e["item"]["type"] == "function_call_output")
        .map(|e| serde_json::from_str(e["item"]["output"].as_str().unwrap()).unwrap())
        .collect()
}

/// The spoken progress messages among `events`.
pub fn progress_messages(events: &[VoiceEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            VoiceEvent::ToolProgress { progress, .. } => Some(progress.message.clone()),
            _ => None,
        })
        .collect()
}

pub fn texts(events: &[VoiceEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            VoiceEvent::AssistantText { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// 24 kHz PCM16 bytes: a loud 300 Hz tone (`loud`) or silence.
pub fn pcm(ms: u32, loud: bool) -> Vec<u8> {
    let n = ms * 24;
    let mut out = Vec::with_capacity(n as usize * 2);
    for i in 0..n {
        let s = if loud {
            ((f64::from(i) * 300.0 * std::f64::consts::TAU / 24_000.0).sin() * 12_000.0) as i16
        } else {
            0
        };
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// shared-api <- backend <- frontend, each a real repository with one commit.
pub fn git_workspace(root: &Path) -> Arc<dyn RepoGraph> {
    for (name, msg) in [
        ("shared-api", "Add user schema"),
        ("backend", "Add login endpoint"),
        ("frontend", "Add login form"),
    ] {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        std::fs::write(dir.join("README.md"), name).unwrap();
        git(&dir, &["add", "."]);
        git(&dir, &["commit", "-q", "-m", msg]);
    }
    std::fs::write(root.join("backend/wip.txt"), "unsaved work").unwrap();
    std::fs::write(
        root.join("relay.yaml"),
        "repositories:\n  - name: shared-api\n  - name: backend\n    dependencies: [shared-api]\n  - name: frontend\n    dependencies: [backend]\n",
    )
    .unwrap();
    Arc::new(GitRepoGraph::new(
        Workspace::load(root.join("relay.yaml")).unwrap(),
    ))
}
