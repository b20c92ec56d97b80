//! Tools whose effect is hard to undo run only after a person approved the call: by button, by
//! their own speech, by a fixed policy; a denial, a timeout or no approver at all becomes the
//! output the model reads, and nothing runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use relay_core::approval::{
    AnswerSource, ApprovalAction, ApprovalAnswer, ApprovalDecision, ApprovalEvent, ApprovalHub,
    FixedApprover,
};
use relay_core::team::{Caller, Role};
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolRegistry, ToolSpec};
use relay_core::voice::VoiceEvent;
use serde_json::{Value, json};

/// Destroys a (pretend) environment: counts the calls that really ran.
struct Destroy(Arc<AtomicUsize>);

#[async_trait]
impl Tool for Destroy {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "destroy",
            "Destroys an environment.",
            json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
            Permission::ManageInfra,
        )
        .needs_approval()
    }
    fn approval_question(&self, args: &Value) -> String {
        format!(
            "Destroy the environment {}? Allow it?",
            args["name"].as_str().unwrap()
        )
    }
    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(json!({"destroyed": args["name"]}))
    }
}

/// A tool with the default question.
struct Merge;

#[async_trait]
impl Tool for Merge {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "merge",
            "Merges.",
            json!({"type": "object"}),
            Permission::WriteRepos,
        )
        .needs_approval()
    }
    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        Ok(json!({"merged": true}))
    }
}

fn registry(ran: &Arc<AtomicUsize>) -> ToolRegistry {
    ToolRegistry::new()
        .with(Arc::new(Destroy(ran.clone())))
        .with(Arc::new(Merge))
        .for_caller(Caller::new("ann", Role::Developer))
}

const ARGS: &str = r#"{"name": "backend-dev"}"#;

#[test]
fn the_flag_is_part_of_the_spec() {
    let ran = Arc::new(AtomicUsize::new(0));
    let spec = registry(&ran).spec("destroy").unwrap();
    assert!(spec.needs_approval);
    let value = serde_json::to_value(&spec).unwrap();
    assert_eq!(value["needs_approval"], true);
    // Specs serialized before the flag existed still read (as not needing approval).
    let mut old = value;
    old.as_object_mut().unwrap().remove("needs_approval");
    assert!(
        !serde_json::from_value::<ToolSpec>(old)
            .unwrap()
            .needs_approval
    );
}

