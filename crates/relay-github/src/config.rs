//! [`GitHubConfig`]: the token and the API's addresses, from the environment or the embedding
//! application.

use std::fmt;
use std::time::Duration;

use relay_core::github::GitHubError;

/// The default REST root.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// A token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// How to reach GitHub.
///
/// ```
/// use relay_github::GitHubConfig;
/// let config = GitHubConfig::new("ghp_example")
///     .api_url("https://github.example.com/api/v3")
///     .max_rate_limit_wait(std::time::Duration::from_secs(5));
/// assert_eq!(config.graphql_endpoint(), "https://github.example.com/api/graphql");
/// ```
#[derive(Debug, Clone)]
pub struct GitHubConfig {
    token: Token,
    api_url: String,
    graphql_url: Option<String>,
    max_wait: Duration,
    timeout: Duration,
}

impl GitHubConfig {
    /// A configuration for api.github.com with `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Token::new(token),
            api_url: DEFAULT_API_URL.into(),
            graphql_url: None,
            max_wait: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
        }
    }

    /// From the environment: the token from `GITHUB_TOKEN`, else `GH_TOKEN` (empty counts as
    /// unset); the REST root from `GITHUB_API_URL` (default `https://api.github.com`), GraphQL
    /// from `GITHUB_GRAPHQL_URL` (default: see [`graphql_endpoint`](Self::graphql_endpoint)).
    pub fn from_env() -> Result<Self, GitHubError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` (for embedding
    /// applications that keep their own environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, GitHubError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let token = var("GITHUB_TOKEN")
            .or_else(|| var("GH_TOKEN"))
            .ok_or(GitHubError::MissingToken)?;
        let mut config = Self::new(token.trim());
        if let Some(url) = var("GITHUB_API_URL") {
            config = config.api_url(url);
        }
        if let Some(url) = var("GITHUB_GRAPHQL_URL") {
            config = config.graphql_url(url);
        }
        Ok(config)
    }

    /// The REST root, e.g. `https://github.example.com/api/v3` for GitHub Enterprise Server.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The GraphQL endpoint, when it is not the default.
    pub fn graphql_url(mut self, url: impl Into<String>) -> Self {
        self.graphql_url = Some(url.into());
        self
    }

    /// The longest rate-limit wait to wait out rather than fail (default 10 s).
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The timeout of one request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The REST root.
    pub fn api_endpoint(&self) -> &str {
        &self.api_url
    }

    /// The GraphQL endpoint: `GITHUB_GRAPHQL_URL`, else `<api>/graphql`; for an API root ending
    /// in `/api/v3` (GitHub Enterprise Server) `/api/graphql`, as GitHub documents.
    pub fn graphql_endpoint(&self) -> String {
        if let Some(url) = &self.graphql_url {
            return url.clone();
        }
        match self.api_url.strip_suffix("/api/v3") {
            Some(root) => format!("{root}/api/graphql"),
            None => format!("{}/graphql", self.api_url),
        }
    }

    pub(crate) fn token(&self) -> &Token {
        &self.token
    }

    pub(crate) fn max_wait(&self) -> Duration {
        self.max_wait
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        self.timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_token_comes_from_github_token_then_gh_token() {
        let c = GitHubConfig::from_lookup(lookup(&[("GH_TOKEN", "b"), ("GITHUB_TOKEN", "a")]));
        assert_eq!(c.unwrap().token().expose(), "a");
        let c = GitHubConfig::from_lookup(lookup(&[("GH_TOKEN", "b"), ("GITHUB_TOKEN", " ")]));
        assert_eq!(c.unwrap().token().expose(), "b");
        let err = GitHubConfig::from_lookup(lookup(&[])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("GITHUB_TOKEN") && text.contains("GH_TOKEN"),
            "{text}"
        );
    }

    #[test]
    fn the_token_is_never_printed() {
        let c = GitHubConfig::new("ghp_secret123");
        assert!(!format!("{c:?}").contains("ghp_secret123"));
    }

    #[test]
    fn endpoints_follow_the_actions_convention() {
        let c = GitHubConfig::from_lookup(lookup(&[("GH_TOKEN", "t")])).unwrap();
        assert_eq!(c.api_endpoint(), "https://api.github.com");
        assert_eq!(c.graphql_endpoint(), "https://api.github.com/graphql");
        let c = GitHubConfig::from_lookup(lookup(&[
            ("GH_TOKEN", "t"),
            ("GITHUB_API_URL", "http://127.0.0.1:9/"),
            ("GITHUB_GRAPHQL_URL", "http://127.0.0.1:9/gql"),
        ]))
        .unwrap();
        assert_eq!(c.api_endpoint(), "http://127.0.0.1:9");
        assert_eq!(c.graphql_endpoint(), "http://127.0.0.1:9/gql");
    }
}
