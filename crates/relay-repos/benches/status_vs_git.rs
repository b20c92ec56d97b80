//! Status of many repositories: Relay against the git CLI, side by side in one run.
//!
//! Generates `RELAY_BENCH_REPOS` (default 200) repositories, each a clone of one origin with
//! `RELAY_BENCH_FILES` (default 300) tracked files, one local commit (ahead 1), two modified files
//! and one untracked file. Then, for `RELAY_BENCH_ROUNDS` (default 9) interleaved rounds, times:
//!
//! - `relay (in-process)`: `Workspace::load` + `GitRepoGraph::status(All)` on a running tokio
//!   runtime, as an embedding application calls it;
//! - `relay (fresh process)`: this executable started again to do the same and print a summary,
//!   as the `relay status` command pays for it (process start, runtime, config load);
//! - `git sequential`: `xargs -P 1 git -C REPO status --porcelain=v2 --branch`;
//! - `git parallel`: the same with `xargs -P <cores>`.
//!
//! Then the stale-index phase: each round sets every tracked file's mtime an hour back in all
//! repositories (as a restore or an rsync without `-t` leaves them), and times the first status
//! after that and the next one, for Relay and for `git status` (parallel). Both refresh the
//! index's stat data on the first run, so the second must cost what a fresh-index status costs.
//!
//! Prints medians and the ratios to the git runs. Run: `benches/status_vs_git.sh` or
//! `cargo bench -p relay-repos --bench status_vs_git`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use relay_core::repo::{RepoSelection, RepoStatus};
use relay_core::{RepoGraph, Workspace};
use relay_repos::GitRepoGraph;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child-status") {
        child_status(Path::new(&args[i + 1]));
        return;
    }
    let repos = env_usize("RELAY_BENCH_REPOS", 200);
    let files = env_usize("RELAY_BENCH_FILES", 300);
    let rounds = env_usize("RELAY_BENCH_ROUNDS", 9);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());

    // RELAY_BENCH_DIR keeps the generated repositories (for profiling); else a temp dir.
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::var_os("RELAY_BENCH_DIR")
        .map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let list = dir.join("repos.txt");
    if !list.exists() {
        let started = Instant::now();
        std::fs::create_dir_all(&dir).unwrap();
        generate(&dir, repos, files);
        eprintln!(
            "generated {repos} repositories x {files} files in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!("{cores} cores; {rounds} rounds");
    let root = dir.join("ws");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let relay_in_process = || {
        let graph = GitRepoGraph::new(Workspace::load(&root).unwrap());
        let statuses = runtime.block_on(graph.status(RepoSelection::All)).unwrap();
        check(&statuses, repos);
    };
    let exe = std::env::current_exe().unwrap();
    let relay_process = || {
        let out = Command::new(&exe)
            .arg("--child-status")
            .arg(&root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("ok {repos}")
        );
    };
    let git_xargs = |parallel: usize| {
        let status = Command::new("xargs")
            .args(["-P", &parallel.to_string(), "-I{}", "git", "-C", "{}"])
            .args(["status", "--porcelain=v2", "--branch"])
            .stdin(std::fs::File::open(&list).unwrap())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    };

    // Warm-up: git refreshes each index once (stat data newer than the index), caches fill.
    git_xargs(cores);
    relay_in_process();

    let mut times: [Vec<Duration>; 4] = Default::default();
    for _ in 0..rounds {
        times[0].push(time(relay_in_process));
        times[1].push(time(relay_process));
        times[2].push(time(|| git_xargs(1)));
        times[3].push(time(|| git_xargs(cores)));
    }
    let names = [
        "relay status (in-process)",
        "relay status (fresh process)",
        "git status, sequential (xargs -P 1)",
        &format!("git status, parallel (xargs -P {cores})"),
    ];
    let medians: Vec<f64> = times.iter().map(|t| median_ms(t)).collect();
    println!(
        "status of {repos} repositories ({files} tracked files each), median of {rounds} rounds, {cores} cores"
    );
    println!("| run | median ms | min ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, t) in names.iter().zip(&times) {
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            median_ms(t),
            t.iter().map(ms).fold(f64::MAX, f64::min),
            t.iter().map(ms).fold(0.0, f64::max)
        );
    }
    for (i, who) in [(0, "in-process"), (1, "fresh process")] {
        println!(
            "relay ({who}) / git sequential = {:.3}; relay ({who}) / git parallel = {:.3}  (ratio of medians)",
            medians[i] / medians[2],
            medians[i] / medians[3]
        );
    }
    // On a shared machine the load drifts between rounds; runs of one round are seconds apart,
    // so the median of per-round ratios compares like with like.
    let paired = |a: usize, b: usize| {
        let mut r: Vec<f64> = times[a]
            .iter()
            .zip(&times[b])
            .map(|(x, y)| x.as_secs_f64() / y.as_secs_f64())
            .collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    for (i, who) in [(0, "in-process"), (1, "fresh process")] {
        println!(
            "relay ({who}) / git sequential = {:.3}; relay ({who}) / git parallel = {:.3}  (median of per-round ratios)",
            paired(i, 2),
            paired(i, 3)
        );
    }

    let dirs: Vec<PathBuf> = std::fs::read_to_string(&list)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect();
    stale_phase(
        rounds,
        &dirs,
        &relay_in_process,
        &|| git_xargs(cores),
        medians[0],
    );
}

/// The stale-index phase (see the crate docs): returns nothing, prints its table.
fn stale_phase(
    rounds: usize,
    dirs: &[PathBuf],
    relay: &dyn Fn(),
    git_parallel: &dyn Fn(),
    fresh_relay_ms: f64,
) {
    let make_stale = || {
        for dir in dirs {
            let files = Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(["ls-files", "-z"])
                .output()
                .unwrap()
                .stdout;
            let mut touch = Command::new("xargs")
                .args(["-0", "touch", "-d", "1 hour ago", "--"])
                .current_dir(dir)
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            touch.stdin.take().unwrap().write_all(&files).unwrap();
            assert!(touch.wait().unwrap().success());
        }
    };
    let mut times: [Vec<Duration>; 4] = Default::default();
    for _ in 0..rounds {
        make_stale();
        times[0].push(time(relay));
        times[1].push(time(relay));
        make_stale();
        times[2].push(time(git_parallel));
        times[3].push(time(git_parallel));
    }
    let medians: Vec<f64> = times.iter().map(|t| median_ms(t)).collect();
    println!("\nstale indexes (every tracked file's mtime set an hour back before each first run)");
    println!("| run | median ms |");
    println!("|---|---:|");
    for (name, ms) in [
        "relay status, first run on stale indexes",
        "relay status, next run",
        "git status (parallel), first run on stale indexes",
        "git status (parallel), next run",
    ]
    .iter()
    .zip(&medians)
    {
        println!("| {name} | {ms:.1} |");
    }
    println!(
        "relay first / git first = {:.3}; relay next / git next = {:.3}; relay next / relay on fresh indexes = {:.3}",
        medians[0] / medians[2],
        medians[1] / medians[3],
        medians[1] / fresh_relay_ms
    );
}

/// The fresh-process variant: what `relay status` does, minus rendering.
fn child_status(root: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let graph = GitRepoGraph::new(Workspace::load(root).unwrap());
    let statuses = runtime.block_on(graph.status(RepoSelection::All)).unwrap();
    let expected = statuses.len();
    check(&statuses, expected);
    println!("ok {expected}");
}

/// The bench measures real work: every repository must show the state it was given.
fn check(statuses: &[RepoStatus], repos: usize) {
    assert_eq!(statuses.len(), repos);
    for s in statuses {
        assert_eq!(
            (
                s.error.as_deref(),
                s.ahead,
                s.behind,
                s.staged,
                s.unstaged,
                s.untracked
            ),
            (None, Some(1), Some(0), 0, 2, 1),
            "{s:?}"
        );
    }
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn median_ms(times: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the origin, `repos` clones and `relay.yaml`; returns a file listing the clones.
fn generate(dir: &Path, repos: usize, files: usize) -> PathBuf {
    let origin = dir.join("origin.git");
    git(
        dir,
        &[
            "init",
            "--quiet",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    let seed = dir.join("seed");
    git(
        dir,
        &["init", "--quiet", "-b", "main", seed.to_str().unwrap()],
    );
    for i in 0..files {
        let path = seed.join(format!("dir{}/file{i}.txt", i % 10));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("file {i}\n").repeat(40)).unwrap();
    }
    git(&seed, &["add", "--all"]);
    git(&seed, &["commit", "--quiet", "-m", "Seed"]);
    git(
        &seed,
        &["push", "--quiet", origin.to_str().unwrap(), "main"],
    );

    let root = dir.join("ws");
    std::fs::create_dir_all(root.join("repos")).unwrap();
    let mut yaml = String::from("repositories:\n");
    let mut list = String::new();
    for r in 0..repos {
        let name = format!("r{r:03}");
        let path = root.join("repos").join(&name);
        git(
            dir,
            &[
                "clone",
                "--quiet",
                origin.to_str().unwrap(),
                path.to_str().unwrap(),
            ],
        );
        std::fs::write(path.join("local.txt"), "local\n").unwrap();
        git(&path, &["add", "local.txt"]);
        git(&path, &["commit", "--quiet", "-m", "Local work"]);
        for f in [1, 2] {
            let file = path.join(format!("dir{f}/file{f}.txt"));
            let mut text = std::fs::read_to_string(&file).unwrap();
            text.push_str("edited\n");
            std::fs::write(&file, text).unwrap();
        }
        std::fs::write(path.join("notes.txt"), "untracked\n").unwrap();
        yaml += &format!("  - name: {name}\n    path: repos/{name}\n");
        list += &format!("{}\n", path.display());
    }
    std::fs::write(root.join("relay.yaml"), yaml).unwrap();
    let list_file = dir.join("repos.txt");
    std::fs::write(&list_file, list).unwrap();
    // Let file times fall behind the index times, as in a work tree edited a while ago.
    std::thread::sleep(Duration::from_millis(1100));
    list_file
}
