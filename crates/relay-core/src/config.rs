//! Workspace configuration: `relay.yaml`.
//!
//! ```yaml
//! repositories:
//!   - name: backend
//!     url: git@github.com:acme/backend.git   # optional for a local-only repo
//!     path: repos/backend                    # optional; defaults to <workspace>/<name>
//!     dependencies: [shared-api]
//!     sync_strategy: main_branch             # or feature_branch
//!     auto_sync: true
//!   - name: shared-api
//! dependency_graph:                          # optional, merged with per-repo dependencies
//!   shared-api: []
//! sync_rules:
//!   - trigger: "shared-api:main"
//!     action: update_dependents
//!     notify: [backend]
//! ```
//!
//! Loading validates everything at once and reports every problem with the file, line, column
//! and what to do: unknown keys, unknown dependencies, duplicate names or paths, dependency cycles
//! (naming every repository in the cycle), names or paths that escape the workspace.

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use marked_yaml::{LoaderOptions, Spanned};
use serde::{Deserialize, Serialize};

use crate::graph::{DependencyGraph, GraphError};

/// The file name Relay looks for.
pub const CONFIG_FILE_NAME: &str = "relay.yaml";

/// How `relay sync` updates a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStrategy {
    /// Keep the default branch (the remote's HEAD, usually `main`) fast-forwarded to the remote,
    /// whichever branch is checked out.
    #[default]
    MainBranch,
    /// Fast-forward the checked-out branch to its upstream.
    FeatureBranch,
}

/// What a sync rule does when its trigger moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Sync the listed repositories too, in the same run.
    UpdateDependents,
    /// Only report that the listed repositories are affected.
    Notify,
}

/// A repository of the workspace, validated and with its path resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSpec {
    /// Unique name; also the default directory name.
    pub name: String,
    /// Where to clone from; `None` for a local-only repository.
    pub url: Option<String>,
    /// Absolute path of the working tree, inside the workspace.
    pub path: PathBuf,
    /// Names of the repositories this one depends on (per-repo list merged with
    /// `dependency_graph`), in the order written.
    pub dependencies: Vec<String>,
    /// How sync updates it.
    pub sync_strategy: SyncStrategy,
    /// Whether a plain `relay sync` includes it.
    pub auto_sync: bool,
}

/// A validated sync rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRule {
    /// The repository whose branch triggers the rule.
    pub repo: String,
    /// The branch of `repo` that triggers the rule.
    pub branch: String,
    /// What to do.
    pub action: RuleAction,
    /// The repositories to update or notify.
    pub notify: Vec<String>,
}

/// A loaded, validated workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    config_file: Option<PathBuf>,
    repos: Vec<RepoSpec>,
    sync_rules: Vec<SyncRule>,
    graph: DependencyGraph,
}

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
        let raw = parse_raw(text).map_err(|d| ConfigError::Invalid {
            file: shown_file.clone(),
            diagnostics: vec![d],
        })?;
        let (repos, sync_rules, graph) =
            validate(raw, &root).map_err(|diagnostics| ConfigError::Invalid {
                file: shown_file,
                diagnostics,
            })?;
        Ok(Workspace {
            root,
            config_file: file,
            repos,
            sync_rules,
            graph,
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

    /// The workspace root (the directory of `relay.yaml`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The configuration file, when loaded from one.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// Repositories in the order the file lists them.
    pub fn repos(&self) -> &[RepoSpec] {
        &self.repos
    }

    /// The repository called `name`.
    pub fn repo(&self, name: &str) -> Option<&RepoSpec> {
        self.repos.iter().find(|r| r.name == name)
    }

    /// Validated sync rules.
    pub fn sync_rules(&self) -> &[SyncRule] {
        &self.sync_rules
    }

    /// The dependency graph.
    pub fn graph(&self) -> &DependencyGraph {
        &self.graph
    }
}

/// A workspace configuration problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No configuration file where one was looked for.
    #[error(
        "no {CONFIG_FILE_NAME} found in {} or any parent directory; create one (see `relay demo` for an example), \
         or point Relay at a workspace with --workspace PATH or RELAY_WORKSPACE",
        searched_from.display()
    )]
    NotFound {
        /// Where the search started (or the file that was missing).
        searched_from: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is invalid; every problem found is listed.
    #[error("{}", render_diagnostics(file, diagnostics))]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The problems, in file order.
        diagnostics: Vec<Diagnostic>,
    },
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    fn at<T>(spanned: &Spanned<T>, message: impl Into<String>, help: Option<String>) -> Self {
        let (line, column) = spanned
            .span()
            .start()
            .map(|m| (m.line(), m.column()))
            .unwrap_or((0, 0));
        Diagnostic {
            line,
            column,
            message: message.into(),
            help,
        }
    }
}

