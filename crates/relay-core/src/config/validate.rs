//! Validation of the raw configuration into repositories, sync rules and the dependency graph.
//!
//! One function per rule. Every rule runs and adds its diagnostics, so that one load reports
//! every problem; they are then sorted into file order. The dependency graph (and with it the
//! cycle check) is only built when everything else is valid.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use marked_yaml::Spanned;

use super::diagnostics::Diagnostic;
use super::raw::{RawConfig, RawRepo, RawSyncRule};
use super::types::{RepoSpec, RuleAction, SyncRule, SyncStrategy};
use crate::graph::{DependencyGraph, GraphError};

/// Everything validated: repositories, sync rules, the graph, the store and team sections.
pub(super) struct Validated {
    pub(super) repos: Vec<RepoSpec>,
    pub(super) rules: Vec<SyncRule>,
    pub(super) graph: DependencyGraph,
    pub(super) store: super::types::StoreConfig,
    pub(super) team: Vec<crate::team::TeamMember>,
}

/// Where a dependency was written: the repository that depends, and the dependency as written
/// (to point at it when it is wrong).
type DepSite = (String, Spanned<String>);

/// Checks everything in `raw`, resolving repository paths against `root`.
pub(super) fn validate(raw: RawConfig, root: &Path) -> Result<Validated, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    check_some_repositories(&raw.repositories, &mut diags);
    let (mut repos, mut dep_sites) = check_repositories(&raw.repositories, root, &mut diags);

    let names: Vec<String> = repos.iter().map(|r| r.name.clone()).collect();
    let known = Known::new(&names);
    dep_sites.extend(dependency_graph_sites(
        &raw.dependency_graph,
        &known,
        &mut diags,
    ));
    let edges = merge_dependencies(&mut repos, &dep_sites, &known, &mut diags);
    let rules: Vec<SyncRule> = raw
        .sync_rules
        .iter()
        .filter_map(|rule| check_sync_rule(rule, &known, &mut diags))
        .collect();
    let store = super::memory::check_store(raw.store.as_ref(), root, &mut diags);
    let team = super::memory::check_team(&raw.team, &mut diags);

    if !diags.is_empty() {
        diags.sort_by_key(|d| (d.line, d.column));
        return Err(diags);
    }
    let graph = build_graph(&names, edges, &dep_sites)?;
    Ok(Validated {
        repos,
        rules,
        graph,
        store,
        team,
    })
}

// ---- repositories ------------------------------------------------------------------------------

/// At least one repository must be defined.
fn check_some_repositories(entries: &[Spanned<RawRepo>], diags: &mut Vec<Diagnostic>) {
    if entries.is_empty() {
        diags.push(Diagnostic {
            line: 1,
            column: 1,
            message: "no repositories are defined".into(),
            help: Some("add a `repositories:` list with at least one `- name: ...` entry".into()),
        });
    }
}

/// Checks each repository entry and resolves it into a [`RepoSpec`] (dependencies still empty),
/// collecting where each per-repository dependency was written.
fn check_repositories(
    entries: &[Spanned<RawRepo>],
    root: &Path,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<RepoSpec>, Vec<DepSite>) {
    let mut repos: Vec<RepoSpec> = Vec::new();
    let mut first_lines: HashMap<String, usize> = HashMap::new(); // name -> line of first definition
    let mut paths: Vec<(PathBuf, String, usize)> = Vec::new();
    let mut dep_sites: Vec<DepSite> = Vec::new();

    for entry in entries {
        let name = entry.name.as_str();
        let valid_name = check_repo_name(entry, diags);
        let unique = check_unique_name(entry, &first_lines, diags);
        let resolved = repo_path(entry, root, diags);
        let path_ok = resolved.is_some();
        let path = resolved.unwrap_or_else(|| root.join(name));
        if valid_name && unique && path_ok {
            check_overlapping_paths(entry, &path, &paths, diags);
        }
        let sync_strategy = sync_strategy(entry, diags);
        check_url(entry, diags);
        let github = check_github(entry, diags);

        let line = entry.span().start().map(|m| m.line()).unwrap_or(0);
        first_lines.entry(name.to_owned()).or_insert(line);
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
            github,
        });
    }
    (repos, dep_sites)
}

