//! Durable jobs end to end with real processes: `kill -9` in the middle of an agent run leaves
//! the job `interrupted` with what finished, and `relay jobs resume` finishes the rest without
//! redoing a finished repository; on one real Redis, two workers drain one queue running each
//! job once, and a worker killed mid-job loses nothing (another takes it over after its lease).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn command(dir: &Path, store: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_TOKEN")
        .env("RELAY_USER", "ann")
        .env("NO_COLOR", "1");
    match store {
        Some(url) => cmd.env("RELAY_STORE_URL", url),
        None => cmd.env_remove("RELAY_STORE_URL"),
    };
    cmd
}

fn relay(dir: &Path, store: Option<&str>, args: &[&str]) -> Output {
    command(dir, store, args).output().expect("relay runs")
}

/// Starts relay in its own process group, so that `kill_group` kills it like `kill -9`.
fn spawn(dir: &Path, store: Option<&str>, args: &[&str]) -> Child {
    command(dir, store, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("relay starts")
}

fn kill_group(child: &mut Child) {
    // SAFETY: plain signal delivery to the process group we created; no memory is involved.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.wait();
}

/// Kills the agent processes a killed relay left behind (nobody else can: their parent died).
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

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    ws: PathBuf,
    log: PathBuf,
    gate: PathBuf,
    script: PathBuf,
}

/// The demo workspace and a step script: each repository logs `start`; every repository after
/// the first waits for the gate file (so a run can be caught in the middle); then logs `done`.
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(tmp.path(), None, &["demo", "--dir", "demo"]);
    assert!(out.status.success(), "{}", text(&out));
    let ws = tmp.path().join("demo/workspace");
    let log = tmp.path().join("log");
    std::fs::create_dir(&log).unwrap();
    let gate = tmp.path().join("gate");
    let script = tmp.path().join("step.sh");
    std::fs::write(
        &script,
        format!(
            "name=$(basename \"$PWD\")\necho start >> {log}/$name\nif [ $(ls {log} | wc -l) -ge 2 ]; then\n  while [ ! -f {gate} ]; do sleep 0.05; done\nfi\necho done >> {log}/$name\n",
            log = log.display(),
            gate = gate.display()
        ),
    )
    .unwrap();
    Fixture {
        _tmp: tmp,
        ws,
        log,
        gate,
        script,
    }
}

fn log_of(f: &Fixture, repo: &str) -> String {
    std::fs::read_to_string(f.log.join(repo)).unwrap_or_default()
}

