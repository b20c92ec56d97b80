//! Real git repositories for the integration tests, built with the git CLI.
//!
//! A [`Sandbox`] is a temporary directory holding a workspace root (`ws/`, where `relay.yaml` and
//! the working copies live) and bare "origin" repositories (`origins/NAME.git`). Commits made here
//! use a fixed author, committer and date so that shas and times are reproducible; every working
//! copy gets a repository-local identity so the library's own `git commit` works on machines
//! without a global git identity.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use relay_core::Workspace;

/// Identity of the commits the tests make.
pub const AUTHOR: &str = "Ada Tester";
/// E-mail of the commits the tests make.
pub const EMAIL: &str = "ada@example.com";

/// Seconds added to the base date per commit, so history has increasing, distinct times.
static CLOCK: AtomicU64 = AtomicU64::new(0);

/// A scratch directory with a workspace root and bare origins; deleted on drop.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// A fresh sandbox with an empty workspace root.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("create temp dir");
        std::fs::create_dir_all(dir.path().join("ws")).unwrap();
        std::fs::create_dir_all(dir.path().join("origins")).unwrap();
        Sandbox { dir }
    }

    /// The sandbox directory itself.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The workspace root.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    /// The path of the bare origin called `name`.
    pub fn origin(&self, name: &str) -> PathBuf {
        self.dir.path().join("origins").join(format!("{name}.git"))
    }

    /// The `file://` URL of origin `name`.
    pub fn origin_url(&self, name: &str) -> String {
        format!("file://{}", self.origin(name).display())
    }

    /// Creates bare origin `name` whose `main` has one commit adding `README.md` and
    /// `src/lib.txt`; returns its path.
    pub fn create_origin(&self, name: &str) -> PathBuf {
        let origin = self.origin(name);
        git(
            self.path(),
            &["init", "--quiet", "--bare", "-b", "main", path_str(&origin)],
        );
        let seed = self.path().join(format!("seed-{name}"));
        git(
            self.path(),
            &["clone", "--quiet", path_str(&origin), path_str(&seed)],
        );
        configure_identity(&seed);
        git(&seed, &["symbolic-ref", "HEAD", "refs/heads/main"]);
        write(&seed, "README.md", &format!("# {name}\n"));
        write(&seed, "src/lib.txt", "line 1\nline 2\nline 3\n");
        commit_all(&seed, &format!("Initial commit of {name}"));
        git(&seed, &["push", "--quiet", "origin", "main"]);
        std::fs::remove_dir_all(&seed).unwrap();
        origin
    }

    /// Clones origin `name` to `dir` (anywhere), with a local identity; returns `dir`.
    pub fn clone_origin_to(&self, name: &str, dir: &Path) -> PathBuf {
        git(
            self.path(),
            &[
                "clone",
                "--quiet",
                path_str(&self.origin(name)),
                path_str(dir),
            ],
        );
        configure_identity(dir);
        dir.to_path_buf()
    }

    /// Clones origin `name` into the workspace at `ws/NAME`; returns the working copy.
    pub fn clone_into_workspace(&self, name: &str) -> PathBuf {
        self.clone_origin_to(name, &self.root().join(name))
    }

    /// Creates origin `name` and clones it into the workspace; returns the working copy.
    pub fn repo(&self, name: &str) -> PathBuf {
        self.create_origin(name);
        self.clone_into_workspace(name)
    }

    /// A second clone of origin `name` outside the workspace, standing for a colleague who pushes.
    pub fn colleague(&self, name: &str) -> PathBuf {
        let dir = self.path().join(format!("colleague-{name}"));
        if !dir.exists() {
            self.clone_origin_to(name, &dir);
        } else {
            git(&dir, &["pull", "--quiet", "--ff-only"]);
        }
        dir
    }

    /// Makes origin `name`'s `branch` advance by one commit changing `file`; returns the new sha.
    pub fn push_upstream(&self, name: &str, branch: &str, file: &str, content: &str) -> String {
        let dir = self.colleague(name);
        git(&dir, &["fetch", "--quiet", "origin"]);
        if git_ok(
            &dir,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("origin/{branch}"),
            ],
        ) {
            git(
                &dir,
                &[
                    "checkout",
                    "--quiet",
                    "-B",
                    branch,
                    &format!("origin/{branch}"),
                ],
            );
        } else {
            git(&dir, &["checkout", "--quiet", "-B", branch]);
        }
        write(&dir, file, content);
        let sha = commit_all(&dir, &format!("Colleague changes {file}"));
        git(&dir, &["push", "--quiet", "origin", branch]);
        sha
    }

    /// Writes `relay.yaml` into the workspace root and loads it.
    pub fn workspace(&self, yaml: &str) -> Workspace {
        std::fs::write(self.root().join("relay.yaml"), yaml).unwrap();
        Workspace::load(self.root()).unwrap_or_else(|e| panic!("relay.yaml is invalid: {e}"))
    }
}

/// `path` as `&str` (the sandbox lives under the temp dir, always UTF-8 here).
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Sets a repository-local identity (the library's `git commit` must not depend on the machine).
pub fn configure_identity(dir: &Path) {
    git(dir, &["config", "user.name", AUTHOR]);
    git(dir, &["config", "user.email", EMAIL]);
}

/// A git command with the fixed identity and date, run in `dir`.
pub fn git_command(dir: &Path, args: &[&str]) -> Command {
    let tick = CLOCK.fetch_add(1, Ordering::SeqCst);
    // 2026-01-02T03:04:05+02:00 plus one minute per command: distinct, increasing commit times.
    let date = format!("{} +0200", 1_767_315_845 + tick * 60);
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", AUTHOR)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_COMMITTER_NAME", AUTHOR)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    command
}