fn render_diagnostics(file: &Path, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{}:{}:{}: {}",
            file.display(),
            d.line,
            d.column,
            d.message
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("\n  help: {help}"));
        }
    }
    out
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

// ---- raw (as written) ------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    repositories: Vec<Spanned<RawRepo>>,
    #[serde(default)]
    dependency_graph: HashMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    sync_rules: Vec<Spanned<RawSyncRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepo {
    name: Spanned<String>,
    url: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    sync_strategy: Option<Spanned<String>>,
    auto_sync: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSyncRule {
    trigger: Spanned<String>,
    action: Spanned<String>,
    #[serde(default)]
    notify: Vec<Spanned<String>>,
}

fn parse_raw(text: &str) -> Result<RawConfig, Diagnostic> {
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(Diagnostic {
            line: 1,
            column: 1,
            message: "the file is empty".into(),
            help: Some(
                "list your repositories under `repositories:` (run `relay demo` to see an example)"
                    .into(),
            ),
        });
    }
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    let node = marked_yaml::parse_yaml_with_options(0, text, options).map_err(load_error)?;
    marked_yaml::from_node(&node).map_err(|e| {
        let mut position = e.start_mark().map(|m| (m.line(), m.column()));
        let help = match &*e {
            marked_yaml::Error::UnknownFieldError(field, ..) => {
                // The deserializer does not always know where the key was: find it in the tree.
                position = position.or_else(|| find_key(&node, field));
                Some("remove the key or fix its spelling; keys are case-sensitive".to_owned())
            }
            _ => None,
        };
        let (line, column) = position.unwrap_or((0, 0));
        Diagnostic {
            line,
            column,
            message: e.to_string(),
            help,
        }
    })
}

/// Position of the first mapping key called `key`, depth first.
fn find_key(node: &marked_yaml::Node, key: &str) -> Option<(usize, usize)> {
    match node {
        marked_yaml::Node::Mapping(map) => map.iter().find_map(|(k, v)| {
            if k.as_str() == key {
                k.span().start().map(|m| (m.line(), m.column()))
            } else {
                find_key(v, key)
            }
        }),
        marked_yaml::Node::Sequence(seq) => seq.iter().find_map(|n| find_key(n, key)),
        marked_yaml::Node::Scalar(_) => None,
    }
}

fn load_error(e: marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError::*;
    let marker = match &e {
        TopLevelMustBeMapping(m)
        | TopLevelMustBeSequence(m)
        | UnexpectedAnchor(m)
        | MappingKeyMustBeScalar(m)
        | UnexpectedTag(m)
        | ScanError(m, _) => Some(*m),
        DuplicateKey(inner) => inner.key.span().start().copied(),
    };
    let (line, column) = marker.map(|m| (m.line(), m.column())).unwrap_or((0, 0));
    let help = match &e {
        TopLevelMustBeMapping(_) => {
            Some("the file must be a mapping with a `repositories:` key".to_owned())
        }
        UnexpectedAnchor(_) => {
            Some("YAML anchors and aliases are not supported; write the values out".to_owned())
        }
        DuplicateKey(_) => Some("each key may appear once; merge the two entries".to_owned()),
        _ => None,
    };
    // The loader's own text starts with the position, which we print separately.
    let message = e.to_string();
    let message = message
        .split_once(": ")
        .filter(|(pos, _)| pos.chars().all(|c| c.is_ascii_digit() || c == ':'))
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or(message);
    Diagnostic {
        line,
        column,
        message: format!("invalid YAML: {message}"),
        help,
    }
}

// ---- validation --------------------------------------------------------------------------------

type Validated = (Vec<RepoSpec>, Vec<SyncRule>, DependencyGraph);

