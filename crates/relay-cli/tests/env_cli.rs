//! `relay env` end to end: the real binary against the fake PVE server and the local provider.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use relay_testkit::proxmox::{FakeProxmox, GuestKind};
use serde_json::Value;

const TOKEN_ID: &str = "relay@pve!cli";
const TOKEN_SECRET: &str = "0d9a3c1e-7f52-4b8e-a1d4-6c2e9b7f3a10";
const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

fn relay(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("NO_COLOR", "1");
    for key in [
        "PROXMOX_URL",
        "PROXMOX_NODE",
        "PROXMOX_TOKEN_ID",
        "PROXMOX_TOKEN_SECRET",
        "PROXMOX_USER",
        "PROXMOX_PASSWORD",
        "PROXMOX_CA_FILE",
        "PROXMOX_FINGERPRINT",
        "PROXMOX_INSECURE",
        "RELAY_WORKSPACE",
    ] {
        cmd.env_remove(key);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_commands_drive_proxmox_with_settings_from_the_environment() {
    let pve = FakeProxmox::builder()
        .token(TOKEN_ID, TOKEN_SECRET)
        .task_duration(Duration::from_millis(80))
        .start()
        .await
        .unwrap();
    pve.add_guest(GuestKind::Qemu, 9001, "ubuntu-tmpl", true);
    let dir = tempfile::tempdir().unwrap();
    let ca = pve.write_ca_file(dir.path()).unwrap();
    let ca = ca.to_str().unwrap().to_string();
    let url = pve.url().to_string();
    let envs = [
        ("PROXMOX_URL", url.as_str()),
        ("PROXMOX_NODE", "pve"),
        ("PROXMOX_TOKEN_ID", TOKEN_ID),
        ("PROXMOX_TOKEN_SECRET", TOKEN_SECRET),
        ("PROXMOX_CA_FILE", ca.as_str()),
    ];
    let d = dir.path().to_path_buf();
    let run = move |args: Vec<&'static str>| {
        let d = d.clone();
        let envs: Vec<(String, String)> = envs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        async move {
            tokio::task::spawn_blocking(move || {
                let envs: Vec<(&str, &str)> =
                    envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                relay(&d, &envs, &args)
            })
            .await
            .unwrap()
        }
    };

    let up = json(&run(vec!["env", "up", "web", "--template", DEBIAN, "--json"]).await);
    assert_eq!(up["provider"], "proxmox");
    assert_eq!(up["kind"], "lxc");
    assert_eq!(up["status"], "running");
    assert_eq!(up["id"], "100");
    let vm = json(
        &run(vec![
            "env",
            "up",
            "vm",
            "--kind",
            "qemu",
            "--template",
            "9001",
            "--profile",
            "team_lead",
            "--json",
        ])
        .await,
    );
    assert_eq!(
        (vm["kind"].as_str(), vm["cores"].as_u64()),
        (Some("qemu"), Some(8))
    );

    let ls = json(&run(vec!["env", "ls", "--json"]).await);
    let names: Vec<&str> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["web", "vm"]);
    let text = run(vec!["env", "ls"]).await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(text.contains("vm    running  qemu  101"), "{text}");

    let exec = run(vec![
        "env",
        "exec",
        "vm",
        "--",
        "sh",
        "-c",
        "echo from-vm; exit 5",
    ])
    .await;
    assert_eq!(
        exec.status.code(),
        Some(5),
        "the command's exit code is relay's"
    );
    assert_eq!(String::from_utf8_lossy(&exec.stdout), "from-vm\n");
    let exec = run(vec!["env", "exec", "web", "--", "true"]).await;
    assert_eq!(exec.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&exec.stderr).contains("over SSH"));

    let snap = json(&run(vec!["env", "snapshot", "web", "base", "--json"]).await);
    assert_eq!(snap["name"], "base");
    let rolled = json(&run(vec!["env", "rollback", "web", "base", "--json"]).await);
    assert_eq!(rolled["name"], "web");
    let status = json(&run(vec!["env", "status", "web", "--json"]).await);
    assert_eq!(status["snapshots"][0]["name"], "base");
    assert_eq!(
        status["environment"]["status"], "stopped",
        "an LXC rollback leaves it stopped"
    );

    let up_again = json(&run(vec!["env", "up", "web", "--json"]).await);
    assert_eq!(
        up_again["status"], "running",
        "up starts an existing environment"
    );
    let down = json(&run(vec!["env", "down", "web", "--json"]).await);
    assert_eq!(down["status"], "stopped");
    let destroyed = json(&run(vec!["env", "down", "web", "--destroy", "--json"]).await);
    assert_eq!(destroyed["destroyed"], true);
    assert!(pve.guest(100).is_none());
    let missing = run(vec!["env", "status", "web"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no environment named `web`"));
}

#[test]
fn missing_proxmox_settings_are_listed_in_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = relay(
        dir.path(),
        &[("PROXMOX_TOKEN_ID", "relay@pve!cli")],
        &["env", "ls", "--provider", "proxmox"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PROXMOX_URL"), "{err}");
    assert!(err.contains("PROXMOX_NODE"), "{err}");
    assert!(
        err.contains("PROXMOX_TOKEN_SECRET, the secret of API token `relay@pve!cli`"),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "one message: {err}");
}

#[test]
fn infra_settings_come_from_relay_yaml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("relay.yaml"),
        "repositories:\n  - name: api\ninfra:\n  proxmox:\n    url: https://127.0.0.1:1\n    node: pve\n    token_id: relay@pve!cli\n",
    )
    .unwrap();
    // Proxmox is chosen because relay.yaml configures it; only the secret is missing.
    let out = relay(dir.path(), &[], &["env", "ls"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing:\n  - PROXMOX_TOKEN_SECRET"), "{err}");
    assert!(!err.contains("PROXMOX_URL"), "{err}");
}

#[test]
fn local_environments_work_offline() {
    let dir = tempfile::tempdir().unwrap();
    let up = json(&relay(dir.path(), &[], &["env", "up", "scratch", "--json"]));
    assert_eq!(
        (up["provider"].as_str(), up["status"].as_str()),
        (Some("local"), Some("running"))
    );
    let exec = relay(
        dir.path(),
        &[],
        &[
            "env",
            "exec",
            "scratch",
            "--",
            "sh",
            "-c",
            "echo data > f; cat f",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&exec.stdout), "data\n");
    json(&relay(
        dir.path(),
        &[],
        &["env", "snapshot", "scratch", "one", "--json"],
    ));
    relay(
        dir.path(),
        &[],
        &["env", "exec", "scratch", "--", "rm", "f"],
    );
    json(&relay(
        dir.path(),
        &[],
        &["env", "rollback", "scratch", "one", "--json"],
    ));
    let exec = relay(
        dir.path(),
        &[],
        &["env", "exec", "scratch", "--", "cat", "f"],
    );
    assert_eq!(
        String::from_utf8_lossy(&exec.stdout),
        "data\n",
        "the rollback restored the file"
    );
    let down = json(&relay(
        dir.path(),
        &[],
        &["env", "down", "scratch", "--destroy", "--json"],
    ));
    assert_eq!(down["destroyed"], true);
    let ls = json(&relay(dir.path(), &[], &["env", "ls", "--json"]));
    assert_eq!(ls, serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_tls_comes_from_the_flag_or_environment_never_from_relay_yaml() {
    let pve = FakeProxmox::builder()
        .token(TOKEN_ID, TOKEN_SECRET)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = pve.url().to_string();
    let fingerprint = pve.fingerprint();
    let d = dir.path().to_path_buf();
    let run = move |envs: Vec<(&'static str, String)>, args: Vec<&'static str>| {
        let d = d.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                relay(&d, &envs, &args)
            })
            .await
            .unwrap()
        }
    };
    let base = vec![
        ("PROXMOX_URL", url.clone()),
        ("PROXMOX_NODE", "pve".to_string()),
        ("PROXMOX_TOKEN_ID", TOKEN_ID.to_string()),
        ("PROXMOX_TOKEN_SECRET", TOKEN_SECRET.to_string()),
    ];
    // The flag connects to a server whose CA is not trusted.
    let ok = run(base.clone(), vec!["env", "ls", "--insecure", "--json"]).await;
    assert_eq!(json(&ok), serde_json::json!([]));
    // Without it, verification fails.
    let refused = run(base.clone(), vec!["env", "ls"]).await;
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // The flag with a fingerprint: a configuration error, not a silent choice.
    let mut with_fp = base.clone();
    with_fp.push(("PROXMOX_FINGERPRINT", fingerprint));
    let conflict = run(with_fp, vec!["env", "ls", "--insecure"]).await;
    assert_eq!(conflict.status.code(), Some(2));
    let err = String::from_utf8_lossy(&conflict.stderr);
    assert!(
        err.contains("turns certificate checks off, but a CA file or fingerprint is set too"),
        "{err}"
    );
    // relay.yaml cannot turn it on.
    std::fs::write(
        dir.path().join("relay.yaml"),
        "repositories:\n  - name: app\ninfra:\n  proxmox:\n    insecure: true\n",
    )
    .unwrap();
    let committed = run(base, vec!["env", "ls"]).await;
    assert_eq!(committed.status.code(), Some(2));
    let err = String::from_utf8_lossy(&committed.stderr);
    assert!(
        err.contains(
            "infra.proxmox.insecure: turning certificate checks off is not accepted from relay.yaml"
        ),
        "{err}"
    );
}
