//! The plan's sample workspace, made offline from real git repositories: what `relay demo` tours
//! and what examples and binding tests start from.
//!
//! Layout under the chosen directory:
//! - `origins/<name>.git`: bare repositories standing in for the team's remotes;
//! - `teammate/<name>`: a colleague's clones, used to push new commits to the origins;
//! - `workspace/relay.yaml`: the workspace, whose repositories are cloned by `relay sync`.
//!
//! The fixture is built with the git CLI (a stand-in for people using git); everything Relay then
//! does to the workspace goes through [`crate::GitRepoGraph`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use relay_core::RepoError;

/// A sample repository: name, dependencies, files (path, content) of the first commit.
type SampleRepo = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// The sample repositories.
const REPOS: &[SampleRepo] = &[
    (
        "shared-api",
        &[],
        &[
            (
                "README.md",
                "# shared-api\n\nTypes and the OpenAPI contract shared by every service.\n",
            ),
            (
                "api/openapi.yaml",
                "openapi: 3.1.0\ninfo:\n  title: Shop API\n  version: 1.4.0\npaths:\n  /orders:\n    get:\n      summary: List orders\n",
            ),
        ],
    ),
    (
        "database-migrations",
        &["shared-api"],
        &[
            (
                "README.md",
                "# database-migrations\n\nSchema migrations, applied in order.\n",
            ),
            (
                "migrations/001_orders.sql",
                "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, total_cents BIGINT NOT NULL);\n",
            ),
        ],
    ),
    (
        "backend",
        &["shared-api", "database-migrations"],
        &[
            ("README.md", "# backend\n\nThe order service.\n"),
            (
                "src/server.py",
                "from shared_api import Order\n\n\ndef list_orders(db):\n    return [Order(**row) for row in db.query(\"SELECT * FROM orders\")]\n",
            ),
        ],
    ),
    (
        "frontend",
        &["shared-api"],
        &[
            ("README.md", "# frontend\n\nThe shop's web app.\n"),
            (
                "src/App.tsx",
                "export function App() {\n  return <OrderList />;\n}\n",
            ),
        ],
    ),
];

/// Paths of a sample workspace made by [`create_sample_workspace`].
#[derive(Debug, Clone)]
pub struct SampleWorkspace {
    /// The workspace root (holds `relay.yaml`).
    pub workspace: PathBuf,
    /// Directory of the bare origin repositories.
    pub origins: PathBuf,
    /// Directory of the colleague's clones.
    pub teammate: PathBuf,
}

/// Creates origins with history, the colleague's clones and `relay.yaml` under `dir` (which must
/// be missing or empty). The workspace repositories themselves are not cloned yet: that is the
/// first `relay sync`.
pub fn create_sample_workspace(dir: &Path) -> Result<SampleWorkspace, RepoError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .next()
            .is_some()
    {
        return Err(RepoError::InvalidRequest(format!(
            "{} already exists and is not empty; choose another directory with --dir or remove it",
            dir.display()
        )));
    }
    let sample = SampleWorkspace {
        workspace: dir.join("workspace"),
        origins: dir.join("origins"),
        teammate: dir.join("teammate"),
    };
    for d in [&sample.workspace, &sample.origins, &sample.teammate] {
        std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
    }
    for (name, _, files) in REPOS {
        let origin = sample.origins.join(format!("{name}.git"));
        git(
            &sample.origins,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                &path_str(&origin),
            ],
        )?;
        let clone = sample.teammate.join(name);
        git(
            &sample.teammate,
            &["clone", "--quiet", &path_str(&origin), name],
        )?;
        git(&clone, &["checkout", "--quiet", "-B", "main"])?;
        for (path, content) in *files {
            write(&clone.join(path), content)?;
        }
        commit_all(&clone, &format!("Initial {name}"))?;
        write(&clone.join("CHANGELOG.md"), "## 1.0.0\n- First release\n")?;
        commit_all(&clone, "Release 1.0.0")?;
        git(
            &clone,
            &["push", "--quiet", "--set-upstream", "origin", "main"],
        )?;
    }
    write(&sample.workspace.join("relay.yaml"), &config_text())?;
    Ok(sample)
}

fn config_text() -> String {
    let mut text =
        String::from("# Relay's sample workspace (made by `relay demo`).\nrepositories:\n");
    for (name, deps, _) in REPOS {
        text.push_str(&format!(
            "  - name: {name}\n    url: ../origins/{name}.git\n"
        ));
        if !deps.is_empty() {
            text.push_str(&format!("    dependencies: [{}]\n", deps.join(", ")));
        }
    }
    text.push_str("sync_rules:\n  - trigger: \"shared-api:main\"\n    action: notify\n    notify: [database-migrations, backend, frontend]\n");
    text
}

/// Gives the cloned workspace the state of a typical morning: `shared-api` two commits behind its
/// origin, `backend` behind with uncommitted work, `frontend` one local commit ahead,
/// `database-migrations` up to date. Remote-tracking refs are fetched so the briefing shows it.
pub fn stage_morning(sample: &SampleWorkspace) -> Result<(), RepoError> {
    let teammate = |name: &str| sample.teammate.join(name);
    let mine = |name: &str| sample.workspace.join(name);

    let api = teammate("shared-api");
    append(
        &api.join("api/openapi.yaml"),
        "      parameters:\n        - name: page\n          in: query\n",
    )?;
    commit_all(&api, "Add pagination to GET /orders")?;
    append(&api.join("CHANGELOG.md"), "## 1.5.0\n- Paginated orders\n")?;
    commit_all(&api, "Release 1.5.0")?;
    git(&api, &["push", "--quiet"])?;

    let backend = teammate("backend");
    append(&backend.join("README.md"), "\nRun with `make serve`.\n")?;
    commit_all(&backend, "Document how to run the service")?;
    git(&backend, &["push", "--quiet"])?;

    // My uncommitted work in backend.
    append(
        &mine("backend").join("src/server.py"),
        "\n\ndef get_order(db, order_id):\n    ...\n",
    )?;
    write(
        &mine("backend").join("notes.md"),
        "- paginate list_orders once shared-api 1.5 lands\n",
    )?;

    // My unpushed commit in frontend.
    write(
        &mine("frontend").join("src/OrderList.tsx"),
        "export function OrderList() {\n  return <ul />;\n}\n",
    )?;
    commit_all(&mine("frontend"), "Add an empty order list")?;

    for name in ["shared-api", "backend"] {
        git(&mine(name), &["fetch", "--quiet", "origin"])?;
    }
    Ok(())
}

fn commit_all(dir: &Path, message: &str) -> Result<(), RepoError> {
    git(dir, &["add", "--all"])?;
    git(dir, &["commit", "--quiet", "--message", message])
}

/// Runs git with a fixed demo identity, so the fixture works without any git configuration.
fn git(dir: &Path, args: &[&str]) -> Result<(), RepoError> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dana Demo")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "Dana Demo")
        .env("GIT_COMMITTER_EMAIL", "dana@example.com")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io(dir, e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(RepoError::Git {
            repo: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            operation: format!("demo setup (git {})", args.first().copied().unwrap_or("")),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

fn write(path: &Path, content: &str) -> Result<(), RepoError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    std::fs::write(path, content).map_err(|e| io(path, e))
}

fn append(path: &Path, content: &str) -> Result<(), RepoError> {
    let mut text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    text.push_str(content);
    write(path, &text)
}

fn io(path: &Path, source: std::io::Error) -> RepoError {
    RepoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
