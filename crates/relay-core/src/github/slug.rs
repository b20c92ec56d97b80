//! [`RepoSlug`]: a repository's `OWNER/NAME` on GitHub, from a clone URL or the `github:` key.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A repository on GitHub, `OWNER/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepoSlug {
    /// The user or organization.
    pub owner: String,
    /// The repository name.
    pub name: String,
}

impl RepoSlug {
    /// A slug from its parts (not checked; see [`FromStr`] for the checked form).
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            name: name.into(),
        }
    }

    /// Whether this is `full_name` (`OWNER/NAME`), compared the way GitHub does: ignoring case.
    pub fn matches(&self, full_name: &str) -> bool {
        full_name.split_once('/').is_some_and(|(o, n)| {
            o.eq_ignore_ascii_case(&self.owner) && n.eq_ignore_ascii_case(&self.name)
        })
    }

    /// The slug in a GitHub clone URL: `git@github.com:o/n(.git)`, `https://github.com/o/n(.git)`
    /// (also `http://`, `git://` and with a user), `ssh://git@github.com(:22)/o/n(.git)`. `None`
    /// for any other host or shape (a local path, another forge).
    pub fn from_url(url: &str) -> Option<Self> {
        let url = url.trim();
        let rest = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh") {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit('@').next()?;
            let host = host.split(':').next()?;
            if !host.eq_ignore_ascii_case("github.com") {
                return None;
            }
            path
        } else {
            // scp-like: [user@]github.com:o/n
            let (authority, path) = url.split_once(':')?;
            let host = authority.rsplit('@').next()?;
            if !host.eq_ignore_ascii_case("github.com") || path.starts_with('/') {
                return None;
            }
            path
        };
        let path = rest.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        path.parse().ok()
    }
}

impl FromStr for RepoSlug {
    type Err = String;

    /// `OWNER/NAME` with GitHub's characters: owner letters, digits and `-`; name letters,
    /// digits, `.`, `_` and `-`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((owner, name)) = s.split_once('/') else {
            return Err("it has no `/` between owner and name".into());
        };
        if owner.is_empty() || name.is_empty() {
            return Err("the owner or the name is empty".into());
        }
        if !owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "the owner `{owner}` may only hold letters, digits and `-`"
            ));
        }
        if name == "." || name == ".." {
            return Err(format!("`{name}` is not a repository name"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(format!(
                "the name `{name}` may only hold letters, digits, `.`, `_` and `-`"
            ));
        }
        Ok(Self::new(owner, name))
    }
}

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl TryFrom<String> for RepoSlug {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RepoSlug> for String {
    fn from(slug: RepoSlug) -> Self {
        slug.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(url: &str) -> Option<String> {
        RepoSlug::from_url(url).map(|s| s.to_string())
    }

    #[test]
    fn clone_urls_name_their_github_repository() {
        let want = Some("acme/backend".to_owned());
        assert_eq!(slug("git@github.com:acme/backend.git"), want);
        assert_eq!(slug("git@github.com:acme/backend"), want);
        assert_eq!(slug("https://github.com/acme/backend"), want);
        assert_eq!(slug("https://github.com/acme/backend.git"), want);
        assert_eq!(slug("https://github.com/acme/backend/"), want);
        assert_eq!(slug("https://user@github.com/acme/backend.git"), want);
        assert_eq!(slug("ssh://git@github.com/acme/backend"), want);
        assert_eq!(slug("ssh://git@github.com:22/acme/backend.git"), want);
        assert_eq!(
            slug("https://GitHub.com/acme/web.site"),
            Some("acme/web.site".into())
        );
    }

    #[test]
    fn other_urls_are_not_on_github() {
        assert_eq!(slug("/srv/git/backend.git"), None);
        assert_eq!(slug("../origins/backend"), None);
        assert_eq!(slug("https://gitlab.com/acme/backend.git"), None);
        assert_eq!(slug("git@gitlab.com:acme/backend.git"), None);
        assert_eq!(slug("https://github.com/acme"), None);
        assert_eq!(slug("https://github.com/acme/backend/tree/main"), None);
        assert_eq!(slug("file:///github.com/acme/backend"), None);
    }

    #[test]
    fn explicit_slugs_are_checked() {
        assert!("acme/backend".parse::<RepoSlug>().is_ok());
        assert!("acme".parse::<RepoSlug>().is_err());
        assert!("acme/".parse::<RepoSlug>().is_err());
        assert!("ac me/x".parse::<RepoSlug>().is_err());
        assert!("acme/x/y".parse::<RepoSlug>().is_err());
    }
}
