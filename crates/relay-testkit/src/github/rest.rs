//! The REST operations the peer serves, by GitHub's operation id. Each response starts as the
//! minimal body GitHub's description allows ([`Operation::example_response`]) and is filled with
//! the peer's data; the server then checks it against the description.

use serde_json::{Value, json};

use super::openapi::{OpenApi, Operation};
use super::state::{LineComment, PullState, RepoState, ReviewState, State};

/// A reply: status and JSON body.
pub(crate) type Reply = (u16, Value);

/// What a handler gets.
pub(crate) struct Call<'a> {
    pub(crate) op: &'a Operation<'a>,
    pub(crate) api: &'a OpenApi,
    pub(crate) params: &'a [(String, String)],
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: Option<&'a Value>,
    pub(crate) base_url: &'a str,
}

impl Call<'_> {
    fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    fn number(&self, name: &str) -> u64 {
        self.param(name).parse().unwrap_or(0)
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn field(&self, name: &str) -> Option<&Value> {
        self.body.and_then(|b| b.get(name))
    }

    fn user(&self, login: &str) -> Value {
        let mut user = self
            .api
            .example(&json!({"$ref": "#/components/schemas/simple-user"}));
        user["login"] = json!(login);
        user["html_url"] = json!(format!("{}/{login}", self.base_url));
        user
    }

    fn schema(&self, name: &str) -> Value {
        self.api
            .example(&json!({ "$ref": format!("#/components/schemas/{name}") }))
    }
}

/// GitHub's error body.
pub(crate) fn error(status: u16, message: &str) -> Reply {
    (
        status,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string() }),
    )
}

/// Dispatches by operation id; `None` when the peer does not serve the operation.
pub(crate) fn handle(state: &mut State, call: &Call<'_>) -> Option<Reply> {
    let id = call.op.id().to_owned();
    let (owner, name) = (
        call.param("owner").to_owned(),
        call.param("repo").to_owned(),
    );
    if state.repo(&owner, &name).is_none() {
        return Some(error(404, "Not Found"));
    }
    let reply = match id.as_str() {
        "pulls/get" => get_pull(state, call, &owner, &name),
        "pulls/list" => list_pulls(state, call, &owner, &name),
        "pulls/list-files" => with_pull(state, call, &owner, &name, |_, p, c| {
            let files: Vec<Value> = p
                .files
                .iter()
                .map(|f| {
                    let mut v = c.schema("diff-entry");
                    v["filename"] = json!(f.path);
                    v["status"] = json!(f.status);
                    v["additions"] = json!(f.additions);
                    v["deletions"] = json!(f.deletions);
                    v["changes"] = json!(f.additions + f.deletions);
                    v
                })
                .collect();
            (200, Value::Array(files))
        }),
        "pulls/list-reviews" => with_pull(state, call, &owner, &name, |_, p, c| {
            (
                200,
                Value::Array(p.reviews.iter().map(|r| review_json(c, p, r)).collect()),
            )
        }),
        "pulls/list-review-comments" => with_pull(state, call, &owner, &name, |_, p, c| {
            (
                200,
                Value::Array(
                    p.line_comments
                        .iter()
                        .map(|l| line_comment_json(c, p, l))
                        .collect(),
                ),
            )
        }),
        "checks/list-for-ref" => checks_for_ref(state, call, &owner, &name),
        "repos/get-combined-status-for-ref" => status_for_ref(state, call, &owner, &name),
        "pulls/create" => create_pull(state, call, &owner, &name),
        "pulls/update" => update_pull(state, call, &owner, &name),
        "issues/create-comment" => create_comment(state, call, &owner, &name),
        "pulls/create-review" => create_review(state, call, &owner, &name),
        "pulls/merge" => merge(state, call, &owner, &name),
        "issues/create" => create_issue(state, call, &owner, &name),
        "repos/get" => get_repo(state, call, &owner, &name),
        "issues/list-for-repo" => list_issues(state, call, &owner, &name),
        _ => return None,
    };
    Some(reply)
}

