//! `relay serve` with the store: `kill -9` in the middle of a webhook's sync rule, with a second
//! delivery queued behind it, loses neither. The next process finds the first `interrupted` with
//! the repository it finished and the second `queued`; the next `relay serve` still recognises a
//! redelivery of the first, and runs both to the end without syncing a finished repository
//! again.

mod serve_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use relay_testkit::git::git;
use relay_testkit::webhooks::{OctokitWebhooks, set, sign};
use serde_json::{Value, json};

const SECRET: &str = "durable secret";

/// Bare origin `origins/NAME.git` with one commit, cloned to `ws/NAME`; upstream then moves on.
fn repo(root: &Path, name: &str) {
    let origin = root.join(format!("origins/{name}.git"));
    let o = origin.to_str().unwrap();
    git(root, &["init", "-q", "--bare", "-b", "main", o]);
    let seed = root.join(format!("seed-{name}"));
    git(root, &["clone", "-q", o, seed.to_str().unwrap()]);
    git(&seed, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    std::fs::write(seed.join("README.md"), name).unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "first"]);
    git(&seed, &["push", "-q", "origin", "main"]);
    let clone = root.join("ws").join(name);
    git(root, &["clone", "-q", o, clone.to_str().unwrap()]);
    std::fs::write(seed.join("new.txt"), "new\n").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "upstream change"]);
    git(&seed, &["push", "-q", "origin", "main"]);
}

