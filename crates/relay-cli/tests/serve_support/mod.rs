//! What the `relay serve` tests share: a workspace (with a `team:` when asked), the `relay`
//! command with a clean environment, a served process that is killed however the test ends,
//! where it listens (read from its first stderr line), and an HTTP client.
#![allow(dead_code)] // each test file uses its own share

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::JoinHandle;

use relay_testkit::git::write_workspace;

/// `HOST:PORT` from `relay serve: listening on http://HOST:PORT (...)` (or `https://`).
///
/// # Panics
/// When the line is not that announcement, quoting it.
pub fn listening_addr(first_line: &str) -> String {
    first_line
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("relay serve prints where it listens, got {first_line:?}"))
        .to_owned()
}

/// A workspace of two repositories (`app` depends on `api`), with `team` appended to its
/// relay.yaml (`""`: no team).
pub fn workspace(team: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[("api", &[]), ("app", &["api"])]);
    let file = dir.path().join("relay.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{yaml}{team}")).unwrap();
    dir
}

/// `relay ARGS` in `dir` as `ann`, with none of the variables that would change what the test
/// means (store, tokens, webhook secret, Realtime) inherited.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_relay"));
    c.current_dir(dir)
        .args(args)
        .env_remove("RELAY_WORKSPACE")
        .env_remove("RELAY_STORE_URL")
        .env_remove("RELAY_TOKEN")
        .env_remove("RELAY_MCP_TOKEN")
        .env_remove("RELAY_WEBHOOK_SECRET")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_REALTIME_URL")
        .env("RELAY_USER", "ann")
        .env("NO_COLOR", "1");
    c
}

/// Runs `relay ARGS` in `dir` to the end.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("relay runs")
}

/// Its stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A new token of `user`, made with `relay team token create` (extra env: e.g. the store).
pub fn create_token(dir: &Path, user: &str, env: &[(&str, &str)]) -> String {
    let out = command(dir, &["team", "token", "create", user])
        .envs(env.iter().copied())
        .output()
        .expect("relay runs");
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A running `relay serve`: killed when dropped, however the test ends.
pub struct Serving {
    child: Child,
    /// Its first stderr line (where it listens, what it serves).
    pub first: String,
    /// `HOST:PORT` it listens on.
    pub addr: String,
    log: Option<JoinHandle<String>>,
}

impl Serving {
    /// Starts `serve` (a `relay serve` command) and waits for its address line.
    pub fn start(mut serve: Command) -> Serving {
        let mut child = serve
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("relay runs");
        let mut err = BufReader::new(child.stderr.take().unwrap());
        // Log lines (with RELAY_LOG) may come before the address line.
        let mut before = String::new();
        let first = loop {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!("relay serve ended before listening: {before}");
            }
            if line.starts_with("relay serve: listening on") {
                break line;
            }
            before.push_str(&line);
        };
        // Keep reading what it logs: a closed pipe would fail its writes.
        let log = std::thread::spawn(move || {
            let mut rest = before;
            let _ = err.read_to_string(&mut rest);
            rest
        });
        let addr = listening_addr(&first);
        Serving {
            child,
            first,
            addr,
            log: Some(log),
        }
    }

    /// `http://HOST:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends it SIGTERM (a graceful shutdown) without waiting for it.
    pub fn terminate(&self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
    }

    /// Waits for it to exit; returns whether it exited successfully and what it logged
    /// besides the address line.
    pub fn wait(mut self) -> (bool, String) {
        let ok = self.child.wait().is_ok_and(|s| s.success());
        let log = self
            .log
            .take()
            .map(|h| h.join().unwrap())
            .unwrap_or_default();
        (ok, log)
    }

    /// Stops it with SIGTERM and waits; see [`wait`](Self::wait).
    pub fn stop(self) -> (bool, String) {
        self.terminate();
        self.wait()
    }

    /// Kills it the hard way (SIGKILL: no goodbye to anyone) and reaps it.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client (no proxy, no redirects followed).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Status, headers and body (JSON, or a string when not JSON) of a response.
pub async fn answer(
    r: reqwest::RequestBuilder,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let response = r.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, headers, body)
}