fn pull_json(call: &Call<'_>, repo: &RepoState, p: &PullState, full: bool) -> Value {
    let mut v = call.schema(if full {
        "pull-request"
    } else {
        "pull-request-simple"
    });
    let html = format!(
        "{}/{}/{}/pull/{}",
        call.base_url, repo.owner, repo.name, p.number
    );
    v["number"] = json!(p.number);
    v["title"] = json!(p.title);
    v["body"] = json!(p.body);
    v["state"] = json!(p.state);
    v["draft"] = json!(p.draft);
    v["html_url"] = json!(html);
    v["user"] = call.user(&p.author);
    v["head"]["ref"] = json!(p.head);
    v["head"]["sha"] = json!(p.head_sha);
    v["head"]["label"] = json!(format!("{}:{}", repo.owner, p.head));
    v["base"]["ref"] = json!(p.base);
    v["base"]["label"] = json!(format!("{}:{}", repo.owner, p.base));
    if full {
        v["merged"] = json!(p.merged);
        v["mergeable"] = json!(p.mergeable);
        v["mergeable_state"] = json!(match p.mergeable {
            Some(true) => "clean",
            Some(false) => "dirty",
            None => "unknown",
        });
        v["merge_commit_sha"] = json!(p.merge_sha);
        v["additions"] = json!(p.files.iter().map(|f| f.additions).sum::<u64>());
        v["deletions"] = json!(p.files.iter().map(|f| f.deletions).sum::<u64>());
        v["changed_files"] = json!(p.files.len());
        v["review_comments"] = json!(p.line_comments.len());
        v["comments"] = json!(p.comments.len());
    }
    v
}

fn review_json(call: &Call<'_>, p: &PullState, r: &ReviewState) -> Value {
    let mut v = call.schema("pull-request-review");
    v["id"] = json!(r.id);
    v["user"] = call.user(&r.author);
    v["state"] = json!(r.state);
    v["body"] = json!(r.body);
    v["commit_id"] = json!(p.head_sha);
    v["html_url"] = json!(format!(
        "{}/pull/{}#pullrequestreview-{}",
        call.base_url, p.number, r.id
    ));
    v
}

fn line_comment_json(call: &Call<'_>, p: &PullState, l: &LineComment) -> Value {
    let mut v = call.schema("pull-request-review-comment");
    v["id"] = json!(l.id);
    v["user"] = call.user(&l.author);
    v["path"] = json!(l.path);
    v["line"] = json!(l.line);
    v["body"] = json!(l.body);
    v["commit_id"] = json!(p.head_sha);
    v
}

fn with_pull(
    state: &mut State,
    call: &Call<'_>,
    owner: &str,
    name: &str,
    f: impl FnOnce(&RepoState, &PullState, &Call<'_>) -> Reply,
) -> Reply {
    let repo = state.repo(owner, name).expect("checked");
    let number = call.number("pull_number");
    match repo.pulls.iter().find(|p| p.number == number) {
        Some(p) => f(repo, p, call),
        None => error(404, "Not Found"),
    }
}

fn get_pull(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    with_pull(state, call, owner, name, |repo, p, c| {
        (200, pull_json(c, repo, p, true))
    })
}

fn list_pulls(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let repo = state.repo(owner, name).expect("checked");
    let wanted_state = call.query("state").unwrap_or("open");
    let head = call.query("head");
    let base = call.query("base");
    let pulls: Vec<Value> = repo
        .pulls
        .iter()
        .filter(|p| wanted_state == "all" || p.state == wanted_state)
        .filter(|p| head.is_none_or(|h| h == format!("{}:{}", repo.owner, p.head)))
        .filter(|p| base.is_none_or(|b| b == p.base))
        .map(|p| pull_json(call, repo, p, false))
        .collect();
    (200, Value::Array(pulls))
}

fn checks_for_ref(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let repo = state.repo(owner, name).expect("checked");
    let Some(sha) = repo.resolve(call.param("ref")) else {
        return error(
            422,
            &format!("No commit found for SHA: {}", call.param("ref")),
        );
    };
    let runs: Vec<Value> = repo
        .check_runs
        .get(&sha)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            let mut v = call.schema("check-run");
            v["id"] = json!(i + 1);
            v["name"] = json!(r.name);
            v["head_sha"] = json!(sha);
            v["status"] = json!(r.status);
            v["conclusion"] = json!(r.conclusion);
            v["html_url"] = json!(format!(
                "{}/{}/{}/runs/{}",
                call.base_url, repo.owner, repo.name, r.name
            ));
            v
        })
        .collect();
    let mut v = call.op.example_response(200);
    v["total_count"] = json!(runs.len());
    v["check_runs"] = Value::Array(runs);
    (200, v)
}

