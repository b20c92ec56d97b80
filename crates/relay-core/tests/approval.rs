//! The approval hub: answers from buttons and speech, who may answer, timeouts, "always".

use std::sync::Arc;
use std::time::Duration;

use relay_core::approval::{
    AnswerSource, ApprovalAction, ApprovalAnswer, ApprovalDecision, ApprovalError, ApprovalEvent,
    ApprovalHub, ApprovalRequest, Approver, FixedApprover,
};
use serde_json::json;

fn env_down() -> ApprovalRequest {
    ApprovalRequest::new(
        "Destroy the environment backend-dev? Allow it?",
        ApprovalAction::Tool {
            name: "env_down".into(),
            arguments: json!({"name": "backend-dev"}),
        },
    )
}

/// Starts `request` on the hub and returns it once it is pending, with the waiting task.
async fn ask(
    hub: &Arc<ApprovalHub>,
    request: ApprovalRequest,
) -> (String, tokio::task::JoinHandle<ApprovalAnswer>) {
    let mut events = hub.subscribe();
    let id = request.id.clone();
    let task = tokio::spawn({
        let hub = hub.clone();
        async move { hub.approve(request).await }
    });
    match events.recv().await.unwrap() {
        ApprovalEvent::ApprovalRequested { request } => assert_eq!(request.id, id),
        other => panic!("expected the request first, got {other:?}"),
    }
    (id, task)
}

#[tokio::test]
async fn a_button_answers_and_everyone_hears_the_resolution() {
    let hub = ApprovalHub::new();
    let mut watcher = hub.subscribe();
    let (id, task) = ask(&hub, env_down().requested_by("ann")).await;
    assert_eq!(hub.pending().len(), 1);
    hub.answer(
        &id,
        ApprovalAnswer::by("ann", ApprovalDecision::Deny, AnswerSource::Button),
    )
    .unwrap();
    let answer = task.await.unwrap();
    assert!(!answer.allows());
    assert_eq!(answer.answered_by.as_deref(), Some("ann"));
    assert_eq!(answer.via, AnswerSource::Button);
    assert!(hub.pending().is_empty());
    // The watcher sees the request, then its resolution.
    assert!(matches!(
        watcher.recv().await.unwrap(),
        ApprovalEvent::ApprovalRequested { .. }
    ));
    match watcher.recv().await.unwrap() {
        ApprovalEvent::ApprovalResolved {
            id: resolved,
            answer,
        } => {
            assert_eq!(resolved, id);
            assert_eq!(answer.decision, ApprovalDecision::Deny);
        }
        other => panic!("{other:?}"),
    }
    // A second answer to the same request is refused, not silently taken.
    let again = hub.answer(
        &id,
        ApprovalAnswer::by("ann", ApprovalDecision::Allow, AnswerSource::Button),
    );
    assert_eq!(again.unwrap_err().code(), "approval_not_pending");
}

#[tokio::test]
async fn speech_answers_only_for_a_user_who_may_answer() {
    let hub = ApprovalHub::new();
    let (id, task) = ask(&hub, env_down().requested_by("bob").approvers(["ann"])).await;
    // The guest saying "yes" is not an answer to a request only the owner may answer.
    assert_eq!(hub.answer_from_speech("bob", "yes"), None);
    let refused = hub.answer(
        &id,
        ApprovalAnswer::by("bob", ApprovalDecision::Allow, AnswerSource::Button),
    );
    assert!(matches!(refused, Err(ApprovalError::NotAnApprover { .. })));
    // Words that are not an answer leave it waiting.
    assert_eq!(hub.answer_from_speech("ann", "what does it destroy"), None);
    assert_eq!(hub.pending().len(), 1);
    assert_eq!(hub.answer_from_speech("ann", "Only this once."), Some(id));
    let answer = task.await.unwrap();
    assert_eq!(answer.decision, ApprovalDecision::Allow);
    assert_eq!(answer.via, AnswerSource::Voice);
    assert_eq!(answer.answered_by.as_deref(), Some("ann"));
}

#[tokio::test]
async fn no_answer_in_time_denies() {
    let hub = ApprovalHub::new();
    let answer = hub
        .approve(env_down().timeout(Duration::from_millis(20)))
        .await;
    assert_eq!(answer.decision, ApprovalDecision::Deny);
    assert_eq!(answer.via, AnswerSource::Timeout);
    assert!(answer.reason.unwrap().contains("nobody answered"));
    assert!(hub.pending().is_empty());
}

#[tokio::test]
async fn always_allows_the_same_tool_for_the_rest_of_the_session() {
    let hub = ApprovalHub::new();
    let (id, task) = ask(&hub, env_down()).await;
    hub.answer(
        &id,
        ApprovalAnswer::by(
            "ann",
            ApprovalDecision::AllowForSession,
            AnswerSource::Button,
        ),
    )
    .unwrap();
    assert!(task.await.unwrap().allows());
    // The same tool again: answered without a question.
    let second = hub.approve(env_down()).await;
    assert_eq!(second.decision, ApprovalDecision::AllowForSession);
    assert!(hub.pending().is_empty());
    // Another tool still asks (and times out here).
    let other = ApprovalRequest::new(
        "Push?",
        ApprovalAction::Tool {
            name: "push".into(),
            arguments: json!({}),
        },
    )
    .timeout(Duration::from_millis(10));
    assert_eq!(hub.approve(other).await.via, AnswerSource::Timeout);
}

#[tokio::test]
async fn ending_the_conversation_denies_what_waits() {
    let hub = ApprovalHub::new();
    let (_, task) = ask(&hub, env_down()).await;
    hub.deny_all("the conversation ended");
    let answer = task.await.unwrap();
    assert_eq!(answer.via, AnswerSource::Unavailable);
    assert_eq!(answer.reason.as_deref(), Some("the conversation ended"));
}

#[tokio::test]
async fn a_fixed_policy_answers_without_asking() {
    let deny = FixedApprover(ApprovalDecision::Deny)
        .approve(env_down())
        .await;
    assert_eq!(
        (deny.decision, deny.via),
        (ApprovalDecision::Deny, AnswerSource::Policy)
    );
    assert!(deny.reason.is_some());
    let allow = FixedApprover(ApprovalDecision::Allow)
        .approve(env_down())
        .await;
    assert!(allow.allows());
}

#[test]
fn requests_serialize_for_every_adapter() {
    let request = env_down()
        .requested_by("bob")
        .session("s1")
        .approvers(["ann"]);
    let value = serde_json::to_value(&request).unwrap();
    assert_eq!(value["action"]["kind"], "tool");
    assert_eq!(value["action"]["name"], "env_down");
    assert_eq!(value["timeout_ms"], 60_000);
    let back: ApprovalRequest = serde_json::from_value(value).unwrap();
    assert_eq!(back, request);
    let event = ApprovalEvent::ApprovalResolved {
        id: "a".into(),
        answer: ApprovalAnswer::by("ann", ApprovalDecision::Allow, AnswerSource::Voice),
    };
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(value["type"], "approval_resolved");
    assert_eq!(value["answer"]["via"], "voice");
}
