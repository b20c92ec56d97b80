//! Who is asking, through the facade: roles and their denials (naming the role that would be
//! allowed), environment limits, tokens (wrong, revoked), users outside the team, and the audit
//! entries every tool call leaves, denials included.

use std::sync::Arc;

use async_trait::async_trait;
use relay::core::approval::{ApprovalDecision, Approver, FixedApprover};
use relay::core::store::{AuditFilter, AuditOutcome};
use relay::core::team::Role;
use relay::core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};
use relay::{EnvironmentsConfig, Error, ProviderKind, Relay, StoreChoice};
use relay_testkit::git::write_workspace;
use serde_json::{Value, json};

const TEAM: &str = "team:\n  - user: ann\n    role: developer\n    max_environments: 1\n  - user: bob\n    role: developer\n  - user: carl\n    role: team_lead\n  - user: root\n    role: admin\n";

fn workspace(team: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[]), ("app", &["api"])]);
    let file = dir.path().join("relay.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{yaml}{team}")).unwrap();
    dir
}

async fn relay_as(dir: &tempfile::TempDir, user: &str) -> Relay {
    Relay::builder()
        .workspace(dir.path())
        .store(StoreChoice::Configured)
        .environments(
            EnvironmentsConfig::new()
                .provider(ProviderKind::Local)
                .local_root(dir.path().join("envs")),
        )
        .user(user)
        .build()
        .await
        .unwrap()
}

/// A tool needing `permission` that echoes its arguments.
struct Needs(Permission);