/// Runs git in `dir` and returns its output, whatever the exit status.
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    git_command(dir, args).output().expect("run git")
}

/// Runs git in `dir`; panics with git's stderr when it fails. Returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 git output")
}

/// Whether git succeeds in `dir`.
pub fn git_ok(dir: &Path, args: &[&str]) -> bool {
    git_output(dir, args).status.success()
}

/// `git rev-parse REV` in `dir`.
pub fn rev_parse(dir: &Path, rev: &str) -> String {
    git(dir, &["rev-parse", rev]).trim().to_owned()
}

/// Writes `content` to `dir/path`, creating parent directories.
pub fn write(dir: &Path, path: &str, content: &str) {
    let file = dir.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, content).unwrap();
}

/// Stages everything and commits; returns the new HEAD sha.
pub fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "-m", message]);
    rev_parse(dir, "HEAD")
}

/// Writes one file and commits it; returns the new HEAD sha.
pub fn commit_file(dir: &Path, path: &str, content: &str, message: &str) -> String {
    write(dir, path, content);
    git(dir, &["add", "--", path]);
    git(dir, &["commit", "--quiet", "-m", message]);
    rev_parse(dir, "HEAD")
}

/// Everything a sync must leave alone in a working copy: every file of the work tree with its
/// bytes, the index file's bytes, HEAD, and every local branch with its sha.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub files: BTreeMap<PathBuf, Vec<u8>>,
    pub index: Option<Vec<u8>>,
    pub head: String,
    pub branches: String,
}

/// Takes a [`Snapshot`] of the working copy at `dir`.
pub fn snapshot(dir: &Path) -> Snapshot {
    let mut files = BTreeMap::new();
    collect_files(dir, dir, &mut files);
    Snapshot {
        files,
        index: std::fs::read(dir.join(".git/index")).ok(),
        head: std::fs::read_to_string(dir.join(".git/HEAD")).unwrap(),
        branches: git(
            dir,
            &[
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/heads",
            ],
        ),
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.file_name() == Some(".git".as_ref()) {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            // Directories are recorded too, so an emptied or added directory shows.
            out.insert(path.strip_prefix(root).unwrap().join(""), Vec::new());
            collect_files(root, &path, out);
        } else {
            out.insert(
                path.strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read(&path).unwrap(),
            );
        }
    }
}

/// What `git status --porcelain=v2 --branch` says about a repository, reduced to the numbers Relay
/// reports.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Porcelain {
    /// `# branch.head`: a branch name or `(detached)`.
    pub head: String,
    /// `# branch.oid`: a sha or `(initial)`.
    pub oid: String,
    /// `# branch.upstream`.
    pub upstream: Option<String>,
    /// `# branch.ab` `+N`.
    pub ahead: Option<u32>,
    /// `# branch.ab` `-N`.
    pub behind: Option<u32>,
    /// `1`/`2` lines whose X is not `.`.
    pub staged: u32,
    /// `1`/`2` lines whose Y is not `.`.
    pub unstaged: u32,
    /// `u` lines.
    pub conflicted: u32,
    /// `?` lines.
    pub untracked: u32,
    /// The raw output, for failure messages.
    pub raw: String,
}

/// Runs `git status --porcelain=v2 --branch` in `dir` and parses it.
pub fn porcelain(dir: &Path) -> Porcelain {
    let raw = git(dir, &["status", "--porcelain=v2", "--branch"]);
    let mut p = Porcelain {
        raw: raw.clone(),
        ..Porcelain::default()
    };
    for line in raw.lines() {
        let mut fields = line.split(' ');
        match fields.next().unwrap() {
            "#" => {
                let key = fields.next().unwrap();
                let value: Vec<&str> = fields.collect();
                match key {
                    "branch.head" => p.head = value.join(" "),
                    "branch.oid" => p.oid = value.join(" "),
                    "branch.upstream" => p.upstream = Some(value.join(" ")),
                    "branch.ab" => {
                        p.ahead = Some(value[0].trim_start_matches('+').parse().unwrap());
                        p.behind = Some(value[1].trim_start_matches('-').parse().unwrap());
                    }
                    _ => {}
                }
            }
            "1" | "2" => {
                let xy = fields.next().unwrap().as_bytes();
                p.staged += u32::from(xy[0] != b'.');
                p.unstaged += u32::from(xy[1] != b'.');
            }
            "u" => p.conflicted += 1,
            "?" => p.untracked += 1,
            "!" => {}
            other => panic!("unexpected porcelain line kind {other:?} in {raw}"),
        }
    }
    p
}

/// Collects every event of a job, then its result.
pub async fn run_job<T, E>(mut job: relay_core::Job<T, E>) -> (Vec<relay_core::Event>, Result<T, E>)
where
    T: Send + 'static,
    E: From<relay_core::JobFailure> + std::fmt::Display + Send + 'static,
{
    let mut events = Vec::new();
    while let Some(event) = job.next_event().await {
        events.push(event);
    }
    (events, job.wait().await)
}
