//! Every configuration error names the file, the line and what to do.

use relay_core::config::{ConfigError, SyncStrategy, Workspace};
use std::fs;

fn load(yaml: &str) -> Result<Workspace, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("relay.yaml");
    fs::write(&file, yaml).unwrap();
    let result = Workspace::load(&file);
    // keep the dir alive until loading is done
    drop(dir);
    result
}

fn error_text(yaml: &str) -> String {
    let err = load(yaml).expect_err("configuration should be rejected");
    assert!(matches!(err, ConfigError::Invalid { .. }), "{err:?}");
    err.to_string()
}

const SAMPLE: &str = "\
repositories:
  - name: shared-api
    url: file:///srv/shared-api.git
  - name: database-migrations
    dependencies: [shared-api]
  - name: backend
    path: services/backend
    dependencies: [shared-api, database-migrations]
    sync_strategy: feature_branch
    auto_sync: false
  - name: frontend
dependency_graph:
  frontend: [shared-api]
sync_rules:
  - trigger: \"shared-api:main\"
    action: update_dependents
    notify: [backend, frontend]
";

#[test]
fn a_valid_workspace_loads_with_merged_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("relay.yaml"), SAMPLE).unwrap();
    let nested = dir.path().join("services/backend/src");
    fs::create_dir_all(&nested).unwrap();
    // Discovery walks up from a nested directory, like git.
    let ws = Workspace::discover(&nested).unwrap();
    let root = dir.path().canonicalize().unwrap();
    assert_eq!(ws.root(), root);
    let backend = ws.repo("backend").unwrap();
    assert_eq!(backend.path, root.join("services/backend"));
    assert_eq!(backend.dependencies, ["shared-api", "database-migrations"]);
    assert_eq!(backend.sync_strategy, SyncStrategy::FeatureBranch);
    assert!(!backend.auto_sync);
    assert_eq!(ws.repo("frontend").unwrap().dependencies, ["shared-api"]);
    assert_eq!(ws.repo("frontend").unwrap().path, root.join("frontend"));
    assert_eq!(
        ws.repo("shared-api").unwrap().url.as_deref(),
        Some("file:///srv/shared-api.git")
    );
    assert_eq!(ws.sync_rules()[0].repo, "shared-api");
    assert_eq!(ws.sync_rules()[0].branch, "main");
    assert_eq!(
        ws.graph().batches(),
        vec![
            vec!["shared-api"],
            vec!["database-migrations", "frontend"],
            vec!["backend"]
        ]
    );
}

#[test]
fn missing_file_says_how_to_point_at_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let err = Workspace::discover(dir.path()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no relay.yaml found"), "{text}");
    assert!(
        text.contains("--workspace") && text.contains("RELAY_WORKSPACE"),
        "{text}"
    );
}

#[test]
fn unknown_dependency_names_line_and_suggests() {
    let text = error_text(
        "repositories:\n  - name: shared-api\n  - name: backend\n    dependencies: [shared-apis]\n",
    );
    assert!(text.contains("relay.yaml:4:"), "{text}");
    assert!(text.contains("unknown repository `shared-apis`"), "{text}");
    assert!(text.contains("did you mean `shared-api`?"), "{text}");
}

#[test]
fn duplicate_names_point_at_the_second_and_the_first() {
    let text = error_text("repositories:\n  - name: api\n  - name: web\n  - name: api\n");
    assert!(text.contains("relay.yaml:4:"), "{text}");
    assert!(
        text.contains("duplicate repository name `api` (first defined on line 2)"),
        "{text}"
    );
}

#[test]
fn cycles_name_every_repo_in_the_cycle() {
    let text = error_text(
        "repositories:\n  - name: a\n    dependencies: [b]\n  - name: b\n    dependencies: [c]\n  - name: c\n    dependencies: [a]\n  - name: d\n    dependencies: [a]\n",
    );
    assert!(
        text.contains("dependency cycle: a -> b -> c -> a"),
        "{text}"
    );
    assert!(
        text.contains("repositories in the cycle: a, b, c"),
        "{text}"
    );
    assert!(!text.contains("cycle: d"), "{text}");
    assert!(
        text.contains("relay.yaml:3:"),
        "points at a dependency of the cycle: {text}"
    );
}

#[test]
fn cycles_through_dependency_graph_are_found_too() {
    let text = error_text(
        "repositories:\n  - name: a\n    dependencies: [b]\n  - name: b\ndependency_graph:\n  b: [a]\n",
    );
    assert!(text.contains("dependency cycle:"), "{text}");
    assert!(text.contains("a") && text.contains("b"), "{text}");
}

#[test]
fn paths_escaping_the_workspace_are_rejected() {
    let text = error_text("repositories:\n  - name: a\n    path: ../outside\n");
    assert!(text.contains("relay.yaml:3:11"), "{text}");
    assert!(text.contains("escapes the workspace"), "{text}");
    let text = error_text("repositories:\n  - name: a\n    path: /etc\n");
    assert!(
        text.contains("absolute path outside the workspace"),
        "{text}"
    );
    let text = error_text("repositories:\n  - name: a\n    path: repos/../../x\n");
    assert!(text.contains("escapes the workspace"), "{text}");
}

