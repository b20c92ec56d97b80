//! The environment tools by voice: the fake Realtime model drives a local environment (a real
//! directory with the workspace's git repositories cloned in) through its whole life, and a
//! Proxmox one on the fake PVE server; bad requests come back as readable outputs.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use relay_core::approval::{ApprovalDecision, Approver, FixedApprover};
use relay_core::infra::InfraProvider;
use relay_core::tools::{ToolContext, ToolOutput, ToolRegistry};
use relay_infra::LocalProvider;
use relay_infra::proxmox::{ProxmoxProvider, ProxmoxSettings, TlsTrust};
use relay_testkit::proxmox::{FakeProxmox, GuestKind};
use relay_testkit::realtime::{FakeRealtime, Scenario};
use relay_tools::ToolFamilies;
use serde_json::{Value, json};

/// A workspace of three repositories and a local provider cloning it; returns the env root too.
fn local(dir: &std::path::Path) -> (Arc<dyn InfraProvider>, std::path::PathBuf) {
    let graph = git_workspace(&dir.join("ws"));
    let root = dir.join("envs");
    let provider = LocalProvider::builder(&root).repos(graph).build().unwrap();
    (Arc::new(provider), root)
}

/// A person who approves everything: these tests are about the tools, not about approvals
/// (crates/relay/tests/approvals.rs is).
fn yes() -> Arc<dyn Approver> {
    Arc::new(FixedApprover(ApprovalDecision::Allow))
}

async fn invoke(registry: &ToolRegistry, tool: &str, args: Value) -> ToolOutput {
    registry
        .invoke(tool, &args.to_string(), ToolContext::default())
        .await
}

fn error(out: &ToolOutput) -> &str {
    assert!(!out.ok, "expected a failure: {out:?}");
    out.value["error"].as_str().unwrap()
}

