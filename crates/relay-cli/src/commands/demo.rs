//! `relay demo`: the sample workspace, made offline, and a tour of it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use relay::core::approval::{ApprovalDecision, FixedApprover};
use relay::core::repo::{RepoSelection, SyncOptions};
use relay::core::tools::{SessionContext, ToolRegistry};
use relay::repos::demo;
use relay::{
    AgentChoice, AgentConfig, EnvironmentsConfig, ProviderKind, Relay, TransportKind, VoiceConfig,
};

use crate::context::Global;
use crate::error::{CliError, CliResult};
use crate::output::{Color, Style};
use crate::progress::drive;

/// Arguments of `relay demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the demo (must be missing or empty).
    #[arg(long, value_name = "DIR", default_value = "relay-demo")]
    dir: PathBuf,
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    let style = g.style();
    let dir = std::path::absolute(&args.dir)?;
    let heading = |text: &str| println!("\n{}", style.paint(Color::Bold, &format!("== {text}")));

    heading("Creating the sample workspace (real git repositories, no network)");
    let sample = demo::create_sample_workspace(&dir).map_err(|e| CliError::usage(e.to_string()))?;
    println!(
        "origins (bare, standing in for GitHub): {}",
        sample.origins.display()
    );
    println!(
        "workspace:                              {}",
        sample.workspace.display()
    );
    // Every tool family: repositories, the shell agent, and local environments (below the
    // workspace, in `.relay/envs`).
    let relay = Relay::builder()
        .workspace(&sample.workspace)
        .jobs(g.jobs)
        .agent(AgentConfig::new(AgentChoice::Shell))
        .environments(EnvironmentsConfig::new().provider(ProviderKind::Local))
        .build()
        .await?;
    let graph = relay.require_graph()?;
    let cloned = drive(graph.sync(SyncOptions::new().jobs(g.jobs)), false).await?;
    print!("{}", super::sync::render(&cloned, style));

    demo::stage_morning(&sample)?;
    println!(
        "\nOvernight, a teammate pushed to shared-api and backend; you left work uncommitted in backend\n\
         and an unpushed commit in frontend."
    );

    heading("Morning briefing: relay status");
    let status = graph.status(RepoSelection::All).await?;
    print!(
        "{}",
        super::status::render(graph.workspace().root(), &status, style)
    );

    heading("What a change to shared-api affects: relay impact shared-api");
    let impact = graph.impact(&["shared-api".to_owned()])?;
    print!("{}", super::impact::render(&impact, None, style));

    heading("Bringing everything up to date: relay sync");
    let report = drive(graph.sync(SyncOptions::new().jobs(g.jobs)), false).await?;
    print!("{}", super::sync::render(&report, style));

    heading("Talking to Relay (typed: the text transport stands in for the voice model)");
    // The demo's developer says yes to what needs approval (tearing dev down), like
    // `relay chat --approve allow`.
    let tools = relay
        .tools()?
        .with_approver(Arc::new(FixedApprover(ApprovalDecision::Allow)));
    converse(Arc::new(tools)).await?;

    heading("What happened");
    print!("{}", summary(&sample.workspace, style));
    Ok(())
}

/// What the developer says in the demo conversation, in order.
const CONVERSATION: &[&str] = &[
    "switch to backend",
    "run `touch TODAY.md` in frontend and backend",
    "bring up environment dev",
    "run `ls` in dev",
    "snapshot dev as clean",
    "tear down dev",
];

/// A conversation on the offline text transport over `registry`.
async fn converse(registry: Arc<ToolRegistry>) -> CliResult {
    let session = VoiceConfig::new()
        .transport(TransportKind::Text)
        .start(registry, SessionContext::new())
        .await?;
    let mut no_audio = Vec::new();
    for utterance in CONVERSATION {
        println!();
        session.send_text(*utterance)?;
        super::voice::wait_reply(
            &session,
            false,
            Duration::from_secs(120),
            &mut no_audio,
            None,
        )
        .await?;
    }
    session.close();
    Ok(())
}

fn summary(workspace: &std::path::Path, style: Style) -> String {
    let cmd = |c: &str| style.paint(Color::Cyan, c);
    format!(
        "- Cloned four repositories with gix and read their status the way `git status` does.\n\
         - shared-api was fast-forwarded to the teammate's commits (the sync rule reports who depends on it).\n\
         - backend was behind but has your uncommitted work, so sync left it untouched and said why.\n\
         - frontend is ahead with your unpushed commit; nothing to pull, nothing lost.\n\
         - By text (the same tool registry a voice model uses): a primary project, a command run by the\n  \
         shell agent in two repositories in dependency order (with the files it changed), and a local\n  \
         environment with the repositories cloned in, a command run inside it, a snapshot, its removal.\n\n\
         Try next (inside {}):\n  {}\n  {}\n  {}\n  {}\n  {}\n  {}\n",
        workspace.display(),
        cmd(&format!("cd {}", workspace.display())),
        cmd("relay status --json"),
        cmd("relay graph"),
        cmd("relay branch feature/pagination --affected-by shared-api"),
        cmd("relay commit -a -m 'Paginate orders' --repos backend"),
        cmd("relay chat    # type \"help\""),
    )
}
