//! The batched read behind the briefing: one GraphQL query for many repositories, one alias per
//! repository (`r0`, `r1`, ...), at most [`BATCH`] repositories a query.

use relay_core::github::{
    CheckItem, ChecksSummary, GitHubError, Issue, Mergeable, PullRequest, RepoOverview, RepoSlug,
    ReviewDecision, is_urgent_label,
};
use serde_json::{Value, json};

/// Repositories per query: 50 keeps a query well under GitHub's node limit (500,000) with the
/// page sizes below.
pub(crate) const BATCH: usize = 50;

/// The viewer's login.
pub(crate) const VIEWER_QUERY: &str = "query Viewer { viewer { login } }";

/// The selection that reads a commit's checks, check runs and statuses together.
const ROLLUP: &str = "statusCheckRollup { contexts(first: 100) { nodes { __typename \
    ... on CheckRun { name status conclusion detailsUrl } \
    ... on StatusContext { context state targetUrl } } } }";

/// The query for `repos` (one alias each); `$login` is the viewer, whose assigned issues are
/// read.
pub(crate) fn query(repos: &[RepoSlug]) -> String {
    let mut q = String::from("query Overview($login: String!) {\n");
    for (i, repo) in repos.iter().enumerate() {
        // Owner and name are validated (letters, digits, `.`, `_`, `-`): safe inside quotes.
        q.push_str(&format!(
            "  r{i}: repository(owner: \"{}\", name: \"{}\") {{\n    nameWithOwner\n    \
             defaultBranchRef {{ name target {{ ... on Commit {{ {ROLLUP} }} }} }}\n    \
             pullRequests(states: [OPEN], first: 50, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{ nodes {{ \
             number title url isDraft headRefName baseRefName author {{ login }} reviewDecision mergeable \
             reviewRequests(first: 20) {{ nodes {{ requestedReviewer {{ __typename ... on User {{ login }} }} }} }} \
             commits(last: 1) {{ nodes {{ commit {{ {ROLLUP} }} }} }} }} }}\n    \
             issues(states: [OPEN], first: 50, filterBy: {{assignee: $login}}, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{ nodes {{ \
             number title url labels(first: 20) {{ nodes {{ name }} }} }} }}\n  }}\n",
            repo.owner, repo.name
        ));
    }
    q.push_str("}\n");
    q
}

/// The variables of [`query`].
pub(crate) fn variables(login: &str) -> Value {
    json!({ "login": login })
}

/// The overviews of `repos` from a response to [`query`]: a repository GitHub could not resolve
/// gets its error; a response without `data` is an error for all.
pub(crate) fn parse(
    repos: &[RepoSlug],
    response: &Value,
) -> Result<Vec<RepoOverview>, GitHubError> {
    let errors: Vec<&Value> = response
        .get("errors")
        .and_then(Value::as_array)
        .map(|e| e.iter().collect())
        .unwrap_or_default();
    let Some(data) = response.get("data").filter(|d| d.is_object()) else {
        let message = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(GitHubError::Rejected {
            action: "the overview query".into(),
            message: if message.is_empty() {
                "no data in the answer".into()
            } else {
                message
            },
        });
    };
    let mut out = Vec::new();
    for (i, repo) in repos.iter().enumerate() {
        let alias = format!("r{i}");
        let node = data.get(&alias).filter(|n| n.is_object());
        let Some(node) = node else {
            let why = errors
                .iter()
                .find(|e| {
                    e.get("path")
                        .and_then(Value::as_array)
                        .and_then(|p| p.first())
                        .and_then(Value::as_str)
                        == Some(alias.as_str())
                })
                .and_then(|e| e.get("message").and_then(Value::as_str))
                .unwrap_or("not found, or the token cannot see it");
            out.push(RepoOverview {
                repo: repo.clone(),
                default_branch: None,
                checks: ChecksSummary::default(),
                pull_requests: Vec::new(),
                issues: Vec::new(),
                error: Some(why.to_owned()),
            });
            continue;
        };
        out.push(repo_overview(repo, node));
    }
    Ok(out)
}