fn status_for_ref(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let repo = state.repo(owner, name).expect("checked");
    let Some(sha) = repo.resolve(call.param("ref")) else {
        return error(404, "Not Found");
    };
    let statuses: Vec<Value> = repo
        .statuses
        .get(&sha)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, s)| {
            let mut v = call.schema("simple-commit-status");
            v["id"] = json!(i + 1);
            v["context"] = json!(s.context);
            v["state"] = json!(s.state);
            v["target_url"] = json!(format!("{}/ci/{}", call.base_url, s.context));
            v
        })
        .collect();
    let combined = if statuses
        .iter()
        .any(|s| s["state"] == "failure" || s["state"] == "error")
    {
        "failure"
    } else if statuses.iter().all(|s| s["state"] == "success") && !statuses.is_empty() {
        "success"
    } else {
        "pending"
    };
    let mut v = call.op.example_response(200);
    v["state"] = json!(combined);
    v["sha"] = json!(sha);
    v["total_count"] = json!(statuses.len());
    v["statuses"] = Value::Array(statuses);
    (200, v)
}

fn create_pull(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let head = call
        .field("head")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let base = call
        .field("base")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let title = call
        .field("title")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let viewer = state.viewer.clone();
    let number = state.id();
    let tick = state.tick();
    let repo = state.repo_mut(owner, name).expect("checked");
    if title.is_empty() {
        return (
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "title", "code": "missing_field"}], "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    let Some(head_sha) = repo.branches.get(&head).cloned() else {
        return (
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}], "documentation_url": "https://docs.github.com/rest"}),
        );
    };
    if !repo.branches.contains_key(&base) {
        return (
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "base", "code": "invalid"}], "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    if repo
        .pulls
        .iter()
        .any(|p| p.state == "open" && p.head == head && p.base == base)
    {
        return (
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": format!("A pull request already exists for {owner}:{head}.")}], "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    let mut pull = PullState::new(&title, &viewer, &head, &base);
    pull.number = number;
    pull.head_sha = head_sha;
    pull.updated = tick;
    pull.body = call
        .field("body")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    pull.draft = call
        .field("draft")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    repo.pulls.push(pull);
    let repo = state.repo(owner, name).expect("checked");
    let p = repo.pulls.last().expect("pushed");
    (201, pull_json(call, repo, p, true))
}

fn update_pull(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let number = call.number("pull_number");
    let tick = state.tick();
    let repo = state.repo_mut(owner, name).expect("checked");
    let Some(p) = repo.pulls.iter_mut().find(|p| p.number == number) else {
        return error(404, "Not Found");
    };
    if let Some(body) = call.field("body").and_then(Value::as_str) {
        p.body = body.to_owned();
    }
    if let Some(title) = call.field("title").and_then(Value::as_str) {
        p.title = title.to_owned();
    }
    p.updated = tick;
    let repo = state.repo(owner, name).expect("checked");
    let p = repo
        .pulls
        .iter()
        .find(|p| p.number == number)
        .expect("found");
    (200, pull_json(call, repo, p, true))
}

fn create_comment(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let number = call.number("issue_number");
    let body = call
        .field("body")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let viewer = state.viewer.clone();
    let id = state.id();
    let repo = state.repo_mut(owner, name).expect("checked");
    let Some(p) = repo.pulls.iter_mut().find(|p| p.number == number) else {
        return error(404, "Not Found");
    };
    p.comments.push((viewer.clone(), body.clone()));
    let mut v = call.op.example_response(201);
    v["id"] = json!(id);
    v["body"] = json!(body);
    v["user"] = call.user(&viewer);
    v["html_url"] = json!(format!(
        "{}/{owner}/{name}/pull/{number}#issuecomment-{id}",
        call.base_url
    ));
    (201, v)
}

fn create_review(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let number = call.number("pull_number");
    let viewer = state.viewer.clone();
    let id = state.id();
    let mut comment_ids = Vec::new();
    let comments = call
        .field("comments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for _ in &comments {
        comment_ids.push(state.id());
    }
    let event = call
        .field("event")
        .and_then(Value::as_str)
        .unwrap_or("PENDING")
        .to_owned();
    let body = call
        .field("body")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let repo = state.repo_mut(owner, name).expect("checked");
    let Some(p) = repo.pulls.iter_mut().find(|p| p.number == number) else {
        return error(404, "Not Found");
    };
    if p.author == viewer && event != "COMMENT" {
        let what = if event == "APPROVE" {
            "approve"
        } else {
            "request changes on"
        };
        return (
            422,
            json!({"message": "Unprocessable Entity", "errors": [format!("Review Can not {what} your own pull request")], "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    if (event == "REQUEST_CHANGES" || event == "COMMENT") && body.is_empty() && comments.is_empty()
    {
        return (
            422,
            json!({"message": "Unprocessable Entity", "errors": ["Review body is required"], "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    for c in &comments {
        let path = c.get("path").and_then(Value::as_str).unwrap_or_default();
        let line = c.get("line").and_then(Value::as_u64).unwrap_or(0);
        if !p.files.iter().any(|f| f.path == path) || line == 0 {
            return (
                422,
                json!({"message": "Unprocessable Entity", "errors": [format!("Line could not be resolved: {path}:{line} is not part of the diff")], "documentation_url": "https://docs.github.com/rest"}),
            );
        }
    }
    for (c, cid) in comments.iter().zip(comment_ids) {
        p.line_comments.push(LineComment {
            id: cid,
            author: viewer.clone(),
            path: c
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            line: c.get("line").and_then(Value::as_u64).unwrap_or(0),
            body: c
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        });
    }
    let review_state = match event.as_str() {
        "APPROVE" => "APPROVED",
        "REQUEST_CHANGES" => "CHANGES_REQUESTED",
        "COMMENT" => "COMMENTED",
        _ => "PENDING",
    };
    let review = ReviewState {
        id,
        author: viewer.clone(),
        state: review_state.into(),
        body,
    };
    p.reviews.push(review.clone());
    p.requested_reviewers.retain(|r| r != &viewer);
    match review_state {
        "APPROVED" => p.review_decision = Some("APPROVED".into()),
        "CHANGES_REQUESTED" => p.review_decision = Some("CHANGES_REQUESTED".into()),
        _ => {}
    }
    let p = p.clone();
    (200, review_json(call, &p, &review))
}

fn merge(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let number = call.number("pull_number");
    let sha = state.sha();
    let repo = state.repo_mut(owner, name).expect("checked");
    let Some(p) = repo.pulls.iter_mut().find(|p| p.number == number) else {
        return error(404, "Not Found");
    };
    if p.merged || p.state != "open" || p.mergeable == Some(false) || p.draft {
        return error(405, "Pull Request is not mergeable");
    }
    p.merged = true;
    p.state = "closed".into();
    p.merge_sha = Some(sha.clone());
    let base = p.base.clone();
    repo.branches.insert(base, sha.clone());
    let mut v = call.op.example_response(200);
    v["sha"] = json!(sha);
    v["merged"] = json!(true);
    v["message"] = json!("Pull Request successfully merged");
    (200, v)
}

fn create_issue(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let title = call
        .field("title")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let labels: Vec<String> = call
        .field("labels")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let number = state.id();
    let tick = state.tick();
    let repo = state.repo_mut(owner, name).expect("checked");
    repo.issues.push(super::state::IssueState {
        number,
        title: title.clone(),
        body: call
            .field("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        labels: labels.clone(),
        assignees: Vec::new(),
        state: "open".into(),
        updated: tick,
    });
    let mut v = call.op.example_response(201);
    v["number"] = json!(number);
    v["title"] = json!(title);
    v["state"] = json!("open");
    v["html_url"] = json!(format!("{}/{owner}/{name}/issues/{number}", call.base_url));
    v["labels"] = json!(labels);
    (201, v)
}

fn get_repo(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let repo = state.repo(owner, name).expect("checked");
    let mut v = call.op.example_response(200);
    v["name"] = json!(repo.name);
    v["full_name"] = json!(format!("{}/{}", repo.owner, repo.name));
    v["default_branch"] = json!(repo.default_branch);
    v["html_url"] = json!(format!("{}/{}/{}", call.base_url, repo.owner, repo.name));
    (200, v)
}

fn list_issues(state: &mut State, call: &Call<'_>, owner: &str, name: &str) -> Reply {
    let repo = state.repo(owner, name).expect("checked");
    let wanted_state = call.query("state").unwrap_or("open");
    let assignee = call.query("assignee");
    let issues: Vec<Value> = repo
        .issues
        .iter()
        .filter(|i| wanted_state == "all" || i.state == wanted_state)
        .filter(|i| assignee.is_none_or(|a| i.assignees.iter().any(|x| x == a)))
        .map(|i| {
            let mut v = call.schema("issue");
            v["number"] = json!(i.number);
            v["title"] = json!(i.title);
            v["state"] = json!(i.state);
            v["labels"] = json!(i.labels);
            v["html_url"] = json!(format!(
                "{}/{}/{}/issues/{}",
                call.base_url, repo.owner, repo.name, i.number
            ));
            v
        })
        .collect();
    (200, Value::Array(issues))
}
