//! # relay-github
//!
//! Relay's GitHub client: [`GitHubClient`] implements [`relay_core::github::GitHubApi`] on
//! octocrab (rustls with ring, no OpenSSL). It reads many repositories in one GraphQL query (the
//! briefing), one pull request in full and a branch's checks over REST, and writes pull
//! requests, reviews, comments, merges and issues.
//!
//! The token comes from `GITHUB_TOKEN`, else `GH_TOKEN` ([`GitHubConfig::from_env`]), or from
//! the embedding application ([`GitHubConfig::new`]); it is never logged nor put in an error.
//! GitHub's refusals become [`GitHubError`]s that say what happened and what to do; rate limits
//! whose wait is short (10 s by default) are waited out.

mod client;
mod config;
mod http;
mod overview;

pub use client::GitHubClient;
pub use config::{DEFAULT_API_URL, GitHubConfig, Token};
pub use relay_core::github::GitHubError;