/// A repository name must be usable as a directory name inside the workspace. False when not.
fn check_repo_name(entry: &RawRepo, diags: &mut Vec<Diagnostic>) -> bool {
    let name = entry.name.as_str();
    match check_name(name) {
        Ok(()) => true,
        Err(why) => {
            diags.push(Diagnostic::at(
                &entry.name,
                format!("invalid repository name `{name}`: {why}"),
                Some("use letters, digits, `.`, `_` and `-`, not starting with `.`".into()),
            ));
            false
        }
    }
}

/// Repository names are unique. False for a name seen before (`first_lines` maps each name
/// seen to the line of its first definition).
fn check_unique_name(
    entry: &RawRepo,
    first_lines: &HashMap<String, usize>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let name = entry.name.as_str();
    let Some(first) = first_lines.get(name) else {
        return true;
    };
    diags.push(Diagnostic::at(
        &entry.name,
        format!("duplicate repository name `{name}` (first defined on line {first})"),
        Some("give each repository a unique name".into()),
    ));
    false
}

/// The repository's absolute path: its `path:` resolved inside the workspace, or
/// `<root>/<name>`. `None` when `path:` is empty or escapes the workspace.
fn repo_path(entry: &RawRepo, root: &Path, diags: &mut Vec<Diagnostic>) -> Option<PathBuf> {
    let name = entry.name.as_str();
    let Some(p) = &entry.path else {
        let path = root.join(name);
        // `<root>/<name>` may itself be a symlink to somewhere else.
        if let Some(outside) = leaves_root(&path, root) {
            diags.push(Diagnostic::at(
                &entry.name,
                format!(
                    "repository `{name}` is at {}, a symlink to {}, outside the workspace",
                    path.display(),
                    outside.display()
                ),
                Some(format!(
                    "replace the symlink with the repository itself, or set `path:` to a directory inside {}",
                    root.display()
                )),
            ));
            return None;
        }
        return Some(path);
    };
    match resolve_inside(root, p.as_str()) {
        Ok(path) => {
            if let Some(outside) = leaves_root(&path, root) {
                diags.push(Diagnostic::at(
                    p,
                    format!(
                        "path `{}` of repository `{name}` resolves through a symlink to {}, outside the workspace",
                        p.as_str(),
                        outside.display()
                    ),
                    Some(format!(
                        "replace the symlink with the repository itself, or use a path inside {}",
                        root.display()
                    )),
                ));
                return None;
            }
            Some(path)
        }
        Err(why) => {
            diags.push(Diagnostic::at(
                p,
                format!("path `{}` of repository `{name}` {why}", p.as_str()),
                Some(format!(
                    "use a path inside the workspace {}, e.g. `repos/{name}`",
                    root.display()
                )),
            ));
            None
        }
    }
}

/// Two repositories may not share a directory or nest in each other. `earlier` holds the path,
/// name and line of each repository before this one.
fn check_overlapping_paths(
    entry: &RawRepo,
    path: &Path,
    earlier: &[(PathBuf, String, usize)],
    diags: &mut Vec<Diagnostic>,
) {
    let name = entry.name.as_str();
    let site = entry.path.as_ref().unwrap_or(&entry.name);
    for (other_path, other, line) in earlier {
        if other_path == path {
            diags.push(Diagnostic::at(
                site,
                format!(
                    "repository `{name}` uses the same path as `{other}` (line {line}): {}",
                    path.display()
                ),
                Some("give each repository its own directory".into()),
            ));
        } else if path.starts_with(other_path) || other_path.starts_with(path) {
            diags.push(Diagnostic::at(
                site,
                format!(
                    "repository `{name}` at {} and `{other}` (line {line}) at {} are nested in each other",
                    path.display(),
                    other_path.display()
                ),
                Some("place repositories side by side, not inside one another".into()),
            ));
        }
    }
}

/// `sync_strategy:` is `main_branch` or `feature_branch`; the default when absent or invalid.
fn sync_strategy(entry: &RawRepo, diags: &mut Vec<Diagnostic>) -> SyncStrategy {
    let Some(s) = &entry.sync_strategy else {
        return SyncStrategy::default();
    };
    match s.as_str() {
        "main_branch" => SyncStrategy::MainBranch,
        "feature_branch" => SyncStrategy::FeatureBranch,
        other => {
            diags.push(Diagnostic::at(
                s,
                format!(
                    "unknown sync_strategy `{other}` for repository `{}`",
                    entry.name.as_str()
                ),
                Some("use `main_branch` or `feature_branch`".into()),
            ));
            SyncStrategy::default()
        }
    }
}

