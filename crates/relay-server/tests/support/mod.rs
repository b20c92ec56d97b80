//! Shared by the webhook tests: real git repositories behind a workspace whose `url`s name GitHub
//! repositories, a running server on loopback, and signed deliveries of GitHub's payload shapes.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use relay_core::{Event, EventKind, RepoGraph, Workspace};
use relay_repos::GitRepoGraph;
use relay_server::webhooks::{WebhookSecret, Webhooks};
use relay_testkit::git::git;
use relay_testkit::webhooks::{OctokitWebhooks, set, sign};
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// The secret the tests' webhook shares with "GitHub".
pub const SECRET: &str = "It's a Secret to Everybody";

/// A temporary directory with bare origins (`origins/NAME.git`) and a workspace (`ws/`).
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// An empty sandbox.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("ws")).unwrap();
        std::fs::create_dir_all(dir.path().join("origins")).unwrap();
        Sandbox { dir }
    }

    /// The workspace root.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    fn origin(&self, name: &str) -> PathBuf {
        self.dir.path().join("origins").join(format!("{name}.git"))
    }

    /// A bare origin `name` with one commit on `main`, cloned into the workspace as `ws/NAME`.
    pub fn repo(&self, name: &str) -> PathBuf {
        let origin = self.origin(name);
        git(
            self.dir.path(),
            &["init", "-q", "--bare", "-b", "main", s(&origin)],
        );
        let seed = self.dir.path().join(format!("seed-{name}"));
        git(self.dir.path(), &["clone", "-q", s(&origin), s(&seed)]);
        git(&seed, &["symbolic-ref", "HEAD", "refs/heads/main"]);
        std::fs::write(seed.join("README.md"), format!("# {name}\n")).unwrap();
        git(&seed, &["add", "."]);
        git(&seed, &["commit", "-q", "-m", "first"]);
        git(&seed, &["push", "-q", "origin", "main"]);
        let clone = self.root().join(name);
        git(self.dir.path(), &["clone", "-q", s(&origin), s(&clone)]);
        clone
    }

    /// A colleague pushes a commit to origin `name`'s `main`; returns the new sha.
    pub fn push_upstream(&self, name: &str, file: &str) -> String {
        let colleague = self.dir.path().join(format!("colleague-{name}"));
        if !colleague.exists() {
            git(
                self.dir.path(),
                &["clone", "-q", s(&self.origin(name)), s(&colleague)],
            );
        } else {
            git(&colleague, &["pull", "-q", "--ff-only"]);
        }
        std::fs::write(colleague.join(file), "upstream\n").unwrap();
        git(&colleague, &["add", "."]);
        git(&colleague, &["commit", "-q", "-m", &format!("add {file}")]);
        git(&colleague, &["push", "-q", "origin", "main"]);
        head(&colleague)
    }

    /// Writes `relay.yaml` and loads it.
    pub fn workspace(&self, yaml: &str) -> Workspace {
        std::fs::write(self.root().join("relay.yaml"), yaml).unwrap();
        Workspace::load(self.root()).unwrap_or_else(|e| panic!("relay.yaml is invalid: {e}"))
    }
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The sha of `HEAD` in `dir`.
pub fn head(dir: &Path) -> String {
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// The state of a working copy that must not change: HEAD, branches, status and file contents
/// (not the remote-tracking refs: a fetch may move those).
pub fn fingerprint(dir: &Path) -> String {
    let mut out = git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
        ],
    );
    let status = git(
        dir,
        &[
            "status",
            "--porcelain=v2",
            "--branch",
            "--untracked-files=all",
        ],
    );
    for line in status.lines().filter(|l| !l.starts_with("# branch.ab")) {
        out.push_str(line);
        out.push('\n');
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in files {
        out.push_str(&format!(
            "{}={}\n",
            f.display(),
            std::fs::read_to_string(&f).unwrap_or_default()
        ));
    }
    out
}

/// A `- name:` entry whose url is GitHub's `acme/NAME`.
pub fn repo_yaml(name: &str, deps: &[&str]) -> String {
    let mut y = format!("  - name: {name}\n    url: git@github.com:acme/{name}.git\n");
    if !deps.is_empty() {
        y.push_str(&format!("    dependencies: [{}]\n", deps.join(", ")));
    }
    y
}

/// A running server on loopback with the webhook receiver over `workspace`.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The receiver.
    pub webhooks: Webhooks,
    /// Its jobs' events, subscribed before any delivery.
    pub events: broadcast::Receiver<Event>,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Starts a server over `workspace`, configured by `configure`.
pub async fn start_with(
    workspace: Workspace,
    configure: impl FnOnce(
        relay_server::webhooks::WebhooksBuilder,
    ) -> relay_server::webhooks::WebhooksBuilder,
) -> Running {
    let graph: Arc<dyn RepoGraph> = Arc::new(GitRepoGraph::new(workspace));
    let webhooks = configure(Webhooks::builder(graph).secret(WebhookSecret::new(SECRET).unwrap()))
        .build()
        .expect("webhooks build");
    let events = webhooks.subscribe();
    let server = relay_server::Server::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = relay_server::router(&webhooks);
    tokio::spawn(server.serve(router, async move {
        let _ = stopped.await;
    }));
    Running {
        base,
        webhooks,
        events,
        client: client(),
        stop: Some(stop),
    }
}

/// Starts a server over `workspace` with the default configuration.
pub async fn start(workspace: Workspace) -> Running {
    start_with(workspace, |b| b).await
}

