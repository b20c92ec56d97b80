//! Keeping Claude's file tools inside the run's repositories.
//!
//! `Write`, `Edit`, `MultiEdit` and `NotebookEdit` may change files only inside the task's
//! working directory and its added directories (the run's repositories), with every path
//! resolved through symlinks (also dangling ones, and those in directories that do not exist
//! yet); `Read`, `Grep` and `Glob` may not look into places that hold credentials (`~/.ssh`,
//! `~/.aws`, ...). What is refused is denied with a reason the model sees, before the host's
//! permission policy is asked; a policy can deny more, never allow this.
//!
//! These tools are never passed to the CLI's `--allowedTools` (which would let the CLI run them
//! without asking): when a task allows them, Relay allows them itself after the check.
//! `Bash` is not confined by this: a command can write anywhere the user can (see docs/agent.md).

use std::path::PathBuf;

use relay_core::paths::resolve;

use relay_core::agent::AgentTask;
use serde_json::Value;

/// Tools that change files, and the input field naming the file.
const WRITE_TOOLS: &[(&str, &str)] = &[
    ("Write", "file_path"),
    ("Edit", "file_path"),
    ("MultiEdit", "file_path"),
    ("NotebookEdit", "notebook_path"),
];

/// Tools that read files or list them, and the input field naming the path.
const READ_TOOLS: &[(&str, &str)] = &[("Read", "file_path"), ("Grep", "path"), ("Glob", "path")];

/// Tools Relay decides itself when a task allows them (never given to `--allowedTools`).
pub(crate) const CHECKED_TOOLS: &[&str] = &[
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "Read",
    "Grep",
    "Glob",
];

/// Places under a home directory that hold credentials.
const SECRETS_IN_HOME: &[&str] = &[
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker/config.json",
    ".config/gcloud",
    ".config/gh",
    ".netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".claude/.credentials.json",
];

/// Credentials outside home directories.
const SECRETS_ELSEWHERE: &[&str] = &["/etc/shadow", "/etc/gshadow", "/etc/sudoers"];

/// The directories a run may write in and the places it may not read.
#[derive(Debug, Clone)]
pub(crate) struct Confinement {
    cwd: PathBuf,
    roots: Vec<PathBuf>,
    secrets: Vec<PathBuf>,
}

impl Confinement {
    /// The task's working directory and added directories; secrets under the home of this
    /// process and the `HOME` the agent is given.
    pub(crate) fn for_task(task: &AgentTask, agent_env: &[(String, String)]) -> Self {
        let cwd = resolve(&task.cwd).unwrap_or_else(|| task.cwd.clone());
        let mut roots = vec![cwd.clone()];
        roots.extend(task.add_dirs.iter().filter_map(|d| resolve(&cwd.join(d))));
        let mut homes: Vec<PathBuf> = std::env::var_os("HOME")
            .map(PathBuf::from)
            .into_iter()
            .collect();
        homes.extend(
            agent_env
                .iter()
                .chain(task.env.0.iter())
                .filter(|(k, _)| k == "HOME")
                .map(|(_, v)| PathBuf::from(v)),
        );
        let mut secrets: Vec<PathBuf> = Vec::new();
        for home in homes {
            for s in SECRETS_IN_HOME {
                let path = home.join(s);
                secrets.push(resolve(&path).unwrap_or(path));
            }
        }
        secrets.extend(SECRETS_ELSEWHERE.iter().map(PathBuf::from));
        Self {
            cwd,
            roots,
            secrets,
        }
    }