#[async_trait]
impl Tool for Needs {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            format!("needs_{}", self.0),
            "test tool",
            json!({"type": "object"}),
            self.0,
        )
    }
    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        Ok(args)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_team_the_user_is_an_admin_and_nothing_is_denied() {
    let dir = workspace("");
    let relay = Relay::builder()
        .workspace(dir.path())
        .user("solo")
        .build()
        .await
        .unwrap();
    assert_eq!(
        (relay.caller().user.as_str(), relay.caller().role),
        ("solo", Role::Admin)
    );
    let registry = relay
        .tools()
        .unwrap()
        .with(Arc::new(Needs(Permission::Admin)));
    assert!(
        registry
            .invoke("needs_admin", "{}", ToolContext::default())
            .await
            .ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_is_denied_what_it_lacks_and_told_which_role_may() {
    let dir = workspace(TEAM);
    for (user, role) in [
        ("bob", Role::Developer),
        ("carl", Role::TeamLead),
        ("root", Role::Admin),
    ] {
        let relay = relay_as(&dir, user).await;
        assert_eq!(relay.caller().role, role);
        let mut registry = relay.tools().unwrap();
        for p in Permission::ALL {
            registry.register(Arc::new(Needs(p)));
        }
        for p in Permission::ALL {
            let out = registry
                .invoke(&format!("needs_{p}"), "{}", ToolContext::default())
                .await;
            assert_eq!(out.ok, role.grants(p), "{user} {p}: {out:?}");
            if !out.ok {
                let needed = Role::least_granting(p);
                assert_eq!(
                    out.value["error"],
                    json!(format!(
                        "`needs_{p}` needs the `{p}` permission: {user} is a {role}; the {needed} role has it"
                    )),
                );
            }
        }
    }
    // Developers lack exactly team and admin; team leads lack admin.
    assert_eq!(Role::least_granting(Permission::Team), Role::TeamLead);
    assert_eq!(Role::least_granting(Permission::Admin), Role::Admin);
    assert_eq!(
        Role::least_granting(Permission::WriteRepos),
        Role::Developer
    );

    // The facade's own checks say the same.
    let bob = relay_as(&dir, "bob").await;
    let err = bob.create_token("bob").await.unwrap_err();
    assert!(matches!(err, Error::Denied(_)), "{err}");
    assert!(err.to_string().contains("bob (developer) may not create tokens: it needs the `admin` permission, which the admin role has"), "{err}");
    let err = bob
        .audit(AuditFilter {
            user: Some("ann".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the team_lead role has"), "{err}");
    assert!(
        bob.verify_audit()
            .await
            .unwrap_err()
            .to_string()
            .contains("may not verify the audit log")
    );
    let carl = relay_as(&dir, "carl").await;
    assert!(carl.verify_audit().await.is_ok());
    assert!(
        carl.revoke_tokens("ann")
            .await
            .unwrap_err()
            .to_string()
            .contains("the admin role has")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_are_audited_with_secrets_redacted_denials_included() {
    let dir = workspace(TEAM);
    let bob = relay_as(&dir, "bob").await;
    let registry = bob
        .tools_for_session(Some("morning".into()))
        .unwrap()
        .with(Arc::new(Needs(Permission::Read)))
        .with(Arc::new(Needs(Permission::Admin)));
    let args = r#"{"api_token": "tok-123", "url": "https://u:pw@git.example.com/x.git", "repos": ["api"]}"#;
    assert!(
        registry
            .invoke("needs_read", args, ToolContext::default())
            .await
            .ok
    );
    assert!(
        !registry
            .invoke("needs_admin", "{}", ToolContext::default())
            .await
            .ok
    );
    assert!(
        !registry
            .invoke(
                "impact_analysis",
                r#"{"repos": ["nope"]}"#,
                ToolContext::default()
            )
            .await
            .ok
    );
    let records = bob.audit(AuditFilter::default()).await.unwrap();
    let seen: Vec<(&str, AuditOutcome)> = records
        .iter()
        .map(|r| (r.entry.action.as_str(), r.entry.outcome))
        .collect();
    assert_eq!(
        seen,
        [
            ("needs_read", AuditOutcome::Ok),
            ("needs_admin", AuditOutcome::Denied),
            ("impact_analysis", AuditOutcome::Failed)
        ]
    );
    let first = &records[0].entry;
    assert_eq!(
        (
            first.user.as_str(),
            first.role.as_str(),
            first.session.as_deref()
        ),
        ("bob", "developer", Some("morning"))
    );
    assert_eq!(
        first.args,
        json!({"api_token": "***", "url": "https://***@git.example.com/x.git", "repos": ["api"]})
    );
    let text = serde_json::to_string(&records).unwrap();
    assert!(
        !text.contains("tok-123") && !text.contains(":pw@"),
        "{text}"
    );
    assert!(
        records[1]
            .entry
            .detail
            .as_deref()
            .unwrap()
            .contains("the admin role has it")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_limits_profile_quota_and_ownership() {
    let dir = workspace(TEAM);
    let ann = relay_as(&dir, "ann").await;
    let tools = ann.tools().unwrap();
    let up = |name: &str, profile: &str| format!(r#"{{"name": "{name}", "profile": "{profile}"}}"#);

    // A developer may not create a team_lead-profile environment.
    let out = tools
        .invoke("env_up", &up("big", "team_lead"), ToolContext::default())
        .await;
    assert!(!out.ok);
    let error = out.value["error"].as_str().unwrap();
    assert!(
        error.contains("ann (developer) may not create a `team_lead`-profile environment")
            && error.contains("the team_lead role may use it"),
        "{error}"
    );

    // Her quota is one environment.
    let out = tools
        .invoke("env_up", &up("dev", "developer"), ToolContext::default())
        .await;
    assert!(out.ok, "{out:?}");
    let out = tools
        .invoke("env_up", &up("dev2", "developer"), ToolContext::default())
        .await;
    assert!(!out.ok);
    assert!(
        out.value["error"]
            .as_str()
            .unwrap()
            .contains("ann (developer) already has 1 environment(s) (dev), the most allowed"),
        "{out:?}"
    );
    // Starting her existing one again is no new environment.
    assert!(
        tools
            .invoke("env_up", &up("dev", "developer"), ToolContext::default())
            .await
            .ok
    );

    // Bob (developer) may not destroy Ann's environment; Carl (team lead) may.
    // (Each says yes to the approval question: the role check comes first, the provider's
    // ownership check after.)
    let yes = || -> Arc<dyn Approver> { Arc::new(FixedApprover(ApprovalDecision::Allow)) };
    let bob = relay_as(&dir, "bob")
        .await
        .tools()
        .unwrap()
        .with_approver(yes());
    let down = r#"{"name": "dev"}"#;
    let out = bob.invoke("env_down", down, ToolContext::default()).await;
    assert!(!out.ok);
    assert!(
        out.value["error"]
            .as_str()
            .unwrap()
            .contains("dev belongs to ann"),
        "{out:?}"
    );
    let carl = relay_as(&dir, "carl").await;
    let out = carl
        .tools()
        .unwrap()
        .with_approver(yes())
        .invoke("env_down", down, ToolContext::default())
        .await;
    assert!(out.ok, "{out:?}");
    // With it gone Ann may create another.
    assert!(
        tools
            .invoke("env_up", &up("dev2", "developer"), ToolContext::default())
            .await
            .ok
    );

    let denied: Vec<String> = carl
        .audit(AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.outcome == AuditOutcome::Denied && r.entry.kind == "tool")
        .map(|r| format!("{} {}", r.entry.user, r.entry.action))
        .collect();
    assert_eq!(denied, ["ann env_up", "ann env_up", "bob env_down"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_identify_users_and_wrong_or_revoked_ones_are_refused() {
    let dir = workspace(TEAM);
    let root = relay_as(&dir, "root").await;
    let new = root.create_token("ann").await.unwrap();
    assert!(new.token.starts_with("relay_"));
    assert_ne!(new.record.hash, new.token, "only the hash is stored");
    let stored = serde_json::to_string(&root.tokens().await.unwrap()).unwrap();
    assert!(!stored.contains(&new.token));
    assert!(
        root.create_token("zed")
            .await
            .unwrap_err()
            .to_string()
            .contains("`zed` is not in the team")
    );

    let with = |token: String| {
        Relay::builder()
            .workspace(dir.path())
            .store(StoreChoice::Configured)
            .token(token)
            .build()
    };
    let ann = with(new.token.clone()).await.unwrap();
    assert_eq!(
        (ann.caller().user.as_str(), ann.caller().role),
        ("ann", Role::Developer)
    );

    let err = with(format!("{}x", new.token)).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err}");
    assert!(err.to_string().contains("the token is not valid"), "{err}");

    assert_eq!(root.revoke_tokens("ann").await.unwrap(), 1);
    let err = with(new.token.clone()).await.unwrap_err();
    assert_eq!(err.code(), "unauthenticated");
    assert!(
        err.to_string()
            .contains(&format!("the token {} of ann was revoked", new.record.id)),
        "{err}"
    );
    assert!(!err.to_string().contains(&new.token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_outside_the_team_is_refused() {
    let dir = workspace(TEAM);
    let err = Relay::builder()
        .workspace(dir.path())
        .user("mallory")
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unauthenticated");
    assert!(err.to_string().contains("user `mallory` is not in the team: section of relay.yaml (members: ann, bob, carl, root)"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_fails_the_build_naming_it() {
    let dir = workspace("");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Relay::builder()
        .workspace(dir.path())
        .store(StoreChoice::url(&format!("redis://:pw@127.0.0.1:{port}/0")).unwrap())
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    assert!(
        err.to_string()
            .contains(&format!("redis://***@127.0.0.1:{port}/0")),
        "{err}"
    );
}
