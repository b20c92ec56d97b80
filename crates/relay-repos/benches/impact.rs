//! Impact analysis on a synthetic workspace of 10,000 repositories and 50,000 dependency edges.
//! Goal: under 5 ms per query. Run: `cargo bench -p relay-repos --bench impact`.
//!
//! The graph is layered like real workspaces: repository `i` depends only on repositories with a
//! smaller index (so it is acyclic), preferring low indices, which makes the first repositories
//! shared foundations with thousands of transitive dependents — the expensive case.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use relay_core::config::{RepoSpec, SyncStrategy};
use relay_core::{DependencyGraph, RepoGraph, Workspace};
use relay_repos::GitRepoGraph;

const REPOS: usize = 10_000;
const EDGES: usize = 50_000;

/// A small deterministic generator (xorshift), so every run benches the same graph.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Skewed towards 0: the minimum of two uniform draws below `n`.
    fn low(&mut self, n: usize) -> usize {
        let a = (self.next() % n as u64) as usize;
        let b = (self.next() % n as u64) as usize;
        a.min(b)
    }
}

fn name(i: usize) -> String {
    format!("repo-{i:05}")
}

/// `(dependent, dependency)` index pairs: exactly `EDGES` distinct edges, all pointing down.
fn edges() -> Vec<(usize, usize)> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(EDGES);
    while out.len() < EDGES {
        let from = 1 + (rng.next() % (REPOS as u64 - 1)) as usize;
        let to = rng.low(from);
        if seen.insert((from, to)) {
            out.push((from, to));
        }
    }
    out
}

fn bench_impact(c: &mut Criterion) {
    let edges = edges();
    let names: Vec<String> = (0..REPOS).map(name).collect();
    let graph = DependencyGraph::new(
        names.iter().cloned(),
        edges
            .iter()
            .map(|&(a, b)| (names[a].clone(), names[b].clone())),
    )
    .expect("the synthetic graph is acyclic");
    assert_eq!(graph.len(), REPOS);
    assert_eq!(graph.edges().len(), EDGES);

    let foundation = vec![name(0)];
    let impact = graph.impact(&foundation).unwrap();
    eprintln!(
        "impact of {}: {} direct, {} transitive dependents in {} batches",
        foundation[0],
        impact.direct.len(),
        impact.transitive.len(),
        impact.batches.len()
    );
    let leaf = vec![name(REPOS - 1)];
    let ten: Vec<String> = (0..10).map(|i| name(i * 997 % REPOS)).collect();

    let mut group = c.benchmark_group("impact_10k_repos_50k_edges");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("foundation_repo", |b| {
        b.iter(|| black_box(graph.impact(black_box(&foundation)).unwrap()));
    });
    group.bench_function("ten_spread_repos", |b| {
        b.iter(|| black_box(graph.impact(black_box(&ten)).unwrap()));
    });
    group.bench_function("leaf_repo", |b| {
        b.iter(|| black_box(graph.impact(black_box(&leaf)).unwrap()));
    });

    // The same query the way the CLI and the tools make it: through RepoGraph::impact on a
    // workspace built from 10,000 repository specs.
    let root = std::env::temp_dir();
    let mut specs: Vec<RepoSpec> = names
        .iter()
        .map(|n| RepoSpec {
            name: n.clone(),
            url: None,
            path: root.join(n),
            dependencies: Vec::new(),
            sync_strategy: SyncStrategy::MainBranch,
            auto_sync: true,
            github: None,
        })
        .collect();
    for &(from, to) in &edges {
        specs[from].dependencies.push(names[to].clone());
    }
    let workspace = Workspace::from_repos(&root, specs).expect("valid synthetic workspace");
    let repo_graph = GitRepoGraph::new(workspace);
    group.bench_function("foundation_repo_via_repo_graph", |b| {
        b.iter(|| black_box(repo_graph.impact(black_box(&foundation)).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, bench_impact);
criterion_main!(benches);
