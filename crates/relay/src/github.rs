//! GitHub: pull requests, issues, checks and reviews across the workspace's repositories.
//!
//! [`connect`] (or [`RelayBuilder::github`](crate::RelayBuilder::github)) makes the client from
//! `GITHUB_TOKEN`/`GH_TOKEN`; the operations are the [`GitHubApi`] trait's (one repository) and
//! [`briefing()`], [`ops::create_pull_requests`], [`ops::merge_pull_requests`] (across the
//! workspace, in dependency order).

use std::sync::Arc;

pub use relay_core::github::*;
pub use relay_github::{DEFAULT_API_URL, GitHubClient, GitHubConfig, Token};

use crate::Error;

/// A GitHub client from the environment (`GITHUB_TOKEN`, else `GH_TOKEN`; `GITHUB_API_URL`,
/// `GITHUB_GRAPHQL_URL`).
pub fn connect() -> Result<Arc<dyn GitHubApi>, Error> {
    connect_with(&GitHubConfig::from_env()?)
}

/// A GitHub client for `config`.
pub fn connect_with(config: &GitHubConfig) -> Result<Arc<dyn GitHubApi>, Error> {
    Ok(Arc::new(GitHubClient::new(config)?))
}