fn validate(raw: RawConfig, root: &Path) -> Result<Validated, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut repos: Vec<RepoSpec> = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new(); // name -> line of first definition
    let mut paths: Vec<(PathBuf, String, usize)> = Vec::new();
    // Where each dependency was written, to point at it when it is wrong.
    let mut dep_sites: Vec<(String, Spanned<String>)> = Vec::new();

    if raw.repositories.is_empty() {
        diags.push(Diagnostic {
            line: 1,
            column: 1,
            message: "no repositories are defined".into(),
            help: Some("add a `repositories:` list with at least one `- name: ...` entry".into()),
        });
    }

    for entry in &raw.repositories {
        let name = entry.name.as_str();
        let mut ok = true;
        if let Err(why) = check_name(name) {
            diags.push(Diagnostic::at(
                &entry.name,
                format!("invalid repository name `{name}`: {why}"),
                Some("use letters, digits, `.`, `_` and `-`, not starting with `.`".into()),
            ));
            ok = false;
        }
        if let Some(first) = names.get(name) {
            diags.push(Diagnostic::at(
                &entry.name,
                format!("duplicate repository name `{name}` (first defined on line {first})"),
                Some("give each repository a unique name".into()),
            ));
            ok = false;
        }
        let path = match &entry.path {
            Some(p) => match resolve_inside(root, p.as_str()) {
                Ok(path) => path,
                Err(why) => {
                    diags.push(Diagnostic::at(
                        p,
                        format!("path `{}` of repository `{name}` {why}", p.as_str()),
                        Some(format!(
                            "use a path inside the workspace {}, e.g. `repos/{name}`",
                            root.display()
                        )),
                    ));
                    ok = false;
                    root.join(name)
                }
            },
            None => root.join(name),
        };
        if ok {
            for (other_path, other, line) in &paths {
                if *other_path == path {
                    diags.push(Diagnostic::at(
                        entry.path.as_ref().unwrap_or(&entry.name),
                        format!(
                            "repository `{name}` uses the same path as `{other}` (line {line}): {}",
                            path.display()
                        ),
                        Some("give each repository its own directory".into()),
                    ));
                } else if path.starts_with(other_path) || other_path.starts_with(&path) {
                    diags.push(Diagnostic::at(entry.path.as_ref().unwrap_or(&entry.name),
                        format!("repository `{name}` at {} and `{other}` (line {line}) at {} are nested in each other",
                            path.display(), other_path.display()),
                        Some("place repositories side by side, not inside one another".into())));
                }
            }
        }
        let sync_strategy = match &entry.sync_strategy {
            None => SyncStrategy::default(),
            Some(s) => match s.as_str() {
                "main_branch" => SyncStrategy::MainBranch,
                "feature_branch" => SyncStrategy::FeatureBranch,
                other => {
                    diags.push(Diagnostic::at(
                        s,
                        format!("unknown sync_strategy `{other}` for repository `{name}`"),
                        Some("use `main_branch` or `feature_branch`".into()),
                    ));
                    SyncStrategy::default()
                }
            },
        };
        if let Some(url) = &entry.url
            && url.trim().is_empty()
        {
            diags.push(Diagnostic::at(
                url,
                format!("empty url for repository `{name}`"),
                Some(
                    "remove the `url:` key for a local-only repository, or give the clone URL"
                        .into(),
                ),
            ));
        }
        let line = entry.span().start().map(|m| m.line()).unwrap_or(0);
        names.entry(name.to_owned()).or_insert(line);
        paths.push((path.clone(), name.to_owned(), line));
        for dep in &entry.dependencies {
            dep_sites.push((name.to_owned(), dep.clone()));
        }
        repos.push(RepoSpec {
            name: name.to_owned(),
            url: entry.url.as_ref().map(|u| u.as_str().to_owned()),
            path,
            dependencies: Vec::new(),
            sync_strategy,
            auto_sync: entry.auto_sync.as_ref().map(|b| **b).unwrap_or(true),
        });
    }

    let known: Vec<String> = repos.iter().map(|r| r.name.clone()).collect();
    let mut graph_entries: Vec<(&Spanned<String>, &Vec<Spanned<String>>)> =
        raw.dependency_graph.iter().collect();
    graph_entries.sort_by_key(|(k, _)| k.span().start().map(|m| (m.line(), m.column())));
    for (repo, deps) in graph_entries {
        if !names.contains_key(repo.as_str()) {
            diags.push(Diagnostic::at(
                repo,
                format!(
                    "dependency_graph names unknown repository `{}`",
                    repo.as_str()
                ),
                Some(suggest(repo.as_str(), &known)),
            ));
            continue;
        }
        for dep in deps {
            dep_sites.push((repo.as_str().to_owned(), dep.clone()));
        }
    }

    let mut edges: Vec<(String, String)> = Vec::new();
    for (repo, dep) in &dep_sites {
        if !names.contains_key(dep.as_str()) {
            diags.push(Diagnostic::at(
                dep,
                format!(
                    "repository `{repo}` depends on unknown repository `{}`",
                    dep.as_str()
                ),
                Some(suggest(dep.as_str(), &known)),
            ));
            continue;
        }
        let spec = repos
            .iter_mut()
            .find(|r| &r.name == repo)
            .expect("checked above");
        if !spec.dependencies.iter().any(|d| d == dep.as_str()) {
            spec.dependencies.push(dep.as_str().to_owned());
            edges.push((repo.clone(), dep.as_str().to_owned()));
        }
    }

    let mut rules = Vec::new();
    for rule in &raw.sync_rules {
        let trigger = rule.trigger.as_str();
        let Some((repo, branch)) = trigger
            .split_once(':')
            .filter(|(r, b)| !r.is_empty() && !b.is_empty())
        else {
            diags.push(Diagnostic::at(
                &rule.trigger,
                format!("invalid sync rule trigger `{trigger}`"),
                Some("write it as `REPO:BRANCH`, e.g. `shared-api:main`".into()),
            ));
            continue;
        };
        if !names.contains_key(repo) {
            diags.push(Diagnostic::at(
                &rule.trigger,
                format!("sync rule trigger names unknown repository `{repo}`"),
                Some(suggest(repo, &known)),
            ));
        }
        let action = match rule.action.as_str() {
            "update_dependents" => RuleAction::UpdateDependents,
            "notify" => RuleAction::Notify,
            other => {
                diags.push(Diagnostic::at(
                    &rule.action,
                    format!("unknown sync rule action `{other}`"),
                    Some("use `update_dependents` or `notify`".into()),
                ));
                continue;
            }
        };
        for n in &rule.notify {
            if !names.contains_key(n.as_str()) {
                diags.push(Diagnostic::at(
                    n,
                    format!("sync rule notifies unknown repository `{}`", n.as_str()),
                    Some(suggest(n.as_str(), &known)),
                ));
            }
        }
        rules.push(SyncRule {
            repo: repo.to_owned(),
            branch: branch.to_owned(),
            action,
            notify: rule.notify.iter().map(|n| n.as_str().to_owned()).collect(),
        });
    }

    if !diags.is_empty() {
        diags.sort_by_key(|d| (d.line, d.column));
        return Err(diags);
    }
    match DependencyGraph::new(known.iter().cloned(), edges) {
        Ok(graph) => Ok((repos, rules, graph)),
        Err(GraphError::Cycle(cycle)) => {
            // Point at the dependency that closes the cycle as written.
            let closing = cycle.windows(2).find_map(|w| {
                dep_sites
                    .iter()
                    .find(|(repo, dep)| repo == &w[0] && dep.as_str() == w[1])
                    .map(|(_, d)| d)
            });
            let message = format!("dependency cycle: {}", cycle.join(" -> "));
            let help = Some(format!(
                "remove one of these dependencies; repositories in the cycle: {}",
                cycle[..cycle.len() - 1].join(", ")
            ));
            Err(vec![match closing {
                Some(site) => Diagnostic::at(site, message, help),
                None => Diagnostic {
                    line: 0,
                    column: 0,
                    message,
                    help,
                },
            }])
        }
        Err(GraphError::UnknownRepo(name)) => {
            unreachable!("dependency `{name}` was checked against the names")
        }
    }
}

fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name == "." || name == ".." || name.starts_with('.') {
        return Err("it starts with `.`");
    }
    if name.contains('/') || name.contains('\\') {
        return Err("it contains a path separator; use `path:` to place the repository");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("it contains characters other than letters, digits, `.`, `_` and `-`");
    }
    Ok(())
}

/// Resolves `path` against `root` lexically and checks it stays strictly inside `root`.
fn resolve_inside(root: &Path, path: &str) -> Result<PathBuf, &'static str> {
    if path.trim().is_empty() {
        return Err("is empty");
    }
    let joined = root.join(path);
    let mut normal = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                if !normal.pop() {
                    return Err("escapes the workspace");
                }
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    if normal == root {
        return Err("is the workspace root itself");
    }
    if !normal.starts_with(root) {
        return Err(if Path::new(path).is_absolute() {
            "is an absolute path outside the workspace"
        } else {
            "escapes the workspace"
        });
    }
    Ok(normal)
}

fn suggest(name: &str, known: &[String]) -> String {
    let closest = known
        .iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d);
    match closest {
        Some((_, k)) => format!(
            "did you mean `{k}`? defined repositories: {}",
            known.join(", ")
        ),
        None if known.is_empty() => "define the repository under `repositories:` first".to_owned(),
        None => format!(
            "define it under `repositories:` or use one of: {}",
            known.join(", ")
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn absolute(path: &Path) -> Result<PathBuf, ConfigError> {
    std::path::absolute(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}
