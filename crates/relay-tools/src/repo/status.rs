use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{failed, repos_schema, selection};
use relay_core::RepoGraph;
use relay_core::github::{GitHubApi, briefing};
use relay_core::repo::RepoStatus;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `project_status`: the morning briefing — branch, position against upstream, local changes and
/// last commit of each repository.
pub struct ProjectStatusTool {
    graph: Arc<dyn RepoGraph>,
    github: Option<Arc<dyn GitHubApi>>,
}

impl ProjectStatusTool {
    /// Binds the tool to `graph`.
    pub fn new(graph: Arc<dyn RepoGraph>) -> Self {
        ProjectStatusTool {
            graph,
            github: None,
        }
    }

    /// Adds GitHub's highlights (failing checks, review requests, urgent issues) to the report.
    pub fn with_github(mut self, github: Arc<dyn GitHubApi>) -> Self {
        self.github = Some(github);
        self
    }
}

/// One spoken-style line for a repository.
fn line(s: &RepoStatus) -> String {
    if let Some(err) = &s.error {
        return format!("{}: unavailable ({err})", s.name);
    }
    let mut parts = vec![format!(
        "{} on {}",
        s.name,
        s.branch.as_deref().unwrap_or("a detached HEAD")
    )];
    match (s.ahead, s.behind) {
        (Some(0), Some(0)) => parts.push("up to date with its upstream".into()),
        (Some(a), Some(b)) => parts.push(format!("{a} ahead and {b} behind its upstream")),
        _ => parts.push("no upstream".into()),
    }
    let changes = s.staged + s.unstaged + s.untracked + s.conflicted;
    if changes > 0 {
        parts.push(format!("{changes} changed path(s)"));
    } else {
        parts.push("clean".into());
    }
    if s.conflicted > 0 {
        parts.push(format!("{} conflict(s)", s.conflicted));
    }
    if let Some(c) = &s.last_commit {
        parts.push(format!("last commit \"{}\" by {}", c.summary, c.author));
    }
    parts.join(", ")
}

#[async_trait]
impl Tool for ProjectStatusTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "project_status",
            "Morning briefing: for each repository, the current branch, commits ahead/behind its \
             upstream, uncommitted changes and the last commit. Use when the user asks how things \
             stand, what changed, or where they left off.",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"repos": repos_schema("to report on")}}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError> {
        let statuses = self
            .graph
            .status(selection(&args, &ctx))
            .await
            .map_err(failed)?;
        let dirty = statuses.iter().filter(|s| s.is_dirty()).count();
        let behind = statuses
            .iter()
            .filter(|s| s.behind.unwrap_or(0) > 0)
            .count();
        let summary = format!(
            "{} repositor{}: {dirty} with uncommitted changes, {behind} behind upstream.",
            statuses.len(),
            if statuses.len() == 1 { "y" } else { "ies" }
        );
        let mut summary = summary;
        // Only with GitHub configured: without it the key is absent rather than null.
        let mut highlights = None;
        if let Some(github) = &self.github {
            match briefing(self.graph.as_ref(), Some(github.as_ref())).await {
                Ok(b) => {
                    summary = format!("{summary} {}", b.spoken());
                    highlights = Some(json!(b.highlights));
                }
                Err(e) => summary = format!("{summary} GitHub was not read: {e}."),
            }
        }
        let mut result = json!({
            "summary": summary,
            "primary_project": ctx.session.primary().map(|p| p.name),
            "repositories": statuses.iter().map(|s| json!({
                "name": s.name,
                "line": line(s),
                "branch": s.branch,
                "ahead": s.ahead,
                "behind": s.behind,
                "staged": s.staged,
                "unstaged": s.unstaged,
                "untracked": s.untracked,
                "conflicted": s.conflicted,
                "last_commit": s.last_commit.as_ref().map(|c| json!({"summary": c.summary, "author": c.author, "time": c.time})),
                "error": s.error,
            })).collect::<Vec<_>>(),
        });
        if let Some(highlights) = highlights {
            result["github_highlights"] = highlights;
        }
        Ok(result)
    }
}
