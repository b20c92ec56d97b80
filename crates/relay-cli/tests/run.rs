//! `relay run` end to end: real git repositories, the shell agent, and the real `claude` CLI
//! against the fake Anthropic API.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use relay_testkit::anthropic::{FakeAnthropic, Script, Turn};
use relay_testkit::claude_cli::{claude_bin, claude_env};
use serde_json::{Value, json};

/// A workspace of real repositories: `shared-api` and `docs` (no dependencies) and `backend`
/// (depends on shared-api).
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("ws");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("relay.yaml"),
        "repositories:\n  - name: shared-api\n  - name: docs\n  - name: backend\n    dependencies: [shared-api]\n",
    )
    .unwrap();
    for name in ["shared-api", "docs", "backend"] {
        let repo = root.join(name);
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("README.md"), format!("{name}\n")).unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", "init"]);
    }
    (tmp, root)
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "gc.auto")
        .env("GIT_CONFIG_VALUE_0", "0")
        .status()
        .unwrap();
    assert!(status.success());
}

fn relay(ws: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(ws)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("relay runs")
}

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| {
                panic!(
                    "not JSON ({e}): {l}\nstderr: {}",
                    String::from_utf8_lossy(&o.stderr)
                )
            })
        })
        .collect()
}

fn repo_entry<'a>(finished: &'a Value, name: &str) -> &'a Value {
    finished["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {finished}"))
}

/// The order in which `repo_finished` events arrived.
fn finish_order(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["type"] == "repo_finished")
        .map(|l| l["repo"].as_str().unwrap().to_string())
        .collect()
}

const SHELL_TASK: &str = "sh -c 'test ! -e FAIL && echo ok > touched.txt'";

#[test]
fn shell_run_in_dependency_order_skips_dependents_of_a_failure() {
    let (_tmp, ws) = workspace();
    std::fs::write(ws.join("shared-api/FAIL"), "").unwrap();
    let out = relay(&ws, &["run", SHELL_TASK, "--agent", "shell", "--json"], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert!(
        lines.iter().all(|l| l["type"].is_string()),
        "every line has a type"
    );
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "run_finished");
    let shared = repo_entry(last, "shared-api");
    assert_eq!(shared["outcome"], "failed");
    assert!(shared["error"].as_str().unwrap().contains("exit code 1"));
    let docs = repo_entry(last, "docs");
    assert_eq!(docs["outcome"], "success");
    assert_eq!(docs["changed_files"], json!(["touched.txt"]));
    let backend = repo_entry(last, "backend");
    assert_eq!(backend["outcome"], "skipped");
    assert!(backend["error"].as_str().unwrap().contains("shared-api"));
    assert!(!ws.join("backend/touched.txt").exists());
    for key in [
        "name",
        "outcome",
        "session_id",
        "num_turns",
        "cost_usd",
        "changed_files",
        "error",
    ] {
        assert!(
            backend.get(key).is_some(),
            "run_finished entries have {key}"
        );
    }
    // Every agent event of a repository comes before its repo_finished.
    let docs_done = lines
        .iter()
        .position(|l| l["type"] == "repo_finished" && l["repo"] == "docs")
        .unwrap();
    let last_docs_agent = lines
        .iter()
        .rposition(|l| l["type"] == "agent" && l["repo"] == "docs")
        .unwrap();
    assert!(last_docs_agent < docs_done);
    // Agent events are forwarded with their repository.
    assert!(lines.iter().any(|l| l["type"] == "agent"
        && l["repo"] == "docs"
        && l["event"]["type"] == "tool_started"));
}

