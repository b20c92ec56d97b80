//! # relay-repos
//!
//! Relay's default [`RepoGraph`](relay_core::RepoGraph): the repositories of a workspace as real git
//! repositories, read and updated with [gix](https://docs.rs/gix), ordered by the workspace's
//! petgraph [`DependencyGraph`](relay_core::DependencyGraph).
//!
//! ```no_run
//! # async fn demo() -> Result<(), relay_core::Error> {
//! use relay_core::{RepoGraph, Workspace, repo::RepoSelection};
//! let graph = relay_repos::GitRepoGraph::new(Workspace::discover(".")?);
//! for repo in graph.status(RepoSelection::All).await? {
//!     println!("{} on {:?}: {} behind", repo.name, repo.branch, repo.behind.unwrap_or(0));
//! }
//! # Ok(()) }
//! ```
//!
//! What is done with gix and what with the git CLI (see `docs/repos.md`):
//! - gix: opening, status (index/worktree/untracked), HEAD/upstream/ahead/behind, last commit,
//!   clone (including `file://` and plain paths), fetch, fast-forwarding branches that are not
//!   checked out, `changed_since` and `changed_files`.
//! - git CLI: fast-forwarding the checked-out branch (gix 0.90 cannot update a populated work tree
//!   incrementally), creating and switching branches (`git switch` writes the HEAD reflog that
//!   `git switch -` relies on and refuses to overwrite local changes), committing (so hooks,
//!   signing and identity configuration apply exactly as with `git commit`) and pushing (gix
//!   cannot push).

mod branch;
mod changes;
mod commit;
pub mod demo;
mod git_cli;
mod graph;
mod index_refresh;
mod open;
mod parallel;
mod push;
mod status;
mod sync;

pub use graph::GitRepoGraph;
