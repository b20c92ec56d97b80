//! Opening repositories and turning gix errors into [`RepoError`]s.

use relay_core::{RepoError, config::RepoSpec};

/// Opens the repository of `spec`, or says it is not cloned.
pub(crate) fn open(spec: &RepoSpec) -> Result<gix::Repository, RepoError> {
    if !spec.path.exists() {
        return Err(RepoError::NotCloned {
            repo: spec.name.clone(),
            path: spec.path.clone(),
        });
    }
    // `open` (unlike `discover`) never walks up to a parent repository by accident; it reads the
    // user's git configuration like git does, which matters for status (showUntrackedFiles, ...).
    gix::open(&spec.path).map_err(|e| {
        if !spec.path.join(".git").exists() {
            RepoError::Git {
                repo: spec.name.clone(),
                operation: "open".into(),
                message: format!(
                    "{} exists but is not a git repository; move it away and run `relay sync --repo {}` to clone it",
                    spec.path.display(),
                    spec.name
                ),
            }
        } else {
            git_error(spec, "open", e)
        }
    })
}

/// Wraps a gix error with the repository and the operation.
pub(crate) fn git_error(
    spec: &RepoSpec,
    operation: &str,
    error: impl std::fmt::Display,
) -> RepoError {
    RepoError::Git {
        repo: spec.name.clone(),
        operation: operation.to_owned(),
        message: relay_core::redact::redact_url_credentials(&error.to_string()),
    }
}
