//! Options every command shares and the workspace they open.

use std::path::PathBuf;

use clap::Args;
use relay::core::Workspace;
use relay::repos::GitRepoGraph;
use relay::{Relay, RelayBuilder, StoreChoice};

use crate::error::CliError;
use crate::output::Style;

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The workspace: a directory with relay.yaml, or the file itself. Default: the nearest
    /// relay.yaml in the current directory or a parent.
    #[arg(
        long,
        short = 'w',
        global = true,
        env = "RELAY_WORKSPACE",
        value_name = "PATH"
    )]
    pub workspace: Option<PathBuf>,

    /// How many repositories to work on at once (default: the number of cores).
    #[arg(
        long,
        short = 'j',
        global = true,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub jobs: usize,

    /// Relay's store: sqlite:PATH or redis://HOST:PORT/DB (default: store.url in relay.yaml,
    /// else <workspace>/.relay/relay.db).
    #[arg(long, global = true, env = "RELAY_STORE_URL", value_name = "URL")]
    pub store: Option<String>,

    /// Act as the user this token (from `relay team token create`) belongs to, instead of
    /// RELAY_USER or the OS user.
    #[arg(
        long,
        global = true,
        env = "RELAY_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// When to use colour: auto (when stdout is a terminal), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl Global {
    /// Loads the workspace named by `--workspace` / `RELAY_WORKSPACE`, or discovers it.
    pub fn workspace(&self) -> Result<Workspace, CliError> {
        Ok(match &self.workspace {
            Some(path) => Workspace::load(path)?,
            None => Workspace::discover(std::env::current_dir()?)?,
        })
    }

    /// A [`Relay`] builder for the workspace named by `--workspace` / `RELAY_WORKSPACE` (else
    /// discovered from the current directory), working on `--jobs` repositories at once.
    pub fn relay(&self) -> RelayBuilder {
        let mut builder = Relay::builder().jobs(self.jobs);
        if let Some(token) = self.token.as_deref().filter(|t| !t.trim().is_empty()) {
            builder = builder.token(token);
        }
        match &self.workspace {
            Some(path) => builder.workspace(path),
            None => builder,
        }
    }

    /// The store `--store` / `RELAY_STORE_URL` names, else the configured one.
    pub fn store_choice(&self) -> Result<StoreChoice, CliError> {
        Ok(match &self.store {
            Some(url) if !url.trim().is_empty() => StoreChoice::url(url)?,
            _ => StoreChoice::Configured,
        })
    }

    /// Relay with its memory: the workspace when there is one, the store, the acting user
    /// (`RELAY_USER`, else the OS user). An unreachable store or a user not in the team fails.
    pub async fn remember(&self) -> Result<Relay, CliError> {
        Ok(self
            .relay()
            .workspace_if_found()
            .store(self.store_choice()?)
            .build()
            .await?)
    }

    /// The repository graph over the workspace.
    pub fn graph(&self) -> Result<GitRepoGraph, CliError> {
        Ok(GitRepoGraph::with_jobs(self.workspace()?, self.jobs))
    }

    /// Output styling for stdout.
    pub fn style(&self) -> Style {
        use std::io::IsTerminal;
        let enabled = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Style { enabled }
    }
}
