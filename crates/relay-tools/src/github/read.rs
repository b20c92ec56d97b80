//! The reading tools: briefing, pull requests, one pull request, CI status, issues.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Shared, failed, number_schema, repo_schema, repos_schema};
use crate::repo::names;
use relay_core::github::briefing;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

/// `briefing`: the morning briefing, local status and GitHub, most urgent first.
pub struct BriefingTool(pub(crate) Shared);

#[async_trait]
impl Tool for BriefingTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "briefing",
            "Morning briefing across every repository: failing checks on default branches, pull \
             requests waiting for the user's review, urgent and assigned issues, and each \
             repository's local status. Use when the user asks what needs them, or how things \
             stand this morning.",
            json!({"type": "object", "additionalProperties": false, "properties": {}}),
            Permission::Read,
        )
    }

    async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let b = briefing(self.0.graph.as_ref(), Some(self.0.github.as_ref()))
            .await
            .map_err(failed)?;
        Ok(
            json!({ "summary": b.spoken(), "highlights": b.highlights, "github_error": b.github_error }),
        )
    }
}

/// `list_pull_requests`: open pull requests of some or all repositories.
pub struct ListPullRequestsTool(pub(crate) Shared);

#[async_trait]
impl Tool for ListPullRequestsTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "list_pull_requests",
            "Open pull requests: author, draft, branches, review decision, whether the user's review \
             is requested, mergeability and checks. Set `review_requested` to list only those \
             waiting for the user.",
            json!({"type": "object", "additionalProperties": false, "properties": {
                "repos": repos_schema(),
                "review_requested": {"type": "boolean", "description": "Only pull requests asking for the user's review."}
            }}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let slugs = self.0.slugs(names(&args, "repos"))?;
        let only_mine = args.get("review_requested").and_then(Value::as_bool) == Some(true);
        let overview = self.0.github.overview(&slugs).await.map_err(failed)?;
        let mut lines = Vec::new();
        let mut pulls = Vec::new();
        for repo in &overview.repos {
            let name = self.0.name_of(&repo.repo);
            if let Some(error) = &repo.error {
                lines.push(format!("{name}: {error}"));
            }
            for p in repo
                .pull_requests
                .iter()
                .filter(|p| !only_mine || p.review_requested_from_me)
            {
                lines.push(format!(
                    "{name}#{} \"{}\" by {}{}, {}",
                    p.number,
                    p.title,
                    p.author,
                    if p.draft { " (draft)" } else { "" },
                    p.checks.describe()
                ));
                pulls.push(json!({"repo": name, "pull_request": p}));
            }
        }
        let summary = if pulls.is_empty() {
            "No open pull requests.".to_owned()
        } else {
            format!(
                "{} open pull request{}: {}",
                pulls.len(),
                if pulls.len() == 1 { "" } else { "s" },
                lines.join("; ")
            )
        };
        Ok(json!({ "summary": summary, "pull_requests": pulls }))
    }
}

/// `pull_request_summary`: one pull request, short enough to speak.
pub struct PullRequestSummaryTool(pub(crate) Shared);

#[async_trait]
impl Tool for PullRequestSummaryTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "pull_request_summary",
            "One pull request, summarised to be spoken: author, files with lines added and removed, \
             checks by name, reviews and comments. Use before reviewing (\"review the pull request \
             from Maria\": find it with list_pull_requests first).",
            json!({"type": "object", "additionalProperties": false, "required": ["repo", "number"],
                   "properties": {"repo": repo_schema(), "number": number_schema()}}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let slug = self.0.slug(args["repo"].as_str().unwrap_or_default())?;
        let number = args["number"].as_u64().unwrap_or(0);
        let pr = self
            .0
            .github
            .pull_request(&slug, number)
            .await
            .map_err(failed)?;
        Ok(json!({
            "summary": pr.spoken_summary(),
            "files": pr.files,
            "checks": pr.checks,
            "reviews": pr.reviews,
            "review_comments": pr.review_comments,
            "url": pr.url,
        }))
    }
}

/// `ci_status`: the checks of a branch.
pub struct CiStatusTool(pub(crate) Shared);

#[async_trait]
impl Tool for CiStatusTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "ci_status",
            "CI of a branch (default: each repository's default branch): check runs and commit \
             statuses combined into passing, failing, running or skipped, naming failing checks.",
            json!({"type": "object", "additionalProperties": false, "properties": {
                "repos": repos_schema(),
                "branch": {"type": "string", "minLength": 1, "description": "Branch, tag or commit. Omit for the default branch."}
            }}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let slugs = self.0.slugs(names(&args, "repos"))?;
        let mut out = Vec::new();
        let mut lines = Vec::new();
        match args.get("branch").and_then(Value::as_str) {
            Some(branch) => {
                for slug in &slugs {
                    let name = self.0.name_of(slug);
                    match self.0.github.checks(slug, branch).await {
                        Ok(c) => {
                            lines.push(format!("{name} {branch}: {}", c.describe()));
                            out.push(json!({"repo": name, "branch": branch, "checks": c}));
                        }
                        Err(e) => {
                            lines.push(format!("{name}: {e}"));
                            out.push(
                                json!({"repo": name, "branch": branch, "error": e.to_string()}),
                            );
                        }
                    }
                }
            }
            None => {
                let overview = self.0.github.overview(&slugs).await.map_err(failed)?;
                for repo in overview.repos {
                    let name = self.0.name_of(&repo.repo);
                    let branch = repo.default_branch.clone().unwrap_or_default();
                    lines.push(match &repo.error {
                        Some(e) => format!("{name}: {e}"),
                        None => format!("{name} {branch}: {}", repo.checks.describe()),
                    });
                    out.push(json!({"repo": name, "branch": branch, "checks": repo.checks, "error": repo.error}));
                }
            }
        }
        Ok(json!({ "summary": lines.join("; "), "repos": out }))
    }
}

/// `list_issues`: open issues assigned to the user.
pub struct ListIssuesTool(pub(crate) Shared);

#[async_trait]
impl Tool for ListIssuesTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "list_issues",
            "Open GitHub issues assigned to the user, with labels; urgent ones first.",
            json!({"type": "object", "additionalProperties": false, "properties": {"repos": repos_schema()}}),
            Permission::Read,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let slugs = self.0.slugs(names(&args, "repos"))?;
        let overview = self.0.github.overview(&slugs).await.map_err(failed)?;
        let mut issues: Vec<(String, relay_core::github::Issue)> = overview
            .repos
            .into_iter()
            .flat_map(|r| {
                let name = self.0.name_of(&r.repo);
                r.issues.into_iter().map(move |i| (name.clone(), i))
            })
            .collect();
        issues.sort_by_key(|(_, i)| !i.urgent);
        let urgent = issues.iter().filter(|(_, i)| i.urgent).count();
        let lines: Vec<String> = issues
            .iter()
            .map(|(r, i)| {
                format!(
                    "{r}#{} \"{}\"{}",
                    i.number,
                    i.title,
                    if i.urgent { " (urgent)" } else { "" }
                )
            })
            .collect();
        let summary = if issues.is_empty() {
            "No open issues are assigned to you.".to_owned()
        } else {
            format!(
                "{} issue{} assigned to you, {urgent} urgent: {}",
                issues.len(),
                if issues.len() == 1 { "" } else { "s" },
                lines.join("; ")
            )
        };
        Ok(json!({
            "summary": summary,
            "issues": issues.iter().map(|(r, i)| json!({"repo": r, "issue": i})).collect::<Vec<_>>(),
        }))
    }
}