fn repo_overview(repo: &RepoSlug, node: &Value) -> RepoOverview {
    let branch = node.get("defaultBranchRef").filter(|b| b.is_object());
    let default_branch = branch
        .and_then(|b| b.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let checks = branch
        .and_then(|b| b.get("target"))
        .map(rollup)
        .unwrap_or_default();
    let pull_requests = nodes(node.get("pullRequests"))
        .iter()
        .map(|p| pull_request(repo, p))
        .collect();
    let issues = nodes(node.get("issues"))
        .iter()
        .map(|i| {
            let labels: Vec<String> = nodes(i.get("labels"))
                .iter()
                .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect();
            Issue {
                repo: repo.clone(),
                number: i.get("number").and_then(Value::as_u64).unwrap_or(0),
                title: str_of(i, "title"),
                urgent: labels.iter().any(|l| is_urgent_label(l)),
                labels,
                url: str_of(i, "url"),
            }
        })
        .collect();
    RepoOverview {
        repo: repo.clone(),
        default_branch,
        checks,
        pull_requests,
        issues,
        error: None,
    }
}

fn pull_request(repo: &RepoSlug, p: &Value) -> PullRequest {
    let review_decision = match p.get("reviewDecision").and_then(Value::as_str) {
        Some("APPROVED") => Some(ReviewDecision::Approved),
        Some("CHANGES_REQUESTED") => Some(ReviewDecision::ChangesRequested),
        Some("REVIEW_REQUIRED") => Some(ReviewDecision::ReviewRequired),
        _ => None,
    };
    let mergeable = match p.get("mergeable").and_then(Value::as_str) {
        Some("MERGEABLE") => Mergeable::Mergeable,
        Some("CONFLICTING") => Mergeable::Conflicting,
        _ => Mergeable::Unknown,
    };
    let checks = nodes(p.get("commits"))
        .first()
        .and_then(|c| c.get("commit"))
        .map(rollup)
        .unwrap_or_default();
    PullRequest {
        repo: repo.clone(),
        number: p.get("number").and_then(Value::as_u64).unwrap_or(0),
        title: str_of(p, "title"),
        author: p
            .get("author")
            .and_then(|a| a.get("login"))
            .and_then(Value::as_str)
            .unwrap_or("ghost")
            .to_owned(),
        draft: p.get("isDraft").and_then(Value::as_bool).unwrap_or(false),
        head: str_of(p, "headRefName"),
        base: str_of(p, "baseRefName"),
        url: str_of(p, "url"),
        review_decision,
        // Filled in by the caller, who knows the viewer.
        review_requested_from_me: false,
        mergeable,
        checks,
    }
}

/// Logins asked to review pull request `p` (users only; team requests name no login).
pub(crate) fn requested_logins(p: &Value) -> Vec<String> {
    nodes(p.get("reviewRequests"))
        .iter()
        .filter_map(|r| r.get("requestedReviewer"))
        .filter_map(|r| r.get("login").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The checks of a commit node with a `statusCheckRollup`.
fn rollup(commit: &Value) -> ChecksSummary {
    let contexts = commit
        .get("statusCheckRollup")
        .and_then(|r| r.get("contexts"));
    ChecksSummary::combine(nodes(contexts).iter().filter_map(|c| {
        match c.get("__typename").and_then(Value::as_str) {
            Some("CheckRun") => Some(
                CheckItem::from_check_run(
                    str_of(c, "name"),
                    c.get("status")
                        .and_then(Value::as_str)
                        .unwrap_or("COMPLETED"),
                    c.get("conclusion").and_then(Value::as_str),
                )
                .with_url(
                    c.get("detailsUrl")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                ),
            ),
            Some("StatusContext") => Some(
                CheckItem::from_status(
                    str_of(c, "context"),
                    c.get("state").and_then(Value::as_str).unwrap_or("PENDING"),
                )
                .with_url(
                    c.get("targetUrl")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                ),
            ),
            _ => None,
        }
    }))
}

fn nodes(connection: Option<&Value>) -> Vec<Value> {
    connection
        .and_then(|c| c.get("nodes"))
        .and_then(Value::as_array)
        .map(|n| n.iter().filter(|v| v.is_object()).cloned().collect())
        .unwrap_or_default()
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Marks pull requests whose review is requested from `viewer`, reading the raw nodes again.
pub(crate) fn mark_requested(overviews: &mut [RepoOverview], response: &Value, viewer: &str) {
    let Some(data) = response.get("data") else {
        return;
    };
    for (i, overview) in overviews.iter_mut().enumerate() {
        let raw = nodes(
            data.get(format!("r{i}"))
                .and_then(|r| r.get("pullRequests")),
        );
        for (pull, node) in overview.pull_requests.iter_mut().zip(raw.iter()) {
            pull.review_requested_from_me = requested_logins(node)
                .iter()
                .any(|l| l.eq_ignore_ascii_case(viewer));
        }
    }
}
