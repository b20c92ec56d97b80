//! `relay pr list|show|create|review|merge|checks`: pull requests across the workspace.

use relay::core::repo::RepoSelection;
use relay::github::ops::{self, PullRequestsPlan, RepoPullOutcome};
use relay::github::{
    CheckState, ChecksSummary, InlineComment, MergeMethod, ReviewEvent, ReviewSubmission,
};
use serde_json::json;

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, Style, Table, print_json};

/// Arguments of `relay pr`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

impl Args {
    /// The name the subcommand is audited under; `None` for the ones that only read.
    pub fn audited_as(&self) -> Option<&'static str> {
        match &self.command {
            Command::Create(_) => Some("relay pr create"),
            Command::Review(_) => Some("relay pr review"),
            Command::Merge(_) => Some("relay pr merge"),
            Command::List(_) | Command::Show(_) | Command::Checks(_) => None,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Open pull requests: author, draft, branches, review decision, review requests, checks.
    List(ListArgs),
    /// One pull request in full: files, reviews, review comments, checks.
    Show(ShowArgs),
    /// Open pull requests for one (pushed) branch across repositories, dependencies first.
    Create(CreateArgs),
    /// Approve, request changes or comment, with comments on lines.
    Review(ReviewArgs),
    /// Merge a branch's pull requests in dependency order when checks and reviews allow.
    Merge(MergeArgs),
    /// The checks of a branch (default: each default branch), check runs and statuses combined.
    Checks(ChecksArgs),
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Only these repositories (comma-separated; workspace names or OWNER/NAME).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    repos: Vec<String>,
    /// Only pull requests asking for your review.
    #[arg(long)]
    review_requested: bool,
    /// Print JSON: `{"pull_requests": [...]}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The repository (workspace name or OWNER/NAME).
    repo: String,
    /// The pull request's number.
    number: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct CreateArgs {
    /// The branch with the change (pushed to each repository).
    #[arg(long)]
    branch: String,
    /// The title of each pull request.
    #[arg(long)]
    title: String,
    /// The description; each also lists the others.
    #[arg(long, default_value = "")]
    body: String,
    /// The branch to merge into (default: each repository's default branch).
    #[arg(long)]
    base: Option<String>,
    /// Open them as drafts.
    #[arg(long)]
    draft: bool,
    /// Only these repositories (default: every repository on GitHub).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    repos: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ReviewArgs {
    /// The repository (workspace name or OWNER/NAME).
    repo: String,
    /// The pull request's number.
    number: u64,
    /// Approve.
    #[arg(long, group = "event")]
    approve: bool,
    /// Request changes (needs --message).
    #[arg(long, group = "event")]
    request_changes: bool,
    /// Comment without approving or blocking.
    #[arg(long, group = "event")]
    comment: bool,
    /// The review's text.
    #[arg(long, short, default_value = "")]
    message: String,
    /// A comment on a line: `FILE:LINE=TEXT` (repeatable).
    #[arg(long = "line", value_name = "FILE:LINE=TEXT")]
    lines: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The branch whose pull requests to merge.
    #[arg(long)]
    branch: String,
    /// merge, squash or rebase.
    #[arg(long, default_value = "merge")]
    method: String,
    /// Only these repositories (default: every repository with a pull request for the branch).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    repos: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ChecksArgs {
    /// Branch, tag or commit (default: each repository's default branch).
    #[arg(long)]
    branch: Option<String>,
    /// Only these repositories (comma-separated; workspace names or OWNER/NAME).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    repos: Vec<String>,
    /// Print JSON: `{"checks": [...]}`.
    #[arg(long)]
    json: bool,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    match args.command {
        Command::List(a) => list(g, a).await,
        Command::Show(a) => show(g, a).await,
        Command::Create(a) => create(g, a).await,
        Command::Review(a) => review(g, a).await,
        Command::Merge(a) => merge(g, a).await,
        Command::Checks(a) => checks(g, a).await,
    }
}

fn selection(repos: &[String]) -> RepoSelection {
    if repos.is_empty() {
        RepoSelection::All
    } else {
        RepoSelection::Named(repos.to_vec())
    }
}

fn state_color(state: CheckState) -> Color {
    match state {
        CheckState::Success => Color::Green,
        CheckState::Failure => Color::Red,
        CheckState::Pending => Color::Yellow,
        CheckState::Skipped | CheckState::None => Color::Dim,
    }
}

async fn list(g: &Global, args: ListArgs) -> CliResult {
    let (graph, github) = super::github::parts(g).await?;
    let slugs = super::github::slugs(graph.as_ref(), &args.repos)?;
    let overview = github
        .overview(&slugs.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>())
        .await?;
    let mut rows = Vec::new();
    let mut failed = false;
    for ((name, _), repo) in slugs.iter().zip(&overview.repos) {
        if let Some(e) = &repo.error {
            eprintln!("error: {name}: {e}");
            failed = true;
        }
        for p in &repo.pull_requests {
            if !args.review_requested || p.review_requested_from_me {
                rows.push((name.clone(), p.clone()));
            }
        }
    }
    if args.json {
        let pulls: Vec<_> = rows
            .iter()
            .map(|(name, p)| {
                let mut v = json!(p);
                v["name"] = json!(name);
                v
            })
            .collect();
        print_json(&json!({ "viewer": overview.viewer, "pull_requests": pulls }));
    } else {
        let mut table = Table::new(vec![
            "REPO", "#", "TITLE", "AUTHOR", "BRANCH", "REVIEW", "CHECKS",
        ]);
        for (name, p) in &rows {
            let review = match (p.review_requested_from_me, p.review_decision) {
                (true, _) => ("you are asked".to_owned(), Color::Yellow),
                (false, Some(d)) => (
                    json!(d).as_str().unwrap_or_default().replace('_', " "),
                    Color::Plain,
                ),
                (false, None) => ("-".to_owned(), Color::Dim),
            };
            table.row(vec![
                (name.clone(), Color::Cyan),
                (p.number.to_string(), Color::Plain),
                (
                    format!("{}{}", if p.draft { "[draft] " } else { "" }, p.title),
                    Color::Plain,
                ),
                (p.author.clone(), Color::Plain),
                (format!("{} -> {}", p.head, p.base), Color::Dim),
                review,
                (p.checks.describe(), state_color(p.checks.state)),
            ]);
        }
        if rows.is_empty() {
            println!("No open pull requests.");
        } else {
            print!("{}", table.render(g.style()));
        }
    }
    if failed {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

async fn show(g: &Global, args: ShowArgs) -> CliResult {
    let (graph, github) = super::github::parts(g).await?;
    let slug = super::github::slug(graph.as_ref(), &args.repo)?;
    let pr = github.pull_request(&slug, args.number).await?;
    if args.json {
        print_json(&pr);
        return Ok(());
    }
    let style = g.style();
    println!(
        "{}",
        style.paint(Color::Bold, &format!("{}#{} {}", slug, pr.number, pr.title))
    );
    println!(
        "{} wants to merge {} into {} ({})",
        pr.author, pr.head, pr.base, pr.url
    );
    let mut files = Table::new(vec!["FILE", "STATUS", "+", "-"]);
    for f in &pr.files {
        files.row(vec![
            (f.path.clone(), Color::Plain),
            (f.status.clone(), Color::Dim),
            (format!("+{}", f.additions), Color::Green),
            (format!("-{}", f.deletions), Color::Red),
        ]);
    }
    print!("\n{}", files.render(style));
    print!("\n{}", render_checks(&pr.checks, style));
    for r in &pr.reviews {
        println!(
            "review by {}: {}{}",
            r.author,
            r.state,
            if r.body.is_empty() {
                String::new()
            } else {
                format!(" — {}", r.body)
            }
        );
    }
    for c in &pr.review_comments {
        println!(
            "{} on {}:{}: {}",
            c.author,
            c.path,
            c.line.map(|l| l.to_string()).unwrap_or("-".into()),
            c.body
        );
    }
    Ok(())
}

fn render_checks(checks: &ChecksSummary, style: Style) -> String {
    let mut table = Table::new(vec!["CHECK", "STATE"]);
    for c in &checks.checks {
        table.row(vec![
            (c.name.clone(), Color::Plain),
            (c.state.as_str().into(), state_color(c.state)),
        ]);
    }
    format!(
        "{}{}\n",
        table.render(style),
        style.paint(state_color(checks.state), &checks.describe())
    )
}

fn print_outcomes(outcomes: &[RepoPullOutcome], json_out: bool) -> CliResult {
    if json_out {
        print_json(&json!({ "pull_requests": outcomes }));
    } else {
        for o in outcomes {
            match (&o.pull, &o.error, &o.merge_sha) {
                (Some(p), None, Some(sha)) => println!(
                    "{}: merged #{} ({})",
                    o.repo,
                    p.number,
                    &sha[..sha.len().min(12)]
                ),
                (Some(p), None, None) => println!("{}: #{} {}", o.repo, p.number, p.url),
                (_, Some(e), _) => println!("{}: {e}", o.repo),
                (None, None, _) => println!("{}: -", o.repo),
            }
        }
    }
    if outcomes.iter().any(|o| o.error.is_some()) {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

async fn create(g: &Global, args: CreateArgs) -> CliResult {
    let (graph, github) = super::github::parts(g).await?;
    let plan = PullRequestsPlan {
        branch: args.branch,
        title: args.title,
        body: args.body,
        base: args.base,
        draft: args.draft,
        repos: selection(&args.repos),
    };
    let outcomes = ops::create_pull_requests(graph.workspace(), github.as_ref(), &plan).await?;
    print_outcomes(&outcomes, args.json)
}

async fn merge(g: &Global, args: MergeArgs) -> CliResult {
    let (graph, github) = super::github::parts(g).await?;
    let method: MergeMethod = args.method.parse().map_err(CliError::usage)?;
    let outcomes = ops::merge_pull_requests(
        graph.workspace(),
        github.as_ref(),
        &args.branch,
        &selection(&args.repos),
        method,
    )
    .await?;
    print_outcomes(&outcomes, args.json)
}

async fn review(g: &Global, args: ReviewArgs) -> CliResult {
    let event = match (args.approve, args.request_changes, args.comment) {
        (true, _, _) => ReviewEvent::Approve,
        (_, true, _) => ReviewEvent::RequestChanges,
        (_, _, true) => ReviewEvent::Comment,
        _ => {
            return Err(CliError::usage(
                "say what the review does: --approve, --request-changes or --comment",
            ));
        }
    };
    let comments = args
        .lines
        .iter()
        .map(|l| {
            let (location, text) = l.split_once('=').ok_or_else(|| {
                CliError::usage(format!("--line `{l}`: write it as FILE:LINE=TEXT"))
            })?;
            InlineComment::parse_location(location, text)
                .map_err(|e| CliError::usage(format!("--line: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (graph, github) = super::github::parts(g).await?;
    let slug = super::github::slug(graph.as_ref(), &args.repo)?;
    let submission = ReviewSubmission {
        event,
        body: args.message,
        comments,
    };
    let created = github.review(&slug, args.number, &submission).await?;
    if args.json {
        print_json(&created);
    } else {
        println!(
            "{} {slug}#{} ({})",
            match event {
                ReviewEvent::Approve => "approved",
                ReviewEvent::RequestChanges => "requested changes on",
                ReviewEvent::Comment => "commented on",
            },
            args.number,
            created.url
        );
    }
    Ok(())
}

async fn checks(g: &Global, args: ChecksArgs) -> CliResult {
    let (graph, github) = super::github::parts(g).await?;
    let slugs = super::github::slugs(graph.as_ref(), &args.repos)?;
    let mut out = Vec::new();
    let mut failed = false;
    match &args.branch {
        Some(branch) => {
            for (name, slug) in &slugs {
                match github.checks(slug, branch).await {
                    Ok(c) => out.push((name.clone(), branch.clone(), Ok(c))),
                    Err(e) => out.push((name.clone(), branch.clone(), Err(e.to_string()))),
                }
            }
        }
        None => {
            let overview = github
                .overview(&slugs.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>())
                .await?;
            for ((name, _), repo) in slugs.iter().zip(overview.repos) {
                let branch = repo.default_branch.clone().unwrap_or_default();
                out.push((
                    name.clone(),
                    branch,
                    repo.error.map_or(Ok(repo.checks), Err),
                ));
            }
        }
    }
    if args.json {
        let checks: Vec<_> = out
            .iter()
            .map(|(name, branch, r)| match r {
                Ok(c) => json!({"name": name, "ref": branch, "checks": c}),
                Err(e) => json!({"name": name, "ref": branch, "error": e}),
            })
            .collect();
        print_json(&json!({ "checks": checks }));
    } else {
        let style = g.style();
        for (name, branch, r) in &out {
            match r {
                Ok(c) => {
                    println!("{}", style.paint(Color::Bold, &format!("{name} {branch}")));
                    print!("{}", render_checks(c, style));
                }
                Err(e) => println!("{name} {branch}: {e}"),
            }
        }
    }
    for (_, _, r) in &out {
        match r {
            Err(_) => failed = true,
            Ok(c) if c.state == CheckState::Failure => failed = true,
            _ => {}
        }
    }
    if failed {
        return Err(CliError::reported_failure());
    }
    Ok(())
}