static DELIVERY: AtomicU64 = AtomicU64::new(1);

/// A fresh `X-GitHub-Delivery` GUID.
pub fn delivery_id() -> String {
    let n = DELIVERY.fetch_add(1, Ordering::Relaxed);
    format!("72d3162e-cc78-11e3-81ab-{n:012x}")
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `Retry-After`, if sent.
    pub retry_after: Option<String>,
    /// The JSON body.
    pub body: Value,
}

impl Running {
    /// Posts `body` as GitHub delivers event `event` with delivery `id`, signed with `SECRET`.
    pub async fn deliver(&self, event: &str, id: &str, body: &[u8]) -> Answer {
        let signature = sign(SECRET.as_bytes(), body);
        self.post(event, id, Some(&signature), body.to_vec()).await
    }

    /// Posts raw: any signature (or none), any body.
    pub async fn post(
        &self,
        event: &str,
        id: &str,
        signature: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        self.post_as("application/json", event, id, signature, body)
            .await
    }

    /// Delivers `json` the way GitHub does for a webhook whose content type is
    /// `application/x-www-form-urlencoded`: `payload=<json>`, the signature over that body.
    pub async fn deliver_form(&self, event: &str, id: &str, json: &[u8]) -> Answer {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", std::str::from_utf8(json).unwrap())
            .finish();
        let signature = sign(SECRET.as_bytes(), body.as_bytes());
        self.post_as(
            "application/x-www-form-urlencoded",
            event,
            id,
            Some(&signature),
            body.into_bytes(),
        )
        .await
    }

    async fn post_as(
        &self,
        content_type: &str,
        event: &str,
        id: &str,
        signature: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("{}/webhooks/github", self.base))
            .header("content-type", content_type)
            .header("user-agent", "GitHub-Hookshot/044aadd")
            .header("x-github-event", event)
            .header("x-github-delivery", id)
            .header("x-github-hook-id", "292430182")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        answer(request.send().await.expect("the server answers")).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        answer(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("answers"),
        )
        .await
    }

    /// The events of the next webhook job, from `job_started` to `job_finished`.
    pub async fn next_job(&mut self) -> Vec<Event> {
        let mut job = Vec::new();
        loop {
            let event = tokio::time::timeout(Duration::from_secs(120), self.events.recv())
                .await
                .expect("a webhook job within two minutes (hung?)")
                .expect("the event stream is open");
            let last = matches!(event.kind, EventKind::JobFinished { .. });
            job.push(event);
            if last {
                return job;
            }
        }
    }

    /// Stops the HTTP server (the webhook worker is stopped with `webhooks.shutdown`).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An HTTP client (plain http on loopback; reqwest still wants a TLS provider chosen).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        retry_after,
        body,
    }
}

/// The operation of a job's `job_started`.
pub fn operation(job: &[Event]) -> String {
    match &job[0].kind {
        EventKind::JobStarted { operation, .. } => operation.clone(),
        other => panic!("a job starts with job_started, not {other:?}"),
    }
}

/// The notifications of a job.
pub fn notifications(job: &[Event]) -> Vec<relay_core::event::Notification> {
    job.iter()
        .filter_map(|e| match &e.kind {
            EventKind::Notification(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

/// A `repository` object for GitHub's `acme/NAME`, on default branch `main`.
fn repository(name: &str) -> Value {
    json!({
        "full_name": format!("acme/{name}"),
        "name": name,
        "clone_url": format!("https://github.com/acme/{name}.git"),
        "ssh_url": format!("git@github.com:acme/{name}.git"),
        "default_branch": "main",
    })
}

/// Fills `payload`'s repository with `acme/NAME`'s, keeping the schema's other required fields.
fn with_repository(payload: &mut Value, name: &str) {
    for (k, v) in repository(name).as_object().unwrap() {
        set(payload, &format!("/repository/{k}"), v.clone());
    }
}

/// A `push` of `after` to `refs/heads/BRANCH` of `acme/NAME`, shaped and checked by GitHub's
/// schema.
pub fn push_payload(name: &str, branch: &str, after: &str) -> Vec<u8> {
    let gh = OctokitWebhooks::load();
    let mut p = gh.instance("push");
    with_repository(&mut p, name);
    set(&mut p, "/ref", json!(format!("refs/heads/{branch}")));
    set(
        &mut p,
        "/before",
        json!("0000000000000000000000000000000000000000"),
    );
    set(&mut p, "/after", json!(after));
    set(&mut p, "/deleted", json!(false));
    gh.assert_valid("push", &p);
    serde_json::to_vec(&p).unwrap()
}

/// A `check_suite` `completed` with `conclusion` on BRANCH of `acme/NAME`.
pub fn check_suite_payload(name: &str, branch: &str, conclusion: &str) -> Vec<u8> {
    let gh = OctokitWebhooks::load();
    let mut p = gh.instance("check-suite-completed");
    with_repository(&mut p, name);
    set(&mut p, "/action", json!("completed"));
    set(&mut p, "/check_suite/head_branch", json!(branch));
    set(
        &mut p,
        "/check_suite/head_sha",
        json!("ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
    );
    set(&mut p, "/check_suite/status", json!("completed"));
    set(&mut p, "/check_suite/conclusion", json!(conclusion));
    set(&mut p, "/check_suite/app/name", json!("GitHub Actions"));
    gh.assert_valid("check-suite-completed", &p);
    serde_json::to_vec(&p).unwrap()
}
