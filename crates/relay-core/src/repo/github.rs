//! A repository's GitHub `owner/name`, read from its configured `url`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A repository on GitHub: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GithubSlug {
    /// The user or organisation.
    pub owner: String,
    /// The repository name, without `.git`.
    pub name: String,
}

impl GithubSlug {
    /// Whether this is `full_name` (`owner/name`), compared the way GitHub does: ignoring case.
    pub fn matches(&self, full_name: &str) -> bool {
        full_name.split_once('/').is_some_and(|(o, n)| {
            o.eq_ignore_ascii_case(&self.owner) && n.eq_ignore_ascii_case(&self.name)
        })
    }
}

impl fmt::Display for GithubSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The GitHub `owner/name` of a clone URL on `github.com`, or `None` for anything else.
///
/// Understood: `git@github.com:o/n(.git)`, `https://github.com/o/n(.git)(/)`,
/// `ssh://git@github.com(:port)/o/n(.git)`, `git://github.com/o/n.git`, and `http://`;
/// the host is compared without case, `www.` is allowed.
///
/// ```
/// use relay_core::repo::github_slug;
/// let slug = github_slug("git@github.com:acme/shared-api.git").unwrap();
/// assert_eq!(slug.to_string(), "acme/shared-api");
/// assert_eq!(github_slug("https://github.com/acme/backend").unwrap().name, "backend");
/// assert!(github_slug("https://gitlab.com/acme/backend").is_none());
/// ```
pub fn github_slug(url: &str) -> Option<GithubSlug> {
    let url = url.trim();
    let path = if let Some((scheme, rest)) = url.split_once("://") {
        if !["https", "http", "ssh", "git", "git+ssh"]
            .contains(&scheme.to_ascii_lowercase().as_str())
        {
            return None;
        }
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = host.split_once(':').map_or(host, |(h, _)| h);
        is_github(host).then_some(path)?
    } else {
        // scp-like: [user@]host:owner/name
        let (authority, path) = url.split_once(':')?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        is_github(host).then_some(path)?
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.trim_start_matches('/').split_once('/')?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    (valid(owner) && valid(name) && name != "." && name != "..").then(|| GithubSlug {
        owner: owner.to_owned(),
        name: name.to_owned(),
    })
}

fn is_github(host: &str) -> bool {
    host.eq_ignore_ascii_case("github.com") || host.eq_ignore_ascii_case("www.github.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_github_url_form() {
        for url in [
            "git@github.com:acme/shared-api.git",
            "git@github.com:acme/shared-api",
            "https://github.com/acme/shared-api",
            "https://github.com/acme/shared-api.git",
            "https://github.com/acme/shared-api/",
            "https://user:token@github.com/acme/shared-api.git",
            "ssh://git@github.com/acme/shared-api",
            "ssh://git@github.com:22/acme/shared-api.git",
            "git://github.com/acme/shared-api.git",
            "HTTPS://GitHub.com/acme/shared-api",
        ] {
            assert_eq!(
                github_slug(url),
                Some(GithubSlug {
                    owner: "acme".into(),
                    name: "shared-api".into()
                }),
                "{url}"
            );
        }
    }

    #[test]
    fn anything_else_is_not_on_github() {
        for url in [
            "../origins/a.git",
            "/srv/git/a.git",
            "file:///srv/git/a.git",
            "https://gitlab.com/acme/a",
            "git@gitlab.com:acme/a.git",
            "https://github.com/acme",
            "https://github.com/acme/a/tree/main",
            "https://github.com//a",
            "github.com",
            "",
        ] {
            assert_eq!(github_slug(url), None, "{url}");
        }
    }

    #[test]
    fn full_names_match_without_case() {
        let slug = github_slug("git@github.com:Acme/Backend.git").unwrap();
        assert!(slug.matches("acme/backend"));
        assert!(!slug.matches("acme/frontend"));
        assert!(!slug.matches("acme"));
    }
}