#[test]
fn names_that_would_escape_are_rejected() {
    let text = error_text("repositories:\n  - name: ..\n");
    assert!(text.contains("invalid repository name `..`"), "{text}");
    let text = error_text("repositories:\n  - name: a/../../b\n");
    assert!(text.contains("path separator"), "{text}");
}

#[test]
fn unknown_keys_are_rejected_with_position() {
    let text = error_text("repositories:\n  - name: a\n    dependecies: [b]\n");
    assert!(text.contains("relay.yaml:3:5"), "{text}");
    assert!(text.contains("Unknown field `dependecies`"), "{text}");
    assert!(text.contains("help:"), "{text}");
    let text = error_text("repos:\n  - name: a\n");
    assert!(text.contains("Unknown field `repos`"), "{text}");
}

#[test]
fn several_problems_are_reported_together() {
    let text = error_text(
        "repositories:\n  - name: a\n    dependencies: [x]\n  - name: b\n    dependencies: [y]\n",
    );
    assert!(text.contains("`x`") && text.contains("`y`"), "{text}");
    assert_eq!(text.matches("relay.yaml:").count(), 2, "{text}");
}

#[test]
fn same_or_nested_paths_are_rejected() {
    let text =
        error_text("repositories:\n  - name: a\n    path: code\n  - name: b\n    path: code\n");
    assert!(text.contains("same path as `a`"), "{text}");
    let text =
        error_text("repositories:\n  - name: a\n    path: code\n  - name: b\n    path: code/b\n");
    assert!(text.contains("nested"), "{text}");
}

#[test]
fn bad_values_and_syntax() {
    let text = error_text("repositories:\n  - name: a\n    sync_strategy: nightly\n");
    assert!(text.contains("unknown sync_strategy `nightly`"), "{text}");
    assert!(text.contains("main_branch"), "{text}");
    let text = error_text("repositories:\n  - name: a\n    auto_sync: maybe\n");
    assert!(text.contains("relay.yaml:3:"), "{text}");
    let text = error_text("repositories: [\n");
    assert!(text.contains("invalid YAML"), "{text}");
    let text = error_text("# nothing\n");
    assert!(text.contains("empty"), "{text}");
    let text = error_text("sync_rules:\n  - trigger: shared-api\n    action: update_dependents\n");
    assert!(text.contains("REPO:BRANCH"), "{text}");
}

#[test]
fn a_repository_that_is_a_symlink_out_of_the_workspace_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let ws = root.join("ws");
    let elsewhere = root.join("elsewhere");
    fs::create_dir_all(ws.join("repos")).unwrap();
    fs::create_dir_all(elsewhere.join("inner")).unwrap();
    // `backend` (default path) is a symlink out; `repos/lib` sits in a symlinked directory.
    std::os::unix::fs::symlink(&elsewhere, ws.join("backend")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, ws.join("repos/linked")).unwrap();
    // A symlink that stays inside is fine.
    fs::create_dir_all(ws.join("real/api")).unwrap();
    std::os::unix::fs::symlink(ws.join("real/api"), ws.join("api")).unwrap();
    let file = ws.join("relay.yaml");
    fs::write(
        &file,
        "repositories:\n  - name: api\n  - name: backend\n  - name: lib\n    path: repos/linked/inner\n",
    )
    .unwrap();
    let err = Workspace::load(&file).expect_err("symlinks out of the workspace are refused");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}:3:", file.display())),
        "backend's line: {text}"
    );
    assert!(
        text.contains(&format!(
            "repository `backend` is at {}, a symlink to {}, outside the workspace",
            ws.join("backend").display(),
            elsewhere.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}:5:", file.display())),
        "lib's line: {text}"
    );
    assert!(
        text.contains(&format!(
            "path `repos/linked/inner` of repository `lib` resolves through a symlink to {}, outside the workspace",
            elsewhere.join("inner").display()
        )),
        "{text}"
    );
    assert!(!text.contains("`api`"), "a symlink inside is fine: {text}");
}

#[test]
fn the_github_repository_comes_from_the_url_or_the_github_key() {
    let ws = load(
        "repositories:
  - name: a
    url: git@github.com:acme/a.git
  - name: b
    url: /srv/git/b.git
    github: acme/b-renamed
  - name: c
    url: https://gitlab.com/acme/c.git
",
    )
    .unwrap();
    let slug = |n: &str| ws.repo(n).unwrap().github_repo().map(|s| s.to_string());
    assert_eq!(slug("a").as_deref(), Some("acme/a"));
    assert_eq!(slug("b").as_deref(), Some("acme/b-renamed"));
    assert_eq!(slug("c"), None, "not on GitHub");
}

#[test]
fn an_invalid_github_key_is_reported_at_its_line() {
    let text = error_text(
        "repositories:
  - name: a
    github: acme
  - name: b
    github: \"ac me/b\"
",
    );
    assert!(
        text.contains("relay.yaml:3:13: invalid github repository `acme` for repository `a`"),
        "{text}"
    );
    assert!(text.contains("OWNER/NAME"), "{text}");
    assert!(
        text.contains(":5:13: invalid github repository `ac me/b`"),
        "{text}"
    );
}
