//! [`GitHubError`]: what went wrong talking to GitHub, and what to do about it.

use super::slug::RepoSlug;

/// An error from a [`super::GitHubApi`] or the operations over it. Messages never hold the
/// token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GitHubError {
    /// No token in the environment.
    #[error(
        "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can read the repositories \
         (a fine-grained token with Pull requests, Issues, Checks and Contents access, or `gh auth token`)"
    )]
    MissingToken,

    /// Settings (API URL, ...) are invalid.
    #[error("{0}")]
    Config(String),

    /// 401: the token was refused.
    #[error(
        "GitHub refused the token (401 Bad credentials): it is wrong, expired or revoked; \
         create a new one and set GITHUB_TOKEN (or GH_TOKEN)"
    )]
    Unauthorized,

    /// 403 (not a rate limit): the token may not do this.
    #[error(
        "GitHub forbids {action} (403: {message}); give the token access to {target} \
         (a fine-grained token needs the repository and the matching permission)"
    )]
    Forbidden {
        /// What was tried.
        action: String,
        /// What was being acted on.
        target: String,
        /// GitHub's message.
        message: String,
    },

    /// 404: not there, or not visible to the token.
    #[error(
        "{what} was not found on GitHub (404); check the name, and that the token can see \
         private repositories of its owner"
    )]
    NotFound {
        /// What was asked for.
        what: String,
    },

    /// A rate limit was hit and the wait is too long to wait out.
    #[error(
        "GitHub's {} rate limit was hit; it resets in {wait_secs} s{}: try again then{}",
        if *secondary { "secondary" } else { "primary" },
        reset_at.map(|t| format!(" (at {t} Unix time)")).unwrap_or_default(),
        if *secondary { ", and make fewer requests at once" } else { ", or use a token with a higher limit" }
    )]
    RateLimited {
        /// Whether it is the secondary (abuse) limit rather than the hourly quota.
        secondary: bool,
        /// Seconds until it resets.
        wait_secs: u64,
        /// When it resets (`X-RateLimit-Reset`), when GitHub said.
        reset_at: Option<u64>,
    },

    /// 422 or a GraphQL error: GitHub rejected the request's content.
    #[error("GitHub rejected {action}: {message}")]
    Rejected {
        /// What was tried.
        action: String,
        /// GitHub's explanation.
        message: String,
    },

    /// An operation refused by Relay itself (a merge whose checks fail, ...), with the reasons.
    #[error("{0}")]
    Refused(String),

    /// The repository has no GitHub `owner/name`.
    #[error(
        "repository `{repo}` is not on GitHub: its url names no github.com repository; add \
         `github: OWNER/NAME` to it in relay.yaml"
    )]
    NotOnGitHub {
        /// The workspace's name for it.
        repo: String,
    },

    /// Any other status from GitHub.
    #[error("GitHub answered {status} to {action}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// What was tried.
        action: String,
        /// GitHub's message.
        message: String,
    },

    /// GitHub could not be reached.
    #[error("cannot reach GitHub at {url}: {message}; check the network and GITHUB_API_URL")]
    Connect {
        /// The API root.
        url: String,
        /// Why.
        message: String,
    },

    /// GitHub's answer was not what its API describes.
    #[error("unexpected answer from GitHub to {action}: {message}")]
    Protocol {
        /// What was tried.
        action: String,
        /// What was wrong.
        message: String,
    },
}

impl GitHubError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            GitHubError::MissingToken => "github_missing_token",
            GitHubError::Config(_) => "config",
            GitHubError::Unauthorized => "github_unauthorized",
            GitHubError::Forbidden { .. } => "github_forbidden",
            GitHubError::NotFound { .. } => "not_found",
            GitHubError::RateLimited { .. } => "github_rate_limited",
            GitHubError::Rejected { .. } => "github_rejected",
            GitHubError::Refused(_) => "refused",
            GitHubError::NotOnGitHub { .. } => "not_on_github",
            GitHubError::Api { .. } => "api",
            GitHubError::Connect { .. } => "connect",
            GitHubError::Protocol { .. } => "protocol",
        }
    }

    /// Whether the request itself must change (as opposed to a failure worth retrying).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            GitHubError::MissingToken
                | GitHubError::Config(_)
                | GitHubError::NotFound { .. }
                | GitHubError::Rejected { .. }
                | GitHubError::Refused(_)
                | GitHubError::NotOnGitHub { .. }
        )
    }

    /// A 404 for `repo`.
    pub fn repo_not_found(repo: &RepoSlug) -> Self {
        GitHubError::NotFound {
            what: format!("repository {repo}"),
        }
    }
}