#[tokio::test]
async fn without_an_approver_nothing_runs_and_the_model_is_told_why() {
    let ran = Arc::new(AtomicUsize::new(0));
    let out = registry(&ran)
        .invoke("destroy", ARGS, ToolContext::default())
        .await;
    assert!(!out.ok);
    assert_eq!(
        out.value["error"],
        "`destroy` was not run: it needs a person's approval and nobody can be asked here"
    );
    assert!(
        out.value["hint"]
            .as_str()
            .unwrap()
            .contains("--approve allow")
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_fixed_policy_allows_or_denies_without_asking() {
    let ran = Arc::new(AtomicUsize::new(0));
    let allowed = registry(&ran)
        .with_approver(Arc::new(FixedApprover(ApprovalDecision::Allow)))
        .invoke("destroy", ARGS, ToolContext::default())
        .await;
    assert!(allowed.ok, "{allowed:?}");
    assert_eq!(allowed.value["destroyed"], "backend-dev");
    let denied = registry(&ran)
        .with_approver(Arc::new(FixedApprover(ApprovalDecision::Deny)))
        .invoke("destroy", ARGS, ToolContext::default())
        .await;
    assert_eq!(
        denied.value["error"],
        "`destroy` was not run: denied by the approval policy; nobody was asked"
    );
    assert!(
        denied.value["hint"]
            .as_str()
            .unwrap()
            .contains("approval policy")
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// Starts `tool` on a registry answered by `hub`; returns the request once it waits.
async fn ask(
    hub: &Arc<ApprovalHub>,
    registry: ToolRegistry,
    tool: &'static str,
    args: &'static str,
) -> (
    relay_core::approval::ApprovalRequest,
    tokio::task::JoinHandle<relay_core::tools::ToolOutput>,
) {
    let mut events = hub.subscribe();
    let registry = registry.with_approver(hub.clone());
    let call =
        tokio::spawn(async move { registry.invoke(tool, args, ToolContext::default()).await });
    match events.recv().await.unwrap() {
        ApprovalEvent::ApprovalRequested { request } => (request, call),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_question_names_the_action_and_a_button_yes_runs_it() {
    let ran = Arc::new(AtomicUsize::new(0));
    let hub = ApprovalHub::new();
    let (request, call) = ask(&hub, registry(&ran), "destroy", ARGS).await;
    assert_eq!(
        request.question,
        "Destroy the environment backend-dev? Allow it?"
    );
    assert_eq!(request.requested_by.as_deref(), Some("ann"));
    assert_eq!(request.timeout_ms, 60_000);
    assert_eq!(
        request.action,
        ApprovalAction::Tool {
            name: "destroy".into(),
            arguments: json!({"name": "backend-dev"})
        }
    );
    // Nothing runs while the question waits.
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    hub.answer(
        &request.id,
        ApprovalAnswer::by("ann", ApprovalDecision::Allow, AnswerSource::Button),
    )
    .unwrap();
    let out = call.await.unwrap();
    assert!(out.ok, "{out:?}");
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_default_question_names_the_tool_and_its_arguments() {
    let ran = Arc::new(AtomicUsize::new(0));
    let hub = ApprovalHub::new();
    let (request, call) = ask(&hub, registry(&ran), "merge", r#"{"branch": "fix"}"#).await;
    assert_eq!(request.question, "Run merge (branch: fix)? Allow it?");
    hub.deny_all("the conversation ended");
    let out = call.await.unwrap();
    assert_eq!(
        out.value["error"],
        "`merge` was not run: the conversation ended"
    );
}

#[tokio::test]
async fn the_users_spoken_no_denies_and_the_models_yes_is_not_an_answer() {
    let ran = Arc::new(AtomicUsize::new(0));
    let hub = ApprovalHub::new();
    let (request, call) = ask(&hub, registry(&ran), "destroy", ARGS).await;
    // The model saying "Yes." (its text or its audio transcript) answers nothing.
    for event in [
        VoiceEvent::AssistantText {
            item_id: "a1".into(),
            text: "Yes.".into(),
        },
        VoiceEvent::AssistantTextDelta {
            item_id: "a1".into(),
            delta: "yes".into(),
        },
    ] {
        assert_eq!(hub.hear("ann", &event), None);
    }
    assert_eq!(hub.pending().len(), 1);
    let no = VoiceEvent::UserTranscript {
        item_id: "u2".into(),
        text: "No, don't.".into(),
    };
    assert_eq!(hub.hear("ann", &no), Some(request.id));
    let out = call.await.unwrap();
    assert_eq!(
        out.value["error"],
        "`destroy` was not run: the user (ann) said no"
    );
    assert!(
        out.value["hint"]
            .as_str()
            .unwrap()
            .contains("do not try again")
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn no_answer_within_the_timeout_denies() {
    let ran = Arc::new(AtomicUsize::new(0));
    let out = registry(&ran)
        .with_approver(ApprovalHub::new())
        .approval_timeout(Duration::from_millis(30))
        .invoke("destroy", ARGS, ToolContext::default())
        .await;
    assert_eq!(
        out.value["error"],
        "`destroy` was not run: nobody answered within 30 ms"
    );
    assert!(out.value["hint"].as_str().unwrap().contains("in time"));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn tools_without_the_flag_are_never_asked_about() {
    struct Look;
    #[async_trait]
    impl Tool for Look {
        fn spec(&self) -> ToolSpec {
            ToolSpec::new(
                "look",
                "Looks.",
                json!({"type": "object"}),
                Permission::Read,
            )
        }
        async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
            Ok(json!({"seen": true}))
        }
    }
    // A hub nobody answers: a question would time out the call.
    let out = ToolRegistry::new()
        .with(Arc::new(Look))
        .with_approver(ApprovalHub::new())
        .approval_timeout(Duration::from_millis(1))
        .invoke("look", "{}", ToolContext::default())
        .await;
    assert!(out.ok, "{out:?}");
}

#[tokio::test]
async fn a_refused_role_is_not_asked_about() {
    let ran = Arc::new(AtomicUsize::new(0));
    let hub = ApprovalHub::new();
    let mut events = hub.subscribe();
    let out = registry(&ran)
        .with_permissions([Permission::Read])
        .with_approver(hub.clone())
        .invoke("destroy", ARGS, ToolContext::default())
        .await;
    assert!(out.value["error"].as_str().unwrap().contains("permission"));
    assert!(events.try_recv().is_err(), "nobody was asked");
}

/// Deletes a branch; only `force: true` (deleting unmerged work) needs approval.
struct DeleteBranch(Arc<AtomicUsize>);

#[async_trait]
impl Tool for DeleteBranch {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "delete_branch",
            "Deletes a branch.",
            json!({"type": "object", "properties": {"force": {"type": "boolean"}}}),
            Permission::WriteRepos,
        )
    }
    fn needs_approval(&self, args: &Value) -> bool {
        args["force"] == true
    }
    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(json!({"deleted": true}))
    }
}

#[tokio::test]
async fn a_tool_may_decide_per_call_whether_it_needs_approval() {
    let ran = Arc::new(AtomicUsize::new(0));
    let registry = ToolRegistry::new().with(Arc::new(DeleteBranch(ran.clone())));
    assert!(!registry.spec("delete_branch").unwrap().needs_approval);
    let plain = registry
        .invoke("delete_branch", "{}", ToolContext::default())
        .await;
    assert!(plain.ok, "{plain:?}");
    let forced = registry
        .invoke(
            "delete_branch",
            r#"{"force": true}"#,
            ToolContext::default(),
        )
        .await;
    assert_eq!(
        forced.value["error"],
        "`delete_branch` was not run: it needs a person's approval and nobody can be asked here"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1, "only the plain call ran");
    let allowed = registry
        .with_approver(Arc::new(FixedApprover(ApprovalDecision::Allow)))
        .invoke(
            "delete_branch",
            r#"{"force": true}"#,
            ToolContext::default(),
        )
        .await;
    assert!(allowed.ok, "{allowed:?}");
    assert_eq!(ran.load(Ordering::SeqCst), 2);
}