#[test]
fn kill_9_mid_agent_run_then_resume_finishes_without_redoing_anything() {
    let f = fixture();
    let task = format!("sh {}", f.script.display());
    let mut run = spawn(&f.ws, None, &["run", "--agent", "shell", "-j", "1", &task]);
    wait_for("the second repository to start", || {
        std::fs::read_dir(&f.log).unwrap().count() == 2
    });
    kill_group(&mut run);
    kill_orphans(&f.script);

    let out = relay(&f.ws, None, &["jobs", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let jobs = json(&out);
    let job = &jobs[0];
    assert_eq!(job["state"], "interrupted", "{jobs}");
    let done: Vec<String> = serde_json::from_value(job["done"].clone()).unwrap();
    assert_eq!(done.len(), 1, "{jobs}");
    let first = done[0].clone();
    assert_eq!(log_of(&f, &first), "start\ndone\n");
    let message = job["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("1 of 4 repositories finished ({first})")),
        "{message}"
    );
    let id = job["id"].as_str().unwrap().to_owned();

    // The next process resumes it: the finished repository is not run again.
    std::fs::write(&f.gate, "").unwrap();
    let out = relay(&f.ws, None, &["jobs", "resume", &id]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("job {id}: succeeded (4 of 4 repositories done)")),
        "{}",
        text(&out)
    );
    let mut repos: Vec<String> = std::fs::read_dir(&f.log)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    repos.sort();
    assert_eq!(repos.len(), 4);
    for repo in &repos {
        let log = log_of(&f, repo);
        let expected = if repo == &first {
            "start\ndone\n" // finished before the kill: not done again
        } else if log.starts_with("start\nstart") {
            "start\nstart\ndone\n" // the one interrupted mid-way: run again to the end
        } else {
            "start\ndone\n"
        };
        assert_eq!(log, expected, "{repo}");
    }
    assert_eq!(
        repos
            .iter()
            .filter(|r| log_of(&f, r).starts_with("start\nstart"))
            .count(),
        1
    );

    let out = relay(&f.ws, None, &["jobs", "show", &id, "--json"]);
    let shown = json(&out);
    assert_eq!(shown["job"]["state"], "succeeded");
    assert!(
        shown["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "repo_finished")
    );
    // A finished job cannot be resumed or cancelled again.
    let out = relay(&f.ws, None, &["jobs", "resume", &id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("only an interrupted, failed or queued job can be resumed"),
        "{}",
        text(&out)
    );
    // The resume is in the audit log.
    let log = text(&relay(&f.ws, None, &["audit", "--json"]));
    assert!(log.contains("relay jobs resume"), "{log}");
}

#[test]
fn kill_9_mid_sync_then_resume_fetches_only_what_was_left() {
    let f = fixture();
    // Every fetch and clone goes through git-upload-pack (found on PATH): a wrapper logs each
    // repository it serves and holds every one after the first until the gate exists.
    let bin = f.log.parent().unwrap().join("bin");
    std::fs::create_dir(&bin).unwrap();
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
    let calls = f.log.parent().unwrap().join("calls");
    let wrapper = bin.join("git-upload-pack");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$1\" >> {calls}\nif [ $(wc -l < {calls}) -ge 2 ]; then\n  while [ ! -f {gate} ]; do sleep 0.05; done\nfi\nexec {real} \"$@\"\n",
            calls = calls.display(),
            gate = f.gate.display(),
            real = real.trim()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    for repo in ["frontend", "backend"] {
        std::fs::remove_dir_all(f.ws.join(repo)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut sync = command(&f.ws, None, &["sync", "-j", "1"])
        .env("PATH", &path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let served = || std::fs::read_to_string(&calls).unwrap_or_default();
    wait_for("the second repository's fetch", || {
        served().lines().count() == 2
    });
    kill_group(&mut sync);
    kill_orphans(&wrapper);

    let jobs = json(&relay(&f.ws, None, &["jobs", "--json"]));
    let job = &jobs[0];
    assert_eq!(
        (job["operation"].as_str(), job["state"].as_str()),
        (Some("sync"), Some("interrupted")),
        "{jobs}"
    );
    let done: Vec<String> = serde_json::from_value(job["done"].clone()).unwrap();
    assert_eq!(done, ["shared-api"], "{jobs}");
    let id = job["id"].as_str().unwrap().to_owned();

    std::fs::write(&f.gate, "").unwrap();
    let out = command(&f.ws, None, &["jobs", "resume", &id])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("job {id}: succeeded (4 of 4 repositories done)")),
        "{}",
        text(&out)
    );
    let served = served();
    let name = |line: &str| {
        line.rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".git")
            .to_owned()
    };
    let lines: Vec<String> = served.lines().map(name).collect();
    let (first, interrupted) = (lines[0].clone(), lines[1].clone());
    assert_eq!(first, "shared-api");
    for repo in ["shared-api", "database-migrations", "frontend", "backend"] {
        let times = lines.iter().filter(|l| *l == repo).count();
        // The one interrupted mid-fetch is fetched again; every other exactly once (the one
        // finished before the kill is not fetched again).
        let expected = if repo == interrupted { 2 } else { 1 };
        assert_eq!(times, expected, "{repo}\n{served}");
    }
    for repo in ["frontend", "backend"] {
        assert!(
            f.ws.join(repo).join(".git").exists(),
            "{repo} cloned on resume"
        );
    }
}

#[test]
fn two_workers_on_one_redis_run_each_queued_job_once() {
    let server = relay_testkit::redis::RedisServer::start();
    let url = server.url();
    let f = fixture();
    std::fs::write(&f.gate, "").unwrap();
    let runs = f.log.join("runs");
    let mut ids = Vec::new();
    for i in 0..8 {
        let task = format!("sh -c 'echo job{i} >> {}'", runs.display());
        let out = relay(
            &f.ws,
            Some(&url),
            &[
                "run",
                "--detach",
                "--json",
                "--agent",
                "shell",
                "--repos",
                "shared-api",
                &task,
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        ids.push(json(&out)["job"].as_str().unwrap().to_owned());
    }
    let mut a = spawn(&f.ws, Some(&url), &["worker", "--drain", "--name", "a"]);
    let mut b = spawn(&f.ws, Some(&url), &["worker", "--drain", "--name", "b"]);
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let mut lines: Vec<String> = std::fs::read_to_string(&runs)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    let expected: Vec<String> = (0..8).map(|i| format!("job{i}")).collect();
    assert_eq!(lines, expected, "every job exactly once");
    let jobs = json(&relay(&f.ws, Some(&url), &["jobs", "--json"]));
    for id in &ids {
        let job = jobs
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == id.as_str())
            .unwrap();
        assert_eq!(job["state"], "succeeded", "{job}");
    }
}

#[test]
fn a_worker_killed_mid_job_loses_nothing() {
    let server = relay_testkit::redis::RedisServer::start();
    let url = server.url();
    let f = fixture();
    // Two repositories: the first finishes, the second waits for the gate.
    let task = format!("sh {}", f.script.display());
    let out = relay(
        &f.ws,
        Some(&url),
        &[
            "run",
            "--detach",
            "--json",
            "--agent",
            "shell",
            "--repos",
            "shared-api,database-migrations",
            &task,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let id = json(&out)["job"].as_str().unwrap().to_owned();

    let mut first = spawn(
        &f.ws,
        Some(&url),
        &["worker", "--name", "first", "--lease", "2"],
    );
    wait_for("the second repository to start", || {
        std::fs::read_dir(&f.log).unwrap().count() == 2
    });
    kill_group(&mut first);
    kill_orphans(&f.script);
    std::fs::write(&f.gate, "").unwrap();

    // Another worker takes the job over once the dead worker's lease ran out.
    let mut second = spawn(
        &f.ws,
        Some(&url),
        &["worker", "--name", "second", "--lease", "2"],
    );
    wait_for("the job to finish", || {
        let out = relay(&f.ws, Some(&url), &["jobs", "show", &id, "--json"]);
        out.status.success() && json(&out)["job"]["state"] == "succeeded"
    });
    kill_group(&mut second);
    let job = json(&relay(&f.ws, Some(&url), &["jobs", "show", &id, "--json"]));
    let done: Vec<String> = serde_json::from_value(job["job"]["done"].clone()).unwrap();
    assert_eq!(done.len(), 2, "{job}");
    // The repository finished before the kill ran once; the interrupted one ran to the end.
    let logs: Vec<String> = done.iter().map(|r| log_of(&f, r)).collect();
    assert!(logs.contains(&"start\ndone\n".to_string()), "{logs:?}");
    assert!(
        logs.contains(&"start\nstart\ndone\n".to_string()),
        "{logs:?}"
    );
}