#[test]
fn keep_going_runs_dependents_anyway_and_success_exits_zero() {
    let (_tmp, ws) = workspace();
    std::fs::write(ws.join("shared-api/FAIL"), "").unwrap();
    // A file already changed before the run is not reported as the run's.
    std::fs::write(ws.join("backend/already-dirty.txt"), "x").unwrap();
    let out = relay(
        &ws,
        &[
            "run",
            SHELL_TASK,
            "--agent",
            "shell",
            "--json",
            "--keep-going",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let last = lines.last().unwrap();
    assert_eq!(repo_entry(last, "backend")["outcome"], "success");
    assert_eq!(
        repo_entry(last, "backend")["changed_files"],
        json!(["touched.txt"])
    );
    assert!(ws.join("backend/touched.txt").exists());

    std::fs::remove_file(ws.join("shared-api/FAIL")).unwrap();
    let out = relay(
        &ws,
        &[
            "run",
            "sh -c 'echo again >> touched.txt'",
            "--agent",
            "shell",
            "--json",
            "-j",
            "2",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let order = finish_order(&lines);
    let pos = |n: &str| order.iter().position(|o| o == n).unwrap();
    assert!(pos("shared-api") < pos("backend"), "{order:?}");
}

#[test]
fn human_output_shows_live_progress_and_a_summary() {
    let (_tmp, ws) = workspace();
    let out = relay(
        &ws,
        &[
            "run",
            "sh -c 'echo hello-from-$0' x",
            "--agent",
            "shell",
            "--repos",
            "docs",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("[docs] running the shell agent in docs"),
        "{text}"
    );
    assert!(text.contains("[docs] hello-from-x"), "{text}");
    assert!(text.contains("[docs] success"), "{text}");
    assert!(!text.contains("shared-api"), "{text}");
}

#[test]
fn unknown_repository_is_a_usage_error_naming_the_known_ones() {
    let (_tmp, ws) = workspace();
    let out = relay(
        &ws,
        &["run", "true", "--agent", "shell", "--repos", "nope"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope") && err.contains("backend"), "{err}");
}

#[test]
fn missing_claude_binary_fails_before_any_work_with_install_advice() {
    let (_tmp, ws) = workspace();
    let env = vec![(
        "RELAY_CLAUDE_BIN".to_string(),
        "/nonexistent/claude".to_string(),
    )];
    let out = relay(&ws, &["run", "fix it"], &env);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("npm install -g @anthropic-ai/claude-code"),
        "{err}"
    );
}

#[test]
fn ctrl_c_cancels_cleanly_and_leaves_no_process() {
    let (_tmp, ws) = workspace();
    let child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .current_dir(&ws)
        .args(["run", "sleep 300", "--agent", "shell", "--json", "-j", "3"])
        .env_remove("RELAY_WORKSPACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    // Wait for the agents' sleeps to start.
    let deadline = Instant::now() + Duration::from_secs(20);
    while sleeps_in(&ws).len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let sleeping = sleeps_in(&ws);
    assert_eq!(sleeping.len(), 2, "shared-api and docs run in parallel");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "run_finished");
    assert_eq!(repo_entry(last, "shared-api")["outcome"], "cancelled");
    assert_eq!(repo_entry(last, "docs")["outcome"], "cancelled");
    assert_ne!(repo_entry(last, "backend")["outcome"], "success");
    for p in sleeping {
        assert!(
            !Path::new(&format!("/proc/{p}")).exists(),
            "sleep {p} left behind"
        );
    }
}

fn sleeps_in(ws: &Path) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
            cmd.starts_with(b"sleep\x00300") && cwd.starts_with(ws)
        })
        .collect()
}

#[tokio::test]
async fn claude_run_across_repos_in_dependency_order_with_a_failing_dependency() {
    let (_tmp, ws) = workspace();
    let notes = ws.join("docs/NOTES.md").display().to_string();
    // One claude process per repository, in order: shared-api, docs (batch 1), backend (batch 2).
    let server = FakeAnthropic::start(Script::new(vec![
        Turn::error(529, "overloaded_error", "Overloaded"),
        Turn::tool(
            "Writing notes.",
            "Write",
            json!({"file_path": notes, "content": "notes\n"}),
        ),
        Turn::text("Wrote NOTES.md."),
    ]))
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut env = claude_env(&server.url(), home.path());
    env.push((
        "RELAY_CLAUDE_BIN".into(),
        claude_bin().display().to_string(),
    ));
    let ws2 = ws.clone();
    let out = tokio::task::spawn_blocking(move || {
        relay(
            &ws2,
            &[
                "run",
                "document the API",
                "--json",
                "-j",
                "1",
                "--allowed-tools",
                "Write",
            ],
            &env,
        )
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "run_finished");
    let shared = repo_entry(last, "shared-api");
    assert_eq!(shared["outcome"], "failed");
    assert!(
        shared["error"].as_str().unwrap().contains("529"),
        "{shared}"
    );
    let docs = repo_entry(last, "docs");
    assert_eq!(docs["outcome"], "success", "{docs}");
    assert_eq!(docs["num_turns"], 2);
    assert!(docs["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(docs["session_id"].is_string());
    assert_eq!(docs["changed_files"], json!(["NOTES.md"]));
    assert_eq!(
        std::fs::read_to_string(ws.join("docs/NOTES.md")).unwrap(),
        "notes\n"
    );
    assert_eq!(repo_entry(last, "backend")["outcome"], "skipped");
    assert_eq!(finish_order(&lines), ["shared-api", "docs", "backend"]);
    // Each agent got the multi-repo context: its repository, dependencies and the others.
    let requests = server.message_requests();
    assert_eq!(requests.len(), 3);
    let system = requests[1].body["system"].to_string();
    assert!(
        system.contains("You are working in repository `docs`"),
        "{system}"
    );
    assert!(system.contains("`shared-api` at"), "{system}");
    assert!(system.contains("document the API"), "{system}");
}

#[test]
fn jobs_bounds_how_many_repositories_run_at_once() {
    let (_tmp, ws) = workspace();
    // Each run notes how many runs (itself included) are in progress half a second in.
    let task = "sh -c 'touch RUNNING; sleep 0.5; ls ../*/RUNNING | wc -l > seen; rm RUNNING'";
    let out = relay(&ws, &["run", task, "--agent", "shell", "-j", "1"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for repo in ["shared-api", "docs", "backend"] {
        let seen = std::fs::read_to_string(ws.join(repo).join("seen")).unwrap();
        assert_eq!(seen.trim(), "1", "{repo} overlapped another run");
    }
    let out = relay(
        &ws,
        &[
            "run",
            task,
            "--agent",
            "shell",
            "-j",
            "2",
            "--repos",
            "shared-api,docs",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let seen: Vec<usize> = ["shared-api", "docs"]
        .iter()
        .map(|r| {
            std::fs::read_to_string(ws.join(r).join("seen"))
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        })
        .collect();
    assert!(
        seen.contains(&2),
        "with -j 2 the two independent runs overlap: {seen:?}"
    );
}