    /// `Err(reason)` when `tool` with `input` must be refused.
    pub(crate) fn check(&self, tool: &str, input: &Value) -> Result<(), String> {
        if let Some((_, field)) = WRITE_TOOLS.iter().find(|(name, _)| *name == tool) {
            let Some(raw) = input.get(*field).and_then(Value::as_str) else {
                return Err(format!("{tool} needs a `{field}`"));
            };
            let Some(path) = resolve(&self.cwd.join(raw)) else {
                return Err(format!(
                    "{tool} on {raw} refused: the path cannot be resolved (a `..` below a directory that does not exist, or a symlink loop)"
                ));
            };
            if !self.roots.iter().any(|root| path.starts_with(root)) {
                let roots: Vec<String> =
                    self.roots.iter().map(|r| r.display().to_string()).collect();
                let via = if path != self.cwd.join(raw) {
                    format!(" (it resolves to {})", path.display())
                } else {
                    String::new()
                };
                return Err(format!(
                    "{tool} on {raw} refused: it is outside this run's repositories{via}; \
                     only files under {} may be changed",
                    roots.join(", ")
                ));
            }
        }
        if let Some((_, field)) = READ_TOOLS.iter().find(|(name, _)| *name == tool)
            && let Some(raw) = input.get(*field).and_then(Value::as_str)
        {
            let path = resolve(&self.cwd.join(raw)).unwrap_or_else(|| self.cwd.join(raw));
            if let Some(secret) = self.secrets.iter().find(|s| path.starts_with(s)) {
                return Err(format!(
                    "{tool} on {raw} refused: {} holds credentials, which agents may not read",
                    secret.display()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn confinement(repo: &Path, home: &Path) -> Confinement {
        let task = AgentTask::builder("p", repo).build();
        Confinement::for_task(&task, &[("HOME".into(), home.display().to_string())])
    }

    #[test]
    fn writes_inside_pass_and_outside_are_refused_through_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let repo = root.join("repo");
        let outside = root.join("outside");
        std::fs::create_dir_all(repo.join("src")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, repo.join("escape")).unwrap();
        std::os::unix::fs::symlink(outside.join("new.txt"), repo.join("dangling")).unwrap();
        let c = confinement(&repo, &root.join("home"));
        let write = |p: &str| c.check("Write", &json!({"file_path": p, "content": ""}));
        assert!(write("src/new/deep/file.rs").is_ok());
        assert!(write(&repo.join("README").display().to_string()).is_ok());
        let err = write("escape/x.txt").unwrap_err();
        assert!(err.contains("outside this run's repositories"), "{err}");
        assert!(
            err.contains(&format!("resolves to {}", outside.join("x.txt").display())),
            "{err}"
        );
        assert!(
            write("dangling").is_err(),
            "a dangling link pointing outside"
        );
        assert!(write("../outside/y").is_err());
        assert!(write("missing/../../outside/y").is_err());
        assert!(write("/etc/passwd").is_err());
        assert!(c.check("Edit", &json!({"file_path": "escape/x"})).is_err());
        assert!(
            c.check("NotebookEdit", &json!({"notebook_path": "/tmp/n.ipynb"}))
                .is_err()
        );
        assert!(c.check("Write", &json!({})).is_err());
    }

    #[test]
    fn reading_credentials_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        let repo = root.join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        std::os::unix::fs::symlink(home.join(".ssh"), repo.join("keys")).unwrap();
        let c = confinement(&repo, &home);
        let err = c
            .check(
                "Read",
                &json!({"file_path": home.join(".ssh/id_ed25519").display().to_string()}),
            )
            .unwrap_err();
        assert!(err.contains("holds credentials"), "{err}");
        assert!(
            c.check("Read", &json!({"file_path": "keys/id_rsa"}))
                .is_err(),
            "through a symlink"
        );
        assert!(
            c.check(
                "Grep",
                &json!({"pattern": "x", "path": home.join(".aws").display().to_string()})
            )
            .is_err()
        );
        assert!(c.check("Read", &json!({"file_path": "README"})).is_ok());
        assert!(
            c.check("Read", &json!({"file_path": "/usr/share/doc"}))
                .is_ok()
        );
        assert!(
            c.check("Bash", &json!({"command": "cat ~/.ssh/id_rsa"}))
                .is_ok(),
            "Bash is not confined here"
        );
    }
}
