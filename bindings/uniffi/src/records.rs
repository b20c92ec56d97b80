//! Typed results for Kotlin and Swift (which have no JSON decoding at hand): uniffi records
//! converted field by field from the Rust types.

use relay::core::repo::{CommitInfo as CoreCommitInfo, RepoStatus as CoreRepoStatus};
use relay::core::{Impact as CoreImpact, RepoSpec as CoreRepoSpec};
use relay_bindings_common::GraphView;

/// A serde enum's wire name (`main_branch`, ...), the same string Python and Node see.
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A repository of the workspace, as configured.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RepoSpec {
    /// Unique name.
    pub name: String,
    /// Where to clone from; absent for a local-only repository.
    pub url: Option<String>,
    /// Absolute path of the working tree.
    pub path: String,
    /// Names of the repositories this one depends on.
    pub dependencies: Vec<String>,
    /// `main_branch` or `feature_branch`.
    pub sync_strategy: String,
    /// Whether a plain sync includes it.
    pub auto_sync: bool,
}

impl From<CoreRepoSpec> for RepoSpec {
    fn from(r: CoreRepoSpec) -> Self {
        RepoSpec {
            sync_strategy: wire_name(&r.sync_strategy),
            name: r.name,
            url: r.url,
            path: r.path.display().to_string(),
            dependencies: r.dependencies,
            auto_sync: r.auto_sync,
        }
    }
}

/// A dependency edge: `from` depends on `to`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Edge {
    /// The dependent repository.
    pub from: String,
    /// The repository it depends on.
    pub to: String,
}

/// The workspace's dependency graph.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DependencyGraph {
    /// Repositories in workspace order.
    pub repos: Vec<String>,
    /// Dependency edges.
    pub edges: Vec<Edge>,
    /// Repositories grouped so that each batch depends only on earlier ones.
    pub batches: Vec<Vec<String>>,
}

impl From<GraphView> for DependencyGraph {
    fn from(g: GraphView) -> Self {
        DependencyGraph {
            repos: g.repos,
            edges: g
                .edges
                .into_iter()
                .map(|e| Edge {
                    from: e.from,
                    to: e.to,
                })
                .collect(),
            batches: g.batches,
        }
    }
}

/// What a change to some repositories affects.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Impact {
    /// The changed repositories.
    pub changed: Vec<String>,
    /// Repositories depending directly on a changed one.
    pub direct: Vec<String>,
    /// Every repository depending on a changed one, directly or not.
    pub transitive: Vec<String>,
    /// `changed` plus `transitive` in dependency batches.
    pub batches: Vec<Vec<String>>,
}

impl From<CoreImpact> for Impact {
    fn from(i: CoreImpact) -> Self {
        Impact {
            changed: i.changed,
            direct: i.direct,
            transitive: i.transitive,
            batches: i.batches,
        }
    }
}

/// A commit as shown in briefings.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CommitInfo {
    /// Full sha.
    pub sha: String,
    /// First line of the message.
    pub summary: String,
    /// Author name.
    pub author: String,
    /// Author time, RFC 3339 with the author's offset.
    pub time: String,
}

impl From<CoreCommitInfo> for CommitInfo {
    fn from(c: CoreCommitInfo) -> Self {
        CommitInfo {
            sha: c.sha,
            summary: c.summary,
            author: c.author,
            time: c.time,
        }
    }
}

/// The state of one repository.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RepoStatus {
    /// Repository name.
    pub name: String,
    /// Working tree path.
    pub path: String,
    /// Checked-out branch; absent when detached or missing.
    pub branch: Option<String>,
    /// Full sha of HEAD.
    pub head: Option<String>,
    /// Upstream of the branch, e.g. `origin/main`.
    pub upstream: Option<String>,
    /// Commits not on the upstream.
    pub ahead: Option<u32>,
    /// Commits on the upstream not on the branch.
    pub behind: Option<u32>,
    /// Paths with staged changes.
    pub staged: u32,
    /// Paths with unstaged changes.
    pub unstaged: u32,
    /// Untracked paths.
    pub untracked: u32,
    /// Paths with merge conflicts.
    pub conflicted: u32,
    /// The commit HEAD points to.
    pub last_commit: Option<CommitInfo>,
    /// Why the status could not be read.
    pub error: Option<String>,
}

impl From<CoreRepoStatus> for RepoStatus {
    fn from(s: CoreRepoStatus) -> Self {
        RepoStatus {
            name: s.name,
            path: s.path.display().to_string(),
            branch: s.branch,
            head: s.head,
            upstream: s.upstream,
            ahead: s.ahead,
            behind: s.behind,
            staged: s.staged,
            unstaged: s.unstaged,
            untracked: s.untracked,
            conflicted: s.conflicted,
            last_commit: s.last_commit.map(Into::into),
            error: s.error,
        }
    }
}