#[tokio::test]
async fn a_local_environment_through_its_whole_life_by_voice() {
    let dir = tempfile::tempdir().unwrap();
    let (provider, root) = local(dir.path());
    let registry = Arc::new(
        ToolRegistry::new()
            .with_env_tools(provider)
            .with_approver(yes()),
    );
    let write = |text: &str| {
        json!({"name": "dev", "command": ["sh", "-c", format!("echo {text} > backend/state.txt")]})
            .to_string()
    };
    let (v1, v2) = (write("v1"), write("v2"));
    let cat = r#"{"name":"dev","command":["cat","state.txt"],"cwd":"backend"}"#;
    let server = FakeRealtime::start(
        Scenario::new()
            .call(&[("env_up", r#"{"name":"dev"}"#)])
            .call(&[("env_exec", &v1)])
            .call(&[(
                "env_snapshot",
                r#"{"name":"dev","snapshot":"before-upgrade"}"#,
            )])
            .call(&[("env_exec", &v2)])
            .call(&[("env_exec", cat)])
            .call(&[(
                "env_rollback",
                r#"{"name":"dev","snapshot":"before-upgrade"}"#,
            )])
            .call(&[("env_exec", cat)])
            .call(&[("env_up", r#"{"name":"dev"}"#), ("env_status", "{}")])
            .call(&[("env_down", r#"{"name":"dev"}"#)])
            .say("All done.", 200),
    )
    .await
    .unwrap();
    let session = start(&server, registry).await;
    session
        .send_text("set up dev, snapshot it, break it, roll it back, then tear it down")
        .unwrap();
    let events = until_says(&session, "All done.").await;
    let out = tool_outputs(&server);
    assert_eq!(out.len(), 10, "{out:#?}");

    assert_eq!(out[0]["summary"], "dev was created and is running.");
    assert_eq!(out[0]["action"], "created");
    assert_eq!(out[0]["line"], "dev: running (local, profile developer)");
    assert_eq!(out[1]["success"], true);
    assert_eq!(
        out[1]["summary"],
        "`sh -c echo v1 > backend/state.txt` in dev succeeded (exit code 0)."
    );
    assert_eq!(out[2]["summary"], "Snapshot before-upgrade of dev taken.");
    assert_eq!(out[2]["snapshot"]["name"], "before-upgrade");
    assert_eq!(out[4]["stdout"], "v2\n", "changed after the snapshot");
    assert_eq!(out[5]["summary"], "dev is back at snapshot before-upgrade.");
    // The rollback really restored the file.
    assert_eq!(out[6]["stdout"], "v1\n");
    assert_eq!(out[6]["exit_code"], 0);
    // Two calls in one response: their outputs arrive in the order they finish.
    let (up, status) = if out[7]["action"].is_null() {
        (&out[8], &out[7])
    } else {
        (&out[7], &out[8])
    };
    assert_eq!(up["action"], "already_running", "up is idempotent");
    assert_eq!(status["summary"], "1 environment, 1 running.");
    assert_eq!(
        status["environments"][0]["line"],
        "dev: running (local, profile developer)"
    );
    assert_eq!(out[9]["summary"], "dev was torn down and deleted.");
    assert!(!root.join("dev").exists());
    assert_eq!(
        std::fs::read_dir(&root).unwrap().count(),
        0,
        "nothing left behind"
    );
    // Long tools were acknowledged and their jobs' progress reached the voice layer.
    let progress = progress_messages(&events);
    assert!(
        progress
            .iter()
            .any(|m| m.contains("cloning the workspace into dev")),
        "{progress:?}"
    );
    assert!(
        progress
            .iter()
            .any(|m| m == "restoring dev from before-upgrade"),
        "{progress:?}"
    );
}

#[tokio::test]
async fn bad_environment_requests_are_explained_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (provider, root) = local(dir.path());
    let registry = ToolRegistry::new()
        .with_env_tools(provider)
        .with_approver(yes());

    let out = invoke(&registry, "env_status", json!({"name": "dev"})).await;
    assert_eq!(
        error(&out),
        format!(
            "no environment named `dev` in the local provider ({}); there are no environments yet; create one with env_up",
            root.display()
        )
    );
    let out = invoke(
        &registry,
        "env_up",
        json!({"name": "dev", "profile": "huge"}),
    )
    .await;
    assert_eq!(
        error(&out),
        "unknown profile `huge`; known profiles: developer, team_lead"
    );
    let out = invoke(&registry, "env_up", json!({"name": "bad name"})).await;
    assert!(
        error(&out).contains("not a valid environment name"),
        "{out:?}"
    );
    let out = invoke(&registry, "env_up", json!({"name": "dev", "kind": "vm"})).await;
    assert!(
        error(&out).contains(r#""vm" is not one of "lxc", "qemu", "local""#),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read_dir(&root).map(|d| d.count()).unwrap_or(0),
        0,
        "failed ups leave nothing half-made"
    );

    assert!(invoke(&registry, "env_up", json!({"name": "dev"})).await.ok);
    let out = invoke(
        &registry,
        "env_exec",
        json!({"name": "qa", "command": ["ls"]}),
    )
    .await;
    assert!(
        error(&out).ends_with("; the environments are: dev"),
        "{out:?}"
    );
    let out = invoke(
        &registry,
        "env_exec",
        json!({"name": "dev", "command": ["no-such-program", "--x"]}),
    )
    .await;
    assert!(
        error(&out).starts_with("cannot run `no-such-program`: "),
        "{out:?}"
    );
    let out = invoke(&registry, "env_exec", json!({"name": "dev", "command": []})).await;
    assert!(error(&out).contains("`command`"), "{out:?}");
    let out = invoke(
        &registry,
        "env_exec",
        json!({"name": "dev", "command": ["sh", "-c", "exit 3"]}),
    )
    .await;
    assert!(out.ok, "a failing command is a result: {out:?}");
    assert_eq!(out.value["exit_code"], 3);
    assert_eq!(out.value["success"], false);

    let out = invoke(
        &registry,
        "env_snapshot",
        json!({"name": "dev", "snapshot": "1st"}),
    )
    .await;
    assert!(
        error(&out).starts_with("`1st` is not a valid snapshot name; start with a letter"),
        "{out:?}"
    );
    let out = invoke(
        &registry,
        "env_rollback",
        json!({"name": "dev", "snapshot": "gone"}),
    )
    .await;
    assert_eq!(
        error(&out),
        "dev has no snapshot `gone`; it has no snapshots at all (env_snapshot takes one)"
    );
    assert!(
        invoke(
            &registry,
            "env_snapshot",
            json!({"name": "dev", "snapshot": "good"})
        )
        .await
        .ok
    );
    let out = invoke(
        &registry,
        "env_snapshot",
        json!({"name": "dev", "snapshot": "good"}),
    )
    .await;
    assert!(
        error(&out).contains("already has a snapshot `good`"),
        "{out:?}"
    );
    let out = invoke(
        &registry,
        "env_rollback",
        json!({"name": "dev", "snapshot": "gone"}),
    )
    .await;
    assert_eq!(
        error(&out),
        "dev has no snapshot `gone`; its snapshots are: good"
    );

    // Stopped, then commands are refused with what to do; up starts it again.
    let out = invoke(
        &registry,
        "env_down",
        json!({"name": "dev", "stop_only": true}),
    )
    .await;
    assert_eq!(
        out.value["summary"],
        "dev is stopped; env_up starts it again."
    );
    let out = invoke(
        &registry,
        "env_exec",
        json!({"name": "dev", "command": ["ls"]}),
    )
    .await;
    assert!(error(&out).contains("is stopped"), "{out:?}");
    let out = invoke(&registry, "env_up", json!({"name": "dev"})).await;
    assert_eq!(out.value["action"], "started");
    let out = invoke(&registry, "env_down", json!({"name": "qa"})).await;
    assert!(
        error(&out).starts_with("no environment named `qa`"),
        "{out:?}"
    );
    assert!(
        root.join("dev").is_dir(),
        "dev is untouched by the failures"
    );
}

#[tokio::test]
async fn a_proxmox_vm_through_the_tools_on_the_fake_pve() {
    const TOKEN_ID: &str = "relay@pve!voice";
    const TOKEN_SECRET: &str = "7b1e2c3d-4f5a-6b7c-8d9e-0f1a2b3c4d5e";
    let pve = FakeProxmox::builder()
        .token(TOKEN_ID, TOKEN_SECRET)
        .task_duration(Duration::from_millis(60))
        .start()
        .await
        .unwrap();
    pve.add_guest(GuestKind::Qemu, 9001, "ubuntu-tmpl", true);
    let settings = ProxmoxSettings::builder(pve.url(), pve.node())
        .token(TOKEN_ID, TOKEN_SECRET)
        .trust(TlsTrust::CaPem(pve.ca_pem().to_string()))
        .lxc_template("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")
        .build()
        .unwrap();
    let registry = ToolRegistry::new()
        .with_env_tools(Arc::new(ProxmoxProvider::new(settings).unwrap()))
        .with_approver(yes());

    let out = invoke(
        &registry,
        "env_up",
        json!({"name": "vm-dev", "kind": "qemu", "template": "9001", "profile": "team_lead"}),
    )
    .await;
    assert!(out.ok, "{out:?}");
    assert_eq!(
        out.value["line"],
        "vm-dev: running (qemu, profile team_lead)"
    );
    assert_eq!(pve.guest(100).unwrap().config["name"], "vm-dev");
    let out = invoke(
        &registry,
        "env_exec",
        json!({"name": "vm-dev", "command": ["sh", "-c", "echo hello; echo oops >&2"]}),
    )
    .await;
    assert_eq!(
        (out.value["stdout"].as_str(), out.value["stderr"].as_str()),
        (Some("hello\n"), Some("oops\n"))
    );
    let out = invoke(
        &registry,
        "env_snapshot",
        json!({"name": "vm-dev", "snapshot": "pre-upgrade"}),
    )
    .await;
    assert!(out.ok, "{out:?}");
    assert_eq!(pve.guest(100).unwrap().snapshots, ["pre-upgrade"]);
    let out = invoke(&registry, "env_status", json!({"name": "vm-dev"})).await;
    assert_eq!(
        out.value["summary"],
        "vm-dev: running (qemu, profile team_lead); snapshots: pre-upgrade."
    );
    let out = invoke(
        &registry,
        "env_rollback",
        json!({"name": "vm-dev", "snapshot": "pre-upgrade"}),
    )
    .await;
    assert_eq!(
        out.value["line"],
        "vm-dev: stopped (qemu, profile team_lead)"
    );
    let out = invoke(&registry, "env_up", json!({"name": "vm-dev"})).await;
    assert_eq!(out.value["action"], "started");

    // A container cannot run commands through the API: said plainly, nothing changes.
    assert!(
        invoke(&registry, "env_up", json!({"name": "ct", "kind": "lxc"}))
            .await
            .ok
    );
    let out = invoke(
        &registry,
        "env_exec",
        json!({"name": "ct", "command": ["true"]}),
    )
    .await;
    assert!(error(&out).contains("is an LXC container"), "{out:?}");
    let out = invoke(&registry, "env_status", json!({"name": "nope"})).await;
    assert!(
        error(&out).ends_with("the environments are: vm-dev, ct")
            || error(&out).ends_with("the environments are: ct, vm-dev"),
        "{out:?}"
    );

    for name in ["vm-dev", "ct"] {
        let out = invoke(&registry, "env_down", json!({"name": name})).await;
        assert!(out.ok, "{out:?}");
    }
    assert_eq!(pve.guest_ids(), [9001], "only the template is left");
}
