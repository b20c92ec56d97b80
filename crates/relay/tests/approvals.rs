//! Approvals through the facade: a conversation's tools ask the person before what is hard to
//! undo, the question is spoken in a Realtime conversation (the testkit's Realtime peer) and the
//! user's own transcribed speech answers — never the model's output; every request and answer
//! lands in the audit chain.

use std::sync::Arc;
use std::time::Duration;

use relay::core::approval::{
    AnswerSource, ApprovalAnswer, ApprovalDecision, ApprovalEvent, ApprovalHub, QuestionSpeaker,
};
use relay::core::store::{AuditFilter, AuditOutcome};
use relay::core::tools::{SessionContext, ToolContext, ToolRegistry};
use relay::core::voice::{VoiceEvent, VoiceSession};
use relay::{
    AuditVerdict, EnvironmentsConfig, ProviderKind, Relay, StoreChoice, TransportKind, VoiceConfig,
};
use relay_testkit::git::write_workspace;
use relay_testkit::realtime::{FakeRealtime, Scenario};
use serde_json::json;

async fn relay(dir: &tempfile::TempDir) -> Relay {
    Relay::builder()
        .workspace(dir.path())
        .store(StoreChoice::Configured)
        .environments(
            EnvironmentsConfig::new()
                .provider(ProviderKind::Local)
                .local_root(dir.path().join("envs")),
        )
        .user("ann")
        .build()
        .await
        .unwrap()
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[])]);
    dir
}

async fn up(registry: &ToolRegistry, name: &str) {
    let out = registry
        .invoke(
            "env_up",
            &json!({"name": name}).to_string(),
            ToolContext::default(),
        )
        .await;
    assert!(out.ok, "{out:?}");
}

