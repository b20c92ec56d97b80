//! Making a [`Workspace`]: finding `relay.yaml`, reading it, parsing and validating it.

use std::path::{Path, PathBuf};

use super::CONFIG_FILE_NAME;
use super::diagnostics::ConfigError;
use super::mcp::check_mcp_servers;
use super::raw::parse_raw;
use super::types::{RepoSpec, Workspace};
use super::validate::validate;

impl Workspace {
    /// Finds `relay.yaml` in `start` or the nearest parent directory (like git finds `.git`) and
    /// loads it.
    pub fn discover(start: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let start = start.as_ref();
        let start_abs = absolute(start)?;
        for dir in start_abs.ancestors() {
            let candidate = dir.join(CONFIG_FILE_NAME);
            if candidate.is_file() {
                return Self::load(candidate);
            }
        }
        Err(ConfigError::NotFound {
            searched_from: start_abs,
        })
    }

    /// Loads a workspace from a `relay.yaml` file or a directory containing one.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = absolute(path.as_ref())?;
        let file = if path.is_dir() {
            path.join(CONFIG_FILE_NAME)
        } else {
            path
        };
        let text = std::fs::read_to_string(&file).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    searched_from: file.clone(),
                }
            } else {
                ConfigError::Read {
                    path: file.clone(),
                    source,
                }
            }
        })?;
        let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, root, Some(file))
    }

    /// Parses configuration text for a workspace rooted at `root`. `file` is only used in error
    /// messages; `None` names the source `relay.yaml`.
    pub fn parse(
        text: &str,
        root: impl AsRef<Path>,
        file: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let root = absolute(root.as_ref())?;
        // Resolve symlinks in the root so that repository paths compare reliably.
        let root = root.canonicalize().unwrap_or(root);
        let shown_file = file
            .clone()
            .unwrap_or_else(|| PathBuf::from(CONFIG_FILE_NAME));
        let mut raw = parse_raw(text).map_err(|d| ConfigError::Invalid {
            file: shown_file.clone(),
            diagnostics: vec![d.within(text)],
        })?;
        let infra = raw.infra.take();
        let mut mcp_diags = Vec::new();
        let mcp_servers = check_mcp_servers(&std::mem::take(&mut raw.mcp_servers), &mut mcp_diags);
        let invalid = |mut diagnostics: Vec<_>| {
            diagnostics.extend(mcp_diags.iter().cloned());
            diagnostics.sort_by_key(|d: &super::Diagnostic| (d.line, d.column));
            ConfigError::Invalid {
                file: shown_file.clone(),
                diagnostics: diagnostics.into_iter().map(|d| d.within(text)).collect(),
            }
        };
        let valid = validate(raw, &root).map_err(&invalid)?;
        if !mcp_diags.is_empty() {
            return Err(invalid(Vec::new()));
        }
        Ok(Workspace {
            mcp_servers,
            infra,
            root,
            config_file: file,
            repos: valid.repos,
            sync_rules: valid.rules,
            graph: valid.graph,
            store: valid.store,
            team: valid.team,
        })
    }

    /// Builds a workspace from repositories given in code (no file). Validates like
    /// [`Workspace::parse`]; error positions are then meaningless and reported as line 0.
    pub fn from_repos(root: impl AsRef<Path>, repos: Vec<RepoSpec>) -> Result<Self, ConfigError> {
        let text = serde_json::to_string(&serde_json::json!({
            "repositories": repos.iter().map(|r| {
                let mut m = serde_json::json!({
                    "name": r.name,
                    "path": r.path,
                    "dependencies": r.dependencies,
                    "sync_strategy": r.sync_strategy,
                    "auto_sync": r.auto_sync,
                });
                if let Some(url) = &r.url { m["url"] = url.clone().into(); }
                m
            }).collect::<Vec<_>>()
        }))
        .expect("repository specs serialize");
        // JSON is YAML: reuse the one validation path.
        Self::parse(&text, root, None)
    }
}

fn absolute(path: &Path) -> Result<PathBuf, ConfigError> {
    std::path::absolute(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}
