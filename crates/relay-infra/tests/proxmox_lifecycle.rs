//! Every environment operation for LXC and QEMU against the fake PVE server.

mod common;

use std::time::Duration;

use common::*;
use relay_core::EventKind;
use relay_core::infra::{EnvKind, EnvSpec, EnvStatus, ExecRequest, InfraProvider, StopOptions};
use relay_testkit::proxmox::GuestKind;

#[tokio::test]
async fn lxc_from_an_os_template_through_its_whole_life() {
    let pve = fake().await;
    let provider = provider(&pve);

    let (env, events) =
        run(provider.provision(EnvSpec::new("feature-login").kind(EnvKind::Lxc))).await;
    let env = env.unwrap();
    assert_eq!(
        (env.name.as_str(), env.kind, env.id.as_str()),
        ("feature-login", EnvKind::Lxc, "100")
    );
    assert_eq!(env.status, EnvStatus::Running);
    assert_eq!(env.profile.as_deref(), Some("developer"));
    assert_eq!(env.cores, Some(4));
    assert_eq!(env.memory_mb, Some(6144));
    assert!(matches!(
        events.first().unwrap().kind,
        EventKind::JobStarted { .. }
    ));
    let said = messages(&events);
    assert!(
        said.iter()
            .any(|m| m.contains("creating lxc 100 from local:vztmpl/debian-12")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|m| m.contains("extracting archive")),
        "task log lines are streamed: {said:?}"
    );
    assert!(
        said.iter()
            .any(|m| m == "feature-login is running (lxc 100)"),
        "{said:?}"
    );

    let guest = pve.guest(100).unwrap();
    assert!(guest.running);
    assert_eq!(guest.config["hostname"], "feature-login");
    assert_eq!(guest.config["cores"], "4");
    assert_eq!(guest.config["memory"], "6144");
    assert_eq!(guest.config["rootfs"], "local-lvm:vm-100-disk-0,size=20G");
    assert_eq!(
        guest.config["mp0"],
        "local-lvm:vm-100-disk-1,mp=/workspace,size=50G"
    );
    assert_eq!(guest.config["tags"], "relay;profile-developer");

    let listed = provider.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "feature-login");
    assert_eq!(listed[0].status, EnvStatus::Running);

    let (snap, _) = run(provider.snapshot("feature-login", "clean")).await;
    let snap = snap.unwrap();
    assert_eq!(snap.name, "clean");
    assert_eq!(snap.description, "taken by relay");
    let (second, _) = run(provider.snapshot("feature-login", "after-deps")).await;
    assert_eq!(second.unwrap().parent.as_deref(), Some("clean"));
    let names: Vec<String> = provider
        .snapshots("feature-login")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["clean", "after-deps"]);

    let (rolled, _) = run(provider.rollback("feature-login", "clean")).await;
    rolled.unwrap();
    assert_eq!(pve.guest(100).unwrap().parent.as_deref(), Some("clean"));

    let (deleted, _) = run(provider.delete_snapshot("feature-login", "after-deps")).await;
    deleted.unwrap();
    assert_eq!(pve.guest(100).unwrap().snapshots, vec!["clean"]);

    let (started, _) = run(provider.start("feature-login")).await;
    assert_eq!(started.unwrap().status, EnvStatus::Running);
    let (stopped, events) = run(provider.stop("feature-login", StopOptions::default())).await;
    assert_eq!(stopped.unwrap().status, EnvStatus::Stopped);
    assert!(
        messages(&events)
            .iter()
            .any(|m| m.starts_with("shutting down feature-login"))
    );
    let status = provider.status("feature-login").await.unwrap();
    assert_eq!(status.status, EnvStatus::Stopped);
    let (again, events) = run(provider.stop("feature-login", StopOptions::default())).await;
    assert_eq!(again.unwrap().status, EnvStatus::Stopped);
    assert!(messages(&events).contains(&"feature-login is already stopped".to_string()));

    let (started, _) = run(provider.start("feature-login")).await;
    started.unwrap();
    let (destroyed, events) = run(provider.destroy("feature-login")).await;
    destroyed.unwrap();
    assert!(
        messages(&events)
            .iter()
            .any(|m| m.contains("destroying lxc 100 with its disks"))
    );
    assert!(pve.guest(100).is_none());
    let destroy = pve
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE" && r.path == "nodes/pve/lxc/100")
        .unwrap();
    assert_eq!(destroy.status, 200);
    assert!(provider.list().await.unwrap().is_empty());
    let err = provider.status("feature-login").await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert!(err.to_string().contains("relay env ls"), "{err}");
}

#[tokio::test]
async fn lxc_cloned_from_a_template_container_gets_the_profile() {
    let pve = fake().await;
    pve.add_guest(GuestKind::Lxc, 9000, "debian-tmpl", true);
    let provider = provider(&pve);
    let (env, events) = run(provider.provision(
        EnvSpec::new("lead-box")
            .profile("team_lead")
            .template("9000"),
    ))
    .await;
    let env = env.unwrap();
    assert_eq!(env.id, "100");
    assert_eq!(env.profile.as_deref(), Some("team_lead"));
    assert!(
        messages(&events)
            .iter()
            .any(|m| m == "cloning lxc 9000 into 100")
    );
    let guest = pve.guest(100).unwrap();
    assert_eq!(guest.config["cores"], "8");
    assert_eq!(guest.config["memory"], "16384");
    assert_eq!(
        guest.config["mp0"],
        "local-lvm:vm-100-disk-1,mp=/workspace,size=200G"
    );
    assert_eq!(guest.config["tags"], "relay;profile-team-lead");
    assert!(guest.running);
    assert!(pve.guest(9000).is_some(), "the template stays");
    assert_eq!(
        provider.list().await.unwrap().len(),
        1,
        "templates are not environments"
    );
}