/// A `url:` given is not empty.
fn check_url(entry: &RawRepo, diags: &mut Vec<Diagnostic>) {
    if let Some(url) = &entry.url
        && url.trim().is_empty()
    {
        diags.push(Diagnostic::at(
            url,
            format!("empty url for repository `{}`", entry.name.as_str()),
            Some("remove the `url:` key for a local-only repository, or give the clone URL".into()),
        ));
    }
}

/// A `github:` key is `OWNER/NAME` as GitHub spells them; the slug when valid.
fn check_github(entry: &RawRepo, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let value = entry.github.as_ref()?;
    match value.parse::<crate::github::RepoSlug>() {
        Ok(slug) => Some(slug.to_string()),
        Err(why) => {
            diags.push(Diagnostic::at(
                value,
                format!(
                    "invalid github repository `{}` for repository `{}`: {why}",
                    value.as_str(),
                    entry.name.as_str()
                ),
                Some(
                    "write it as `OWNER/NAME`, e.g. `github: acme/backend`, or remove the key \
                     to take it from `url`"
                        .into(),
                ),
            ));
            None
        }
    }
}

/// Why `name` cannot be a repository name, if it cannot.
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

/// Where `path` (inside `root` by its text) really is, when symlinks take it out of `root`.
fn leaves_root(path: &Path, root: &Path) -> Option<PathBuf> {
    let real = crate::paths::resolve(path)?;
    let real_root = crate::paths::resolve(root).unwrap_or_else(|| root.to_path_buf());
    (!real.starts_with(&real_root)).then_some(real)
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

// ---- references to repositories ----------------------------------------------------------------

/// The repository names defined (in file order, duplicates included), for checking the names
/// that dependencies and sync rules refer to.
struct Known<'a> {
    names: &'a [String],
    set: HashSet<&'a str>,
}