fn head(dir: &Path, rev: &str) -> String {
    git(dir, &["rev-parse", rev]).trim().to_owned()
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    ws: PathBuf,
    /// Every `git-upload-pack` call (one per fetch), by origin path.
    calls: PathBuf,
    /// Fetches after the first wait for this file.
    gate: PathBuf,
    wrapper: PathBuf,
    path: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    for d in ["ws", "origins", "bin"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    repo(&root, "shared-api");
    repo(&root, "backend");
    std::fs::write(
        root.join("ws/relay.yaml"),
        "repositories:\n  - name: shared-api\n    url: git@github.com:acme/shared-api.git\n  \
         - name: backend\n    url: https://github.com/acme/backend\n    dependencies: [shared-api]\n\
         sync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend]\n",
    )
    .unwrap();
    // Every fetch goes through git-upload-pack (found on PATH): a wrapper logs each one and
    // holds every one after the first until the gate exists.
    let real = String::from_utf8(
        Command::new("sh")
            .args([
                "-c",
                "command -v git-upload-pack || echo $(git --exec-path)/git-upload-pack",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let calls = root.join("calls");
    let gate = root.join("gate");
    let wrapper = root.join("bin/git-upload-pack");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$1\" >> {calls}\nif [ $(wc -l < {calls}) -ge 2 ]; then\n  while [ ! -f {gate} ]; do sleep 0.05; done\nfi\nexec {real} \"$@\"\n",
            calls = calls.display(),
            gate = gate.display(),
            real = real.trim()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    Fixture {
        ws: root.join("ws"),
        _dir: dir,
        root,
        calls,
        gate,
        wrapper,
        path,
    }
}

fn command(f: &Fixture, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.current_dir(&f.ws)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_STORE_URL")
        .env_remove("RELAY_TOKEN")
        .env("RELAY_WEBHOOK_SECRET", SECRET)
        .env("PATH", &f.path)
        .env("NO_COLOR", "1");
    cmd
}

fn relay(f: &Fixture, args: &[&str]) -> Output {
    command(f, args).output().expect("relay runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

/// A running `relay serve` in its own process group, its stdout lines and its address.
struct Serve {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
    stderr: BufReader<std::process::ChildStderr>,
}

fn serve(f: &Fixture) -> Serve {
    let mut child = command(f, &["serve", "--bind", "127.0.0.1:0", "--lease", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("relay serve starts");
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = serve_support::listening_addr(&first);
    Serve {
        child,
        addr,
        lines,
        stderr,
    }
}

/// POSTs a signed delivery; returns the status line.
fn deliver(addr: &str, event: &str, id: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to relay serve");
    let head = format!(
        "POST /webhooks/github HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: GitHub-Hookshot/044aadd\r\n\
         Content-Type: application/json\r\nX-GitHub-Event: {event}\r\n\
         X-GitHub-Delivery: {id}\r\nX-Hub-Signature-256: {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        sign(SECRET.as_bytes(), body),
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_owned()
}

fn repository(p: &mut Value, name: &str) {
    set(p, "/repository/full_name", json!(format!("acme/{name}")));
    set(
        p,
        "/repository/clone_url",
        json!(format!("https://github.com/acme/{name}.git")),
    );
    set(
        p,
        "/repository/ssh_url",
        json!(format!("git@github.com:acme/{name}.git")),
    );
    set(p, "/repository/default_branch", json!("main"));
}

fn push_to_shared_api(f: &Fixture) -> Vec<u8> {
    let gh = OctokitWebhooks::load();
    let mut push = gh.instance("push");
    set(&mut push, "/ref", json!("refs/heads/main"));
    set(
        &mut push,
        "/after",
        json!(head(&f.root.join("origins/shared-api.git"), "main")),
    );
    repository(&mut push, "shared-api");
    gh.assert_valid("push", &push);
    serde_json::to_vec(&push).unwrap()
}

fn backend_ci_passed() -> Vec<u8> {
    let gh = OctokitWebhooks::load();
    let mut p = gh.instance("check-suite-completed");
    repository(&mut p, "backend");
    set(&mut p, "/action", json!("completed"));
    set(&mut p, "/check_suite/head_branch", json!("main"));
    set(
        &mut p,
        "/check_suite/head_sha",
        json!("ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
    );
    set(&mut p, "/check_suite/status", json!("completed"));
    set(&mut p, "/check_suite/conclusion", json!("success"));
    set(&mut p, "/check_suite/app/name", json!("GitHub Actions"));
    gh.assert_valid("check-suite-completed", &p);
    serde_json::to_vec(&p).unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kill_9(child: &mut Child) {
    // SAFETY: signal delivery to the process group the test created.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.wait();
}

/// Kills the wrapper processes a killed server left behind (their parent died).
fn kill_orphans(marker: &Path) {
    let marker = marker.to_string_lossy().into_owned();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(&marker)
        {
            // SAFETY: signal delivery only.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

fn job<'a>(jobs: &'a Value, id: &str) -> &'a Value {
    jobs.as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("no job {id} in {jobs}"))
}

fn fetched(f: &Fixture) -> Vec<String> {
    std::fs::read_to_string(&f.calls)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".git")
                .trim_end_matches('\'')
                .to_owned()
        })
        .collect()
}

#[test]
fn kill_9_of_relay_serve_loses_no_accepted_delivery_and_redeliveries_stay_recognised() {
    let f = fixture();
    let backend = f.ws.join("backend");
    let upstream = head(&f.root.join("origins/backend.git"), "main");
    let (push_id, ci_id) = (
        "7d0c1f00-0000-11f0-8000-00000000d001",
        "7d0c1f00-0000-11f0-8000-00000000d002",
    );
    let push = push_to_shared_api(&f);

    let mut first = serve(&f);
    assert_eq!(
        deliver(&first.addr, "push", push_id, &push),
        "HTTP/1.1 202 Accepted"
    );
    wait_for("backend's fetch (shared-api's is done)", || {
        fetched(&f).len() == 2
    });
    // Accepted while the sync rule runs: queued behind it.
    assert_eq!(
        deliver(&first.addr, "check_suite", ci_id, &backend_ci_passed()),
        "HTTP/1.1 202 Accepted"
    );
    kill_9(&mut first.child);
    kill_orphans(&f.wrapper);

    // The next process sees what the killed server left: nothing is lost.
    let out = relay(&f, &["jobs", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let jobs = json(&out);
    let sync = job(&jobs, &format!("webhook-{push_id}"));
    assert_eq!(sync["operation"], "webhook", "{sync}");
    assert_eq!(sync["state"], "interrupted", "{sync}");
    assert_eq!(sync["done"], json!(["shared-api"]), "{sync}");
    let message = sync["message"].as_str().unwrap();
    assert!(
        message.contains("1 of 2 repositories finished (shared-api)"),
        "{message}"
    );
    assert_eq!(sync["spec"]["delivery"], push_id);
    let ci = job(&jobs, &format!("webhook-{ci_id}"));
    assert_eq!(ci["state"], "queued", "{ci}");
    let events = json(&relay(
        &f,
        &["jobs", "show", &format!("webhook-{push_id}"), "--json"],
    ));
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "repo_finished" && e["repo"] == "shared-api"),
        "{events}"
    );

    // The next server: a redelivery of the first is still recognised, and both run to the end.
    std::fs::write(&f.gate, "").unwrap();
    let mut second = serve(&f);
    assert_eq!(
        deliver(&second.addr, "push", push_id, &push),
        "HTTP/1.1 200 OK",
        "a redelivery after the restart is not acted on again"
    );
    let mut printed = Vec::new();
    while !(printed
        .iter()
        .any(|l: &String| l.contains("changed on GitHub"))
        && printed
            .iter()
            .any(|l| l.contains("CI on backend passed on main.")))
    {
        let line = second
            .lines
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the resumed jobs printed only {printed:#?}"));
        printed.push(line);
    }
    assert!(
        printed
            .iter()
            .any(|l| l.ends_with("shared-api's main changed on GitHub: updated backend.")),
        "{printed:#?}"
    );
    wait_for("both jobs to be recorded as succeeded", || {
        let jobs = json(&relay(&f, &["jobs", "--json"]));
        [push_id, ci_id]
            .iter()
            .all(|id| job(&jobs, &format!("webhook-{id}"))["state"] == "succeeded")
    });
    let jobs = json(&relay(&f, &["jobs", "--json"]));
    assert_eq!(
        job(&jobs, &format!("webhook-{push_id}"))["done"],
        json!(["shared-api", "backend"])
    );
    assert_eq!(head(&backend, "HEAD"), upstream, "backend fast-forwarded");
    // shared-api was fetched once (finished before the kill, not again); backend twice (the
    // fetch the kill cut short, then the resumed one).
    let mut calls = fetched(&f);
    calls.sort();
    assert_eq!(calls, ["backend", "backend", "shared-api"]);

    // SAFETY: signalling our own child.
    unsafe { libc::kill(second.child.id() as i32, libc::SIGTERM) };
    let status = second.child.wait().unwrap();
    let mut rest = String::new();
    second.stderr.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "exit {status:?}: {rest}");
    assert!(rest.contains("relay serve: stopped"), "{rest}");
}
