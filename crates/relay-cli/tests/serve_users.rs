//! `relay serve`'s users end to end, with the real binary: a sign-in cookie survives a restart
//! (SQLite), a cookie issued by one server works on another on the same real `redis-server`,
//! revoking the user's tokens ends it everywhere; MCP calls at `/mcp` run as the user whose
//! token they carry (a reader may not write, an admin may, `--mcp-allow` caps both; the audit
//! log names them).

mod serve_support;

use std::path::Path;

use serde_json::{Value, json};
use serve_support::{Serving, answer, client, command, create_token, run, stderr, workspace};

const TEAM: &str = "team:\n  - user: ann\n    role: admin\n  - user: bob\n    role: developer\n  - user: rita\n    role: reader\n";

/// `relay serve` on a free port in `dir`, with `env` (e.g. the store).
fn serve(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Serving {
    let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut c = command(dir, &args);
    c.envs(env.iter().copied());
    let serving = Serving::start(c);
    assert!(
        serving.first.contains("users' tokens required"),
        "{}",
        serving.first
    );
    serving
}

/// Signs in with `token`; the `relay_session=...` cookie.
async fn sign_in(server: &Serving, token: &str) -> String {
    let (status, headers, body) = answer(
        client()
            .post(server.url("/auth/signin"))
            .header("content-type", "application/json")
            .body(json!({ "token": token }).to_string()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cookie = headers["set-cookie"].to_str().unwrap();
    cookie.split("; ").next().unwrap().to_owned()
}

/// `GET /auth/whoami` with `cookie`: status and body.
async fn whoami(server: &Serving, cookie: &str) -> (u16, Value) {
    let (status, _, body) = answer(
        client()
            .get(server.url("/auth/whoami"))
            .header("cookie", cookie),
    )
    .await;
    (status, body)
}

fn assert_ended(answer: (u16, Value)) {
    assert_eq!(answer.0, 401, "{}", answer.1);
    let error = answer.1["error"].as_str().unwrap_or_default();
    assert!(error.contains("session has ended"), "{}", answer.1);
    assert!(
        answer.1["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("sign in again"),
        "{}",
        answer.1
    );
}

fn bob() -> Value {
    json!({"user": "bob", "role": "developer"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_survives_a_restart_and_ends_when_the_users_tokens_are_revoked() {
    let dir = workspace(TEAM);
    let token = create_token(dir.path(), "bob", &[]);
    let first = serve(dir.path(), &[], &[]);
    let cookie = sign_in(&first, &token).await;
    assert_eq!(whoami(&first, &cookie).await, (200, bob()));
    let (stopped, _) = first.stop();
    assert!(stopped);

    let second = serve(dir.path(), &[], &[]);
    assert_eq!(
        whoami(&second, &cookie).await,
        (200, bob()),
        "the restarted server knows the sign-in"
    );
    // A made-up session id is refused, and does not count as bob.
    let forged = format!("relay_session={}", "0".repeat(64));
    assert_ended(whoami(&second, &forged).await);

    let out = run(dir.path(), &["team", "token", "revoke", "bob"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ended(whoami(&second, &cookie).await);
    let (_, log) = second.stop();
    assert!(!log.contains(&token), "tokens are never logged: {log}");
    let id = cookie.trim_start_matches("relay_session=");
    assert!(!log.contains(id), "session ids are never logged: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_redis_share_sign_ins_and_their_end() {
    let redis = relay_testkit::redis::RedisServer::start();
    let url = redis.url();
    let store = [("RELAY_STORE_URL", url.as_str())];
    let dir = workspace(TEAM);
    let token = create_token(dir.path(), "bob", &store);
    let a = serve(dir.path(), &[], &store);
    let b = serve(dir.path(), &[], &store);
    assert_ne!(a.addr, b.addr);

    let on_a = sign_in(&a, &token).await;
    let on_b = sign_in(&b, &token).await;
    assert_eq!(
        whoami(&b, &on_a).await,
        (200, bob()),
        "A's cookie works on B"
    );
    assert_eq!(
        whoami(&a, &on_b).await,
        (200, bob()),
        "B's cookie works on A"
    );

    // Signing out on B ends A's cookie on A too.
    let (status, _, body) = answer(
        client()
            .post(b.url("/auth/signout"))
            .header("cookie", &on_a),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("signed out")));
    assert_ended(whoami(&a, &on_a).await);

    // Revoking bob's tokens ends his other sign-in on both hosts at once.
    let out = command(dir.path(), &["team", "token", "revoke", "bob"])
        .envs(store)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ended(whoami(&a, &on_b).await);
    assert_ended(whoami(&b, &on_b).await);
}

/// One MCP session at `/mcp` with a user's token.
struct Mcp<'a> {
    server: &'a Serving,
    token: String,
    session: String,
}

impl<'a> Mcp<'a> {
    async fn open(server: &'a Serving, token: &str) -> Mcp<'a> {
        let mut mcp = Mcp {
            server,
            token: token.to_owned(),
            session: String::new(),
        };
        let (headers, answer) = mcp
            .post(json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "serve-users-test", "version": "1"}}
            }))
            .await;
        assert!(answer.is_some_and(|a| a["result"]["serverInfo"].is_object()));
        mcp.session = headers["mcp-session-id"].to_str().unwrap().to_owned();
        mcp.post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        mcp
    }

    /// POSTs one message; the headers and the JSON-RPC answer (from JSON or SSE), if any.
    async fn post(&self, message: Value) -> (reqwest::header::HeaderMap, Option<Value>) {
        let mut r = client()
            .post(self.server.url("/mcp"))
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(message.to_string());
        if !self.session.is_empty() {
            r = r.header("mcp-session-id", &self.session);
        }
        let response = r.send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let answer = text
            .lines()
            .map(|l| l.strip_prefix("data:").unwrap_or(l).trim())
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v.get("id").is_some());
        (headers, answer)
    }

    /// `tools/list`: whether each tool is marked granted to this caller, by name.
    async fn granted(&self) -> std::collections::BTreeMap<String, bool> {
        let (_, answer) = self
            .post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
            .await;
        let answer = answer.expect("an answer to tools/list");
        answer["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let granted = t["_meta"]["dev.relay/granted"].as_bool();
                (t["name"].as_str().unwrap().to_owned(), granted.unwrap())
            })
            .collect()
    }

    /// `tools/call`: the result.
    async fn call(&self, tool: &str, arguments: Value) -> Value {
        let (_, answer) = self
            .post(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                         "params": {"name": tool, "arguments": arguments}}))
            .await;
        answer.expect("an answer to tools/call")["result"].clone()
    }
}

fn branches(repo: &Path) -> String {
    relay_testkit::git::git(repo, &["branch", "--list"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_calls_run_as_the_user_whose_token_they_carry() {
    let dir = workspace(TEAM);
    let rita = create_token(dir.path(), "rita", &[]);
    let ann = create_token(dir.path(), "ann", &[]);
    let server = serve(dir.path(), &["--mcp", "--mcp-allow", "write_repos"], &[]);

    let reader = Mcp::open(&server, &rita).await;
    let listed = reader.granted().await;
    assert_eq!(listed.get("create_branch"), Some(&false), "{listed:?}");
    assert_eq!(listed.get("project_status"), Some(&true), "{listed:?}");
    let read = reader.call("project_status", json!({})).await;
    assert_ne!(read["isError"], true, "a reader reads: {read}");
    let refused = reader
        .call("create_branch", json!({"name": "feature/by-rita"}))
        .await;
    assert_eq!(refused["isError"], true, "{refused}");
    let text = refused.to_string();
    assert!(
        text.contains("rita is a reader") && text.contains("write_repos"),
        "the refusal names the role and the permission: {text}"
    );
    assert!(!branches(&dir.path().join("api")).contains("feature/by-rita"));

    let admin = Mcp::open(&server, &ann).await;
    let done = admin
        .call("create_branch", json!({"name": "feature/by-ann"}))
        .await;
    assert_ne!(done["isError"], true, "{done}");
    assert!(branches(&dir.path().join("api")).contains("feature/by-ann"));
    assert!(branches(&dir.path().join("app")).contains("feature/by-ann"));
    assert_eq!(admin.granted().await.get("create_branch"), Some(&true));
    // --mcp-allow stays the ceiling: an admin's role has `session`, this server does not.
    let capped = admin.call("switch_project", json!({"name": "api"})).await;
    assert_eq!(capped["isError"], true, "{capped}");
    assert!(
        capped.to_string().contains(
            "`switch_project` needs the `session` permission, which this session was not granted"
        ),
        "{capped}"
    );

    // The audit log names who called.
    let out = run(dir.path(), &["audit", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let records: Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls: Vec<(String, String, String)> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["entry"])
        .filter(|e| e["action"] == "create_branch")
        .map(|e| {
            (
                e["user"].as_str().unwrap().to_owned(),
                e["role"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("rita".to_owned(), "reader".to_owned(), "denied".to_owned()),
            ("ann".to_owned(), "admin".to_owned(), "ok".to_owned()),
        ]
    );
    let capped: Vec<&Value> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["entry"])
        .filter(|e| e["action"] == "switch_project")
        .collect();
    assert_eq!(capped.len(), 1, "{capped:?}");
    assert_eq!(
        (&capped[0]["user"], &capped[0]["outcome"]),
        (&json!("ann"), &json!("denied"))
    );
}
