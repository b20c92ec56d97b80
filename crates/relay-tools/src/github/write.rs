//! The writing tools: review, open and merge pull requests across repositories, open an issue.
//! Each needs the `write_repos` permission.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Shared, failed, number_schema, repo_schema, repos_schema};
use crate::repo::names;
use relay_core::github::ops::{self, PullRequestsPlan, RepoPullOutcome};
use relay_core::github::{InlineComment, MergeMethod, NewIssue, ReviewEvent, ReviewSubmission};
use relay_core::repo::RepoSelection;
use relay_core::tools::{Permission, Tool, ToolContext, ToolError, ToolSpec};

fn selection(args: &Value) -> RepoSelection {
    match names(args, "repos") {
        Some(n) if !n.is_empty() => RepoSelection::Named(n),
        _ => RepoSelection::All,
    }
}

fn outcome_lines(outcomes: &[RepoPullOutcome]) -> String {
    outcomes
        .iter()
        .map(|o| match (&o.pull, &o.error) {
            (Some(p), None) => format!("{}#{}", o.repo, p.number),
            (Some(p), Some(e)) => format!("{}#{}: {e}", o.repo, p.number),
            (None, Some(e)) => format!("{}: {e}", o.repo),
            (None, None) => o.repo.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `review_pull_request`: approve, request changes or comment, with inline comments.
pub struct ReviewTool(pub(crate) Shared);

#[async_trait]
impl Tool for ReviewTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "review_pull_request",
            "Submit a review of a pull request: approve, request changes or comment, optionally with \
             comments on lines (file and line of the new version). \"Add the suggestions as \
             comments and approve\" is one call with event approve and the comments.",
            json!({"type": "object", "additionalProperties": false, "required": ["repo", "number", "event"],
            "properties": {
                "repo": repo_schema(), "number": number_schema(),
                "event": {"type": "string", "enum": ["approve", "request_changes", "comment"]},
                "body": {"type": "string", "description": "The review's text (needed to request changes)."},
                "comments": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                    "required": ["path", "line", "body"],
                    "properties": {"path": {"type": "string", "minLength": 1}, "line": {"type": "integer", "minimum": 1}, "body": {"type": "string", "minLength": 1}}}}
            }}),
            Permission::WriteRepos,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let slug = self.0.slug(args["repo"].as_str().unwrap_or_default())?;
        let number = args["number"].as_u64().unwrap_or(0);
        let event: ReviewEvent = args["event"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(ToolError::Failed)?;
        let comments = args
            .get("comments")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .map(|c| InlineComment {
                        path: c["path"].as_str().unwrap_or_default().to_owned(),
                        line: c["line"].as_u64().unwrap_or(1),
                        body: c["body"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let review = ReviewSubmission {
            event,
            body: args
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            comments,
        };
        let created = self
            .0
            .github
            .review(&slug, number, &review)
            .await
            .map_err(failed)?;
        let verb = match event {
            ReviewEvent::Approve => "Approved",
            ReviewEvent::RequestChanges => "Requested changes on",
            ReviewEvent::Comment => "Commented on",
        };
        Ok(json!({
            "summary": format!("{verb} {}#{number} with {} inline comment{}.", self.0.name_of(&slug), review.comments.len(), if review.comments.len() == 1 { "" } else { "s" }),
            "url": created.url,
        }))
    }
}

/// `create_pull_requests`: one branch's pull requests across repositories.
pub struct CreatePullRequestsTool(pub(crate) Shared);

#[async_trait]
impl Tool for CreatePullRequestsTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "create_pull_requests",
            "Open pull requests for one branch (already pushed) in several repositories, in \
             dependency order, each description listing the others.",
            json!({"type": "object", "additionalProperties": false, "required": ["branch", "title"],
            "properties": {
                "branch": {"type": "string", "minLength": 1},
                "title": {"type": "string", "minLength": 1},
                "body": {"type": "string"},
                "base": {"type": "string", "minLength": 1, "description": "Omit for each repository's default branch."},
                "draft": {"type": "boolean"},
                "repos": repos_schema()
            }}),
            Permission::WriteRepos,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let plan = PullRequestsPlan {
            branch: args["branch"].as_str().unwrap_or_default().to_owned(),
            title: args["title"].as_str().unwrap_or_default().to_owned(),
            body: args
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            base: args.get("base").and_then(Value::as_str).map(str::to_owned),
            draft: args.get("draft").and_then(Value::as_bool).unwrap_or(false),
            repos: selection(&args),
        };
        let outcomes =
            ops::create_pull_requests(self.0.graph.workspace(), self.0.github.as_ref(), &plan)
                .await
                .map_err(failed)?;
        let opened = outcomes.iter().filter(|o| o.pull.is_some()).count();
        Ok(json!({
            "summary": format!("Opened {opened} of {} pull requests: {}.", outcomes.len(), outcome_lines(&outcomes)),
            "pull_requests": outcomes,
        }))
    }
}

/// `merge_pull_requests`: one branch's pull requests merged in dependency order, when allowed.
pub struct MergePullRequestsTool(pub(crate) Shared);

#[async_trait]
impl Tool for MergePullRequestsTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "merge_pull_requests",
            "Merge the open pull requests of a branch across repositories, dependencies first, only \
             when every one has passing checks, allowing reviews and no conflict; otherwise \
             nothing is merged and the reasons are returned.",
            json!({"type": "object", "additionalProperties": false, "required": ["branch"],
            "properties": {
                "branch": {"type": "string", "minLength": 1},
                "method": {"type": "string", "enum": ["merge", "squash", "rebase"]},
                "repos": repos_schema()
            }}),
            Permission::WriteRepos,
        )
        .needs_approval()
    }

    fn approval_question(&self, args: &Value) -> String {
        let branch = args["branch"].as_str().unwrap_or_default();
        let repos = names(args, "repos")
            .filter(|r| !r.is_empty())
            .map(|r| format!(" in {}", r.join(", ")))
            .unwrap_or_default();
        format!("Merge the pull requests of branch {branch}{repos}? Allow it?")
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let method: MergeMethod = args
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("merge")
            .parse()
            .map_err(ToolError::Failed)?;
        let branch = args["branch"].as_str().unwrap_or_default();
        let outcomes = ops::merge_pull_requests(
            self.0.graph.workspace(),
            self.0.github.as_ref(),
            branch,
            &selection(&args),
            method,
        )
        .await
        .map_err(failed)?;
        let merged = outcomes.iter().filter(|o| o.merge_sha.is_some()).count();
        Ok(json!({
            "summary": format!("Merged {merged} of {}: {}.", outcomes.len(), outcome_lines(&outcomes)),
            "pull_requests": outcomes,
        }))
    }
}

/// `create_issue`: open an issue.
pub struct CreateIssueTool(pub(crate) Shared);

#[async_trait]
impl Tool for CreateIssueTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec::new(
            "create_issue",
            "Open a GitHub issue in a repository, with optional labels.",
            json!({"type": "object", "additionalProperties": false, "required": ["repo", "title"],
            "properties": {
                "repo": repo_schema(),
                "title": {"type": "string", "minLength": 1},
                "body": {"type": "string"},
                "labels": {"type": "array", "items": {"type": "string", "minLength": 1}}
            }}),
            Permission::WriteRepos,
        )
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let slug = self.0.slug(args["repo"].as_str().unwrap_or_default())?;
        let issue = NewIssue {
            title: args["title"].as_str().unwrap_or_default().to_owned(),
            body: args
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            labels: names(&args, "labels").unwrap_or_default(),
        };
        let created = self
            .0
            .github
            .create_issue(&slug, &issue)
            .await
            .map_err(failed)?;
        Ok(json!({
            "summary": format!("Opened issue {}#{}.", self.0.name_of(&slug), created.number),
            "number": created.number,
            "url": created.url,
        }))
    }
}