/// The request of the next question `hub` publishes.
async fn next_question(events: &mut tokio::sync::broadcast::Receiver<ApprovalEvent>) -> String {
    loop {
        if let ApprovalEvent::ApprovalRequested { request } = events.recv().await.unwrap() {
            return request.id;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_and_answer_is_in_the_audit_chain() {
    let dir = workspace();
    let relay = relay(&dir).await;
    let hub = ApprovalHub::new();
    let registry = Arc::new(
        relay
            .tools_for_session(Some("s1".into()))
            .unwrap()
            .with_approver(hub.clone()),
    );
    up(&registry, "scratch").await;
    let mut events = hub.subscribe();

    // Destroying it: the user says yes.
    let call = tokio::spawn({
        let registry = registry.clone();
        async move {
            registry
                .invoke("env_down", r#"{"name":"scratch"}"#, ToolContext::default())
                .await
        }
    });
    let id = next_question(&mut events).await;
    let heard = hub.hear(
        "ann",
        &VoiceEvent::UserTranscript {
            item_id: "u1".into(),
            text: "Yes.".into(),
        },
    );
    assert_eq!(heard, Some(id));
    assert!(call.await.unwrap().ok);

    // Rolling another back: the user presses "deny".
    up(&registry, "other").await;
    let call = tokio::spawn({
        let registry = registry.clone();
        async move {
            registry
                .invoke(
                    "env_rollback",
                    r#"{"name":"other","snapshot":"clean"}"#,
                    ToolContext::default(),
                )
                .await
        }
    });
    let id = next_question(&mut events).await;
    hub.answer(
        &id,
        ApprovalAnswer::by("ann", ApprovalDecision::Deny, AnswerSource::Button),
    )
    .unwrap();
    let out = call.await.unwrap();
    assert_eq!(
        out.value["error"],
        "`env_rollback` was not run: the user (ann) said no"
    );

    let records = relay.audit(AuditFilter::default()).await.unwrap();
    let approvals: Vec<_> = records
        .iter()
        .filter(|r| r.entry.kind == "approval")
        .map(|r| &r.entry)
        .collect();
    assert_eq!(approvals.len(), 2, "{records:#?}");
    let yes = approvals[0];
    assert_eq!(
        (yes.action.as_str(), yes.outcome, yes.session.as_deref()),
        ("env_down", AuditOutcome::Ok, Some("s1"))
    );
    assert_eq!(
        yes.args["question"],
        "Destroy the environment scratch, with its disks and snapshots? Allow it?"
    );
    assert_eq!(yes.args["answered_by"], "ann");
    assert_eq!(yes.args["via"], "voice");
    assert_eq!(yes.args["decision"], "allow");
    assert_eq!(yes.args["arguments"], json!({"name": "scratch"}));
    assert_eq!(yes.detail.as_deref(), Some("allowed by ann (voice)"));
    let no = approvals[1];
    assert_eq!(
        (no.action.as_str(), no.outcome),
        ("env_rollback", AuditOutcome::Denied)
    );
    assert_eq!(no.args["via"], "button");
    assert_eq!(no.detail.as_deref(), Some("denied by ann (button)"));
    // Each approval comes before its tool's own entry, which says what happened.
    let tools: Vec<(String, AuditOutcome)> = records
        .iter()
        .filter(|r| r.entry.kind == "tool" && r.entry.action != "env_up")
        .map(|r| (r.entry.action.clone(), r.entry.outcome))
        .collect();
    assert_eq!(
        tools,
        [
            ("env_down".to_string(), AuditOutcome::Ok),
            ("env_rollback".to_string(), AuditOutcome::Denied)
        ]
    );
    assert!(
        records
            .iter()
            .position(|r| r.entry.kind == "approval")
            .unwrap()
            < records
                .iter()
                .position(|r| r.entry.kind == "tool" && r.entry.action == "env_down")
                .unwrap()
    );
    assert!(matches!(
        relay.verify_audit().await.unwrap(),
        AuditVerdict::Intact { .. }
    ));
}

/// 100 ms frames of PCM16 24 kHz: `loud_ms` of a tone, then a second of silence.
fn speech(loud_ms: usize) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for i in 0..(loud_ms / 100 + 10) {
        let loud = i < loud_ms / 100;
        let frame: Vec<u8> = (0..2400)
            .flat_map(|n| {
                let s: i16 = if loud && (n / 20) % 2 == 0 {
                    8000
                } else if loud {
                    -8000
                } else {
                    0
                };
                s.to_le_bytes()
            })
            .collect();
        frames.push(frame);
    }
    frames
}

/// Reads events (each one heard by `hub` as ann's conversation) until `stop`; 60 s hang guard.
async fn until(
    session: &VoiceSession,
    hub: &ApprovalHub,
    mut stop: impl FnMut(&VoiceEvent) -> bool,
) -> Vec<VoiceEvent> {
    let mut seen = Vec::new();
    let done = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(event) = session.next_event().await {
            hub.hear("ann", &event);
            let stop = stop(&event);
            seen.push(event);
            if stop {
                return;
            }
        }
    })
    .await;
    assert!(done.is_ok(), "timed out; events so far: {seen:#?}");
    seen
}

/// A Realtime conversation whose model calls `env_down` on `scratch`, then answers the user's
/// spoken "what would that delete" with "Yes." itself; the user's next utterance is
/// transcribed as `answer`.
async fn spoken(answer: &str) -> (tempfile::TempDir, Vec<VoiceEvent>, bool) {
    let dir = workspace();
    let relay = relay(&dir).await;
    let hub = ApprovalHub::new();
    let registry = Arc::new(
        relay
            .tools_for_session(Some("voice".into()))
            .unwrap()
            .with_approver(hub.clone()),
    );
    up(&registry, "scratch").await;
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("env_down", r#"{"name":"scratch"}"#)])
            .say("Yes.", 200)
            .transcripts(&["what would that delete", answer]),
    )
    .await
    .unwrap();
    let session = Arc::new(
        VoiceConfig::new()
            .transport(TransportKind::Realtime)
            .url(server.url())
            .api_key("test-key")
            .start(registry, SessionContext::new())
            .await
            .unwrap(),
    );
    let _speaker = QuestionSpeaker::start(&hub, session.clone());
    let question = "Destroy the environment scratch, with its disks and snapshots? Allow it?";
    session.send_text("tear down scratch").unwrap();
    let mut events = until(
        &session,
        &hub,
        |e| matches!(e, VoiceEvent::AssistantText { text, .. } if text == question),
    )
    .await;
    // The user asks something (not an answer) and the model says "Yes." itself: that is not
    // the user's answer.
    for frame in speech(600) {
        session.send_audio(frame).unwrap();
    }
    events.extend(
        until(
            &session,
            &hub,
            |e| matches!(e, VoiceEvent::AssistantText { text, .. } if text == "Yes."),
        )
        .await,
    );
    assert_eq!(hub.pending().len(), 1, "still waiting for the user");
    for frame in speech(600) {
        session.send_audio(frame).unwrap();
    }
    events.extend(
        until(
            &session,
            &hub,
            |e| matches!(e, VoiceEvent::ToolCallFinished { name, .. } if name == "env_down"),
        )
        .await,
    );
    session.close();
    let exists = dir.path().join("envs").join("scratch").exists();
    (dir, events, exists)
}

fn finished(events: &[VoiceEvent]) -> (bool, String) {
    events
        .iter()
        .find_map(|e| match e {
            VoiceEvent::ToolCallFinished { ok, output, .. } => Some((*ok, output.clone())),
            _ => None,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_question_is_spoken_and_the_users_spoken_yes_runs_the_tool() {
    let (_dir, events, exists) = spoken("Yes, go ahead.").await;
    let (ok, output) = finished(&events);
    assert!(ok, "{output}");
    assert!(!exists, "the environment is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_spoken_no_stops_it_whatever_the_model_said() {
    let (_dir, events, exists) = spoken("No.").await;
    let (ok, output) = finished(&events);
    assert!(!ok);
    assert!(output.contains("the user (ann) said no"), "{output}");
    assert!(exists, "nothing was destroyed");
}