impl<'a> Known<'a> {
    fn new(names: &'a [String]) -> Self {
        Self {
            names,
            set: names.iter().map(String::as_str).collect(),
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// What to do about the unknown `name`: the closest defined name, if one is close.
    fn suggest(&self, name: &str) -> String {
        suggest(name, self.names)
    }
}

/// The `dependency_graph:` entries, in file order, as dependency sites. A key naming no
/// repository is reported (and its list skipped).
fn dependency_graph_sites(
    graph: &HashMap<Spanned<String>, Vec<Spanned<String>>>,
    known: &Known<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<DepSite> {
    let mut entries: Vec<(&Spanned<String>, &Vec<Spanned<String>>)> = graph.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start().map(|m| (m.line(), m.column())));
    let mut sites = Vec::new();
    for (repo, deps) in entries {
        if !known.contains(repo.as_str()) {
            diags.push(Diagnostic::at(
                repo,
                format!(
                    "dependency_graph names unknown repository `{}`",
                    repo.as_str()
                ),
                Some(known.suggest(repo.as_str())),
            ));
            continue;
        }
        for dep in deps {
            sites.push((repo.as_str().to_owned(), dep.clone()));
        }
    }
    sites
}

/// Every dependency names a defined repository (with a did-you-mean when not). The known ones
/// are added to their repository's `dependencies`, once each in the order written; returns
/// them as graph edges.
fn merge_dependencies(
    repos: &mut [RepoSpec],
    dep_sites: &[DepSite],
    known: &Known<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String)> {
    let mut edges: Vec<(String, String)> = Vec::new();
    for (repo, dep) in dep_sites {
        if !known.contains(dep.as_str()) {
            diags.push(Diagnostic::at(
                dep,
                format!(
                    "repository `{repo}` depends on unknown repository `{}`",
                    dep.as_str()
                ),
                Some(known.suggest(dep.as_str())),
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
    edges
}

// ---- sync rules --------------------------------------------------------------------------------

/// A sync rule, when its trigger and action are valid (unknown repositories are reported but
/// keep the rule).
fn check_sync_rule(
    rule: &RawSyncRule,
    known: &Known<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<SyncRule> {
    let (repo, branch) = sync_trigger(&rule.trigger, known, diags)?;
    let action = sync_action(&rule.action, diags)?;
    check_notified(&rule.notify, known, diags);
    Some(SyncRule {
        repo: repo.to_owned(),
        branch: branch.to_owned(),
        action,
        notify: rule.notify.iter().map(|n| n.as_str().to_owned()).collect(),
    })
}

/// The trigger is `REPO:BRANCH` (`None` when not) and names a defined repository.
fn sync_trigger<'t>(
    trigger: &'t Spanned<String>,
    known: &Known<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(&'t str, &'t str)> {
    let text = trigger.as_str();
    let Some((repo, branch)) = text
        .split_once(':')
        .filter(|(r, b)| !r.is_empty() && !b.is_empty())
    else {
        diags.push(Diagnostic::at(
            trigger,
            format!("invalid sync rule trigger `{text}`"),
            Some("write it as `REPO:BRANCH`, e.g. `shared-api:main`".into()),
        ));
        return None;
    };
    if !known.contains(repo) {
        diags.push(Diagnostic::at(
            trigger,
            format!("sync rule trigger names unknown repository `{repo}`"),
            Some(known.suggest(repo)),
        ));
    }
    Some((repo, branch))
}

/// The action is `update_dependents` or `notify`.
fn sync_action(action: &Spanned<String>, diags: &mut Vec<Diagnostic>) -> Option<RuleAction> {
    match action.as_str() {
        "update_dependents" => Some(RuleAction::UpdateDependents),
        "notify" => Some(RuleAction::Notify),
        other => {
            diags.push(Diagnostic::at(
                action,
                format!("unknown sync rule action `{other}`"),
                Some("use `update_dependents` or `notify`".into()),
            ));
            None
        }
    }
}

/// Every repository a rule notifies is defined.
fn check_notified(notify: &[Spanned<String>], known: &Known<'_>, diags: &mut Vec<Diagnostic>) {
    for n in notify {
        if !known.contains(n.as_str()) {
            diags.push(Diagnostic::at(
                n,
                format!("sync rule notifies unknown repository `{}`", n.as_str()),
                Some(known.suggest(n.as_str())),
            ));
        }
    }
}

// ---- cycles ------------------------------------------------------------------------------------

/// The dependency graph of valid repositories and dependencies; a cycle is reported naming
/// every repository in it.
fn build_graph(
    names: &[String],
    edges: Vec<(String, String)>,
    dep_sites: &[DepSite],
) -> Result<DependencyGraph, Vec<Diagnostic>> {
    match DependencyGraph::new(names.iter().cloned(), edges) {
        Ok(graph) => Ok(graph),
        Err(GraphError::Cycle(cycle)) => Err(vec![cycle_diagnostic(&cycle, dep_sites)]),
        Err(GraphError::UnknownRepo(name)) => {
            unreachable!("dependency `{name}` was checked against the names")
        }
    }
}

/// The diagnostic for `cycle` (`a -> b -> ... -> a`), at the dependency that closes it as
/// written.
fn cycle_diagnostic(cycle: &[String], dep_sites: &[DepSite]) -> Diagnostic {
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
    match closing {
        Some(site) => Diagnostic::at(site, message, help),
        None => Diagnostic {
            line: 0,
            column: 0,
            message,
            help,
        },
    }
}

// ---- did you mean ------------------------------------------------------------------------------

/// What to do about the unknown repository `name`, given the `known` ones: the closest name
/// when one is close, else the list.
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

/// Levenshtein distance, in characters.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_plain_directory_names_are_rejected() {
        assert_eq!(check_name("backend-2_x.y"), Ok(()));
        assert!(check_name("").is_err());
        assert!(check_name("..").is_err());
        assert!(check_name(".hidden").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("a b").is_err());
    }

    #[test]
    fn paths_resolve_strictly_inside_the_root() {
        let root = Path::new("/ws");
        assert_eq!(
            resolve_inside(root, "repos/./a/../b"),
            Ok(PathBuf::from("/ws/repos/b"))
        );
        assert_eq!(resolve_inside(root, " "), Err("is empty"));
        assert_eq!(
            resolve_inside(root, "."),
            Err("is the workspace root itself")
        );
        assert_eq!(resolve_inside(root, "../x"), Err("escapes the workspace"));
        assert_eq!(
            resolve_inside(root, "/etc"),
            Err("is an absolute path outside the workspace")
        );
    }

    #[test]
    fn suggestions_name_the_closest_repository() {
        let known = vec!["shared-api".to_owned(), "backend".to_owned()];
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert!(suggest("shared-apo", &known).starts_with("did you mean `shared-api`?"));
        assert!(suggest("zzz", &known).starts_with("define it under `repositories:`"));
        assert_eq!(
            suggest("x", &[]),
            "define the repository under `repositories:` first"
        );
    }
}
