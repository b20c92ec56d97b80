//! However `relay` dies (SIGTERM, SIGHUP, SIGINT twice, SIGKILL), no process it started survives
//! it: `relay run` with the shell agent and with the real `claude` CLI (its Bash tool running a
//! command), and `relay env exec`.
//!
//! Every process of a run is found by a unique marker in its environment (the test sets it on
//! `relay`; everything relay starts inherits it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use relay_testkit::anthropic::{FakeAnthropic, Script, Turn};
use relay_testkit::claude_cli::{claude_bin, claude_env};
use serde_json::json;

/// How `relay` is stopped.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Term,
    Hup,
    IntTwice,
    Kill,
}

const STOPS: [Stop; 4] = [Stop::Term, Stop::Hup, Stop::IntTwice, Stop::Kill];

/// A unique marker for one `relay` process and everything under it.
fn marker(label: &str) -> String {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{label}-{}-{n}", std::process::id())
}

/// Live (not zombie) processes whose environment has `RELAY_TEST_MARK=<mark>`, with their
/// command lines.
fn marked(mark: &str) -> Vec<(i32, String)> {
    let needle = format!("RELAY_TEST_MARK={mark}");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            environ
                .split(|&b| b == 0)
                .any(|entry| entry == needle.as_bytes())
        })
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next());
            !matches!(state, None | Some('Z' | 'X'))
        })
        .map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            (pid, cmd)
        })
        .collect()
}

/// Waits until `count` processes whose command line contains `what` carry the marker.
fn wait_for(mark: &str, what: &str, count: usize, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let found = marked(mark);
        if found.iter().filter(|(_, cmd)| cmd.contains(what)).count() >= count {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            use std::io::Read;
            let (mut out, mut err) = (String::new(), String::new());
            if let Some(mut o) = child.stdout.take() {
                let _ = o.read_to_string(&mut out);
            }
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("relay exited ({status}) before `{what}` started:\n{out}\n{err}");
        }
        assert!(
            Instant::now() < deadline,
            "`{what}` did not start; marked processes: {found:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

/// Stops `relay` the way `stop` says, checks how it exited, and that nothing it started is
/// alive afterwards.
fn stop_and_check(child: Child, mark: &str, stop: Stop) {
    let pid = child.id();
    match stop {
        Stop::Term => signal(pid, libc::SIGTERM),
        Stop::Hup => signal(pid, libc::SIGHUP),
        Stop::IntTwice => {
            signal(pid, libc::SIGINT);
            signal(pid, libc::SIGINT);
        }
        Stop::Kill => signal(pid, libc::SIGKILL),
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    use std::os::unix::process::ExitStatusExt;
    match stop {
        Stop::Term => assert_eq!(out.status.code(), Some(143), "{stop:?}: {stderr}"),
        Stop::Hup => assert_eq!(out.status.code(), Some(129), "{stop:?}: {stderr}"),
        Stop::IntTwice => assert_eq!(out.status.code(), Some(130), "{stop:?}: {stderr}"),
        Stop::Kill => assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{stop:?}"),
    }
    // After a SIGKILL the kernel's parent-death signal and Relay's watchdog do the killing,
    // asynchronously: wait (bounded) for them.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = marked(mark);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{stop:?}: processes of the run are still alive: {left:?}\nstderr: {stderr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn relay_command(dir: &Path, mark: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env("NO_COLOR", "1")
        .env("RELAY_TEST_MARK", mark)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A workspace with one real repository, `app`.
fn workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("ws");
    std::fs::create_dir_all(&root).unwrap();
    relay_testkit::git::write_workspace(&root, &[("app", &[])]);
    (tmp, root)
}

#[test]
fn relay_run_with_the_shell_agent_leaves_no_process_however_it_dies() {
    for stop in STOPS {
        let (_tmp, ws) = workspace();
        let mark = marker("shell");
        // A foreground sleep and a background one in the agent's group.
        let child = relay_command(
            &ws,
            &mark,
            &[
                "run",
                "sh -c 'sleep 611 & sleep 612'",
                "--agent",
                "shell",
                "--json",
            ],
        )
        .spawn()
        .unwrap();
        let mut child = child;
        wait_for(&mark, "sleep 61", 2, &mut child);
        stop_and_check(child, &mark, stop);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_run_with_claude_leaves_no_process_however_it_dies() {
    for stop in STOPS {
        let (_tmp, ws) = workspace();
        let mark = marker("claude");
        // Claude's Bash tool runs a long command (in a process group of its own).
        let server = FakeAnthropic::start(Script::new(vec![
            Turn::tool(
                "Waiting.",
                "Bash",
                json!({"command": "sh -c 'sleep 613; echo waited'", "description": "wait", "timeout": 600000}),
            ),
            Turn::text("Done."),
        ]))
        .await
        .unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut cmd = relay_command(
            &ws,
            &mark,
            &["run", "wait a while", "--json", "--allowed-tools", "Bash"],
        );
        cmd.envs(claude_env(&server.url(), home.path()))
            .env("RELAY_CLAUDE_BIN", claude_bin());
        let mark2 = mark.clone();
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().unwrap();
            wait_for(&mark2, "sleep 613", 1, &mut child);
            stop_and_check(child, &mark2, stop);
        })
        .await
        .unwrap();
    }
}

#[test]
fn relay_env_exec_leaves_no_process_however_it_dies() {
    let dir = tempfile::tempdir().unwrap();
    let up = Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env_remove("RELAY_WORKSPACE")
        .env_remove("PROXMOX_URL")
        .args(["env", "up", "scratch", "--provider", "local", "--json"])
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    for stop in STOPS {
        let mark = marker("exec");
        let mut cmd = relay_command(
            dir.path(),
            &mark,
            &[
                "env",
                "exec",
                "scratch",
                "--provider",
                "local",
                "--",
                "sh",
                "-c",
                "sleep 614 & sleep 615",
            ],
        );
        cmd.env("HOME", dir.path()).env_remove("PROXMOX_URL");
        let mut child = cmd.spawn().unwrap();
        wait_for(&mark, "sleep 61", 2, &mut child);
        stop_and_check(child, &mark, stop);
    }
}

#[test]
fn relay_chat_with_an_agent_run_in_flight_leaves_no_process_however_it_dies() {
    for stop in STOPS {
        let (_tmp, ws) = workspace();
        let mark = marker("chat");
        let mut cmd = relay_command(&ws, &mark, &["chat", "--agent", "shell"]);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // stdin stays open: the chat waits for the run, not for the end of its input.
        let mut stdin = child.stdin.take().unwrap();
        use std::io::Write;
        writeln!(stdin, "run `sh -c 'sleep 631 & sleep 632'` in app").unwrap();
        wait_for(&mark, "sleep 63", 2, &mut child);
        stop_and_check(child, &mark, stop);
        drop(stdin);
    }
}