#[tokio::test]
async fn qemu_cloned_from_a_template_vm_through_its_whole_life() {
    let pve = fake().await;
    pve.add_guest(GuestKind::Qemu, 9001, "ubuntu-tmpl", true);
    let provider = provider(&pve);
    let spec = EnvSpec::new("vm-dev").kind(EnvKind::Qemu).template("9001");
    let (env, _) = run(provider.provision(spec)).await;
    let env = env.unwrap();
    assert_eq!((env.kind, env.status), (EnvKind::Qemu, EnvStatus::Running));
    let guest = pve.guest(100).unwrap();
    assert_eq!(guest.config["name"], "vm-dev");
    assert_eq!(guest.config["memory"], "6144");
    assert_eq!(
        guest.config["balloon"], "2048",
        "memory balloons between the profile bounds"
    );
    assert_eq!(guest.config["scsi1"], "local-lvm:vm-100-disk-1,size=50G");
    assert_eq!(
        guest.config["scsi0"], "local-lvm:vm-100-disk-0,size=20G",
        "resized synchronously"
    );
    assert_eq!(guest.config["agent"], "1");

    let out = provider
        .exec(
            "vm-dev",
            ExecRequest::new(["sh", "-c", "echo hello; echo oops >&2"]),
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(out.stdout, "hello\n");
    assert_eq!(out.stderr, "oops\n");
    let out = provider
        .exec("vm-dev", ExecRequest::new(["sh", "-c", "exit 3"]))
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(3));
    assert!(!out.success());
    let out = provider
        .exec("vm-dev", ExecRequest::new(["cat"]).stdin("from stdin"))
        .await
        .unwrap();
    assert_eq!(out.stdout, "from stdin");
    let out = provider
        .exec("vm-dev", ExecRequest::new(["pwd"]).cwd("/tmp"))
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "/tmp");
    let out = provider
        .exec("vm-dev", ExecRequest::new(["/no/such/program"]))
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(127));
    assert!(out.stderr.contains("/no/such/program"), "{}", out.stderr);

    let (snap, _) = run(provider.snapshot("vm-dev", "pre-upgrade")).await;
    snap.unwrap();
    assert_eq!(pve.guest(100).unwrap().snapshots, vec!["pre-upgrade"]);
    let (rolled, _) = run(provider.rollback("vm-dev", "pre-upgrade")).await;
    assert_eq!(
        rolled.unwrap().status,
        EnvStatus::Stopped,
        "rollback without vmstate leaves the VM stopped"
    );
    let (deleted, _) = run(provider.delete_snapshot("vm-dev", "pre-upgrade")).await;
    deleted.unwrap();
    assert!(pve.guest(100).unwrap().snapshots.is_empty());
    let (started, _) = run(provider.start("vm-dev")).await;
    started.unwrap();
    let (stopped, _) = run(provider.stop(
        "vm-dev",
        StopOptions {
            timeout: Duration::from_secs(5),
            force: true,
        },
    ))
    .await;
    assert_eq!(stopped.unwrap().status, EnvStatus::Stopped);
    let shutdowns = pve
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("status/shutdown"))
        .count();
    assert_eq!(shutdowns, 0, "force skips the clean shutdown");
    let (destroyed, _) = run(provider.destroy("vm-dev")).await;
    destroyed.unwrap();
    assert_eq!(pve.guest_ids(), vec![9001]);
}

#[tokio::test]
async fn exec_in_lxc_is_explained_as_unsupported() {
    let pve = fake().await;
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("ct"))).await.0.unwrap();
    let err = provider
        .exec("ct", ExecRequest::new(["true"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unsupported");
    assert!(err.to_string().contains("over SSH"), "{err}");
}

#[tokio::test]
async fn exec_without_a_guest_agent_reports_pve_words() {
    let pve = fake().await;
    pve.add_guest(GuestKind::Qemu, 9001, "tmpl", true);
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("vm").kind(EnvKind::Qemu).template("9001")))
        .await
        .0
        .unwrap();
    pve.set_guest_config(100, "agent", "0");
    let err = provider
        .exec("vm", ExecRequest::new(["true"]))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("(500): No QEMU guest agent configured"),
        "{err}"
    );
    let err = provider
        .exec("vm", ExecRequest::new(Vec::<String>::new()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no command given"), "{err}");
}

#[tokio::test]
async fn exec_in_a_stopped_vm_is_refused() {
    let pve = fake().await;
    pve.add_guest(GuestKind::Qemu, 9001, "tmpl", true);
    let provider = provider(&pve);
    run(provider.provision(EnvSpec::new("vm").kind(EnvKind::Qemu).template("9001")))
        .await
        .0
        .unwrap();
    run(provider.stop("vm", StopOptions::default()))
        .await
        .0
        .unwrap();
    let err = provider
        .exec("vm", ExecRequest::new(["true"]))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("VM 100 is not running"), "{err}");
}
