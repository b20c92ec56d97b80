//! `relay team`: the team's users and roles; `relay team token create|revoke|list`.

use relay::core::store::TokenRecord;
use serde_json::json;

use crate::context::Global;
use crate::error::CliResult;
use crate::output::{Color, Table, print_json};

/// Arguments of `relay team`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<TeamCommand>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum TeamCommand {
    /// Users' API tokens (servers authenticate users with them).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Create a token for USER and print it once; only its hash is stored (admins).
    Create {
        /// The user (listed in relay.yaml's team: when there is one).
        user: String,
    },
    /// Revoke every token of USER (admins).
    Revoke {
        /// The user.
        user: String,
    },
    /// List tokens (their public ids, never the tokens).
    List,
}

impl Args {
    /// The name the command is audited under; listings change nothing.
    pub fn audited_as(&self) -> Option<&'static str> {
        match &self.command {
            Some(TeamCommand::Token {
                command: TokenCommand::Create { .. },
            }) => Some("relay team token create"),
            Some(TeamCommand::Token {
                command: TokenCommand::Revoke { .. },
            }) => Some("relay team token revoke"),
            _ => None,
        }
    }
}

pub async fn run(g: &Global, args: Args) -> CliResult {
    match args.command {
        None => members(g, args.json).await,
        Some(TeamCommand::Token { command }) => token(g, command, args.json).await,
    }
}

async fn members(g: &Global, json: bool) -> CliResult {
    let relay = g.relay().workspace_if_found().build().await?;
    let team = relay
        .workspace()
        .map(|w| w.team().to_vec())
        .unwrap_or_default();
    let caller = relay.caller();
    if json {
        print_json(&json!({
            "you": caller,
            "team": team.iter().map(|m| json!({
                "user": m.user, "role": m.role, "limits": m.limits(),
                "permissions": m.role.permissions(),
                "plan_permissions": m.role.plan_permissions(),
            })).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    let style = g.style();
    if team.is_empty() {
        println!(
            "no team: section in relay.yaml; you ({}) act as {}",
            caller.user, caller.role
        );
        return Ok(());
    }
    let mut table = Table::new(vec!["USER", "ROLE", "ENVIRONMENTS", "PROFILES"]);
    for m in &team {
        let limits = m.limits();
        table.row(vec![
            (m.user.clone(), Color::Cyan),
            (m.role.to_string(), Color::Plain),
            (
                limits
                    .max_environments
                    .map_or("unlimited".into(), |n| n.to_string()),
                Color::Plain,
            ),
            (
                if limits.profiles.is_empty() {
                    "any".into()
                } else {
                    limits.profiles.join(", ")
                },
                Color::Dim,
            ),
        ]);
    }
    print!("{}", table.render(style));
    println!("you: {} ({})", caller.user, caller.role);
    Ok(())
}

async fn token(g: &Global, command: TokenCommand, json: bool) -> CliResult {
    let relay = g.remember().await?;
    match command {
        TokenCommand::Create { user } => {
            let new = relay.create_token(&user).await?;
            if json {
                print_json(&json!({"user": user, "id": new.record.id, "token": new.token}));
            } else {
                println!("{}", new.token);
                eprintln!(
                    "token {} for {user}: shown once, only its hash is stored; revoke it with `relay team token revoke {user}`",
                    new.record.id
                );
            }
        }
        TokenCommand::Revoke { user } => {
            let n = relay.revoke_tokens(&user).await?;
            if json {
                print_json(&json!({"user": user, "revoked": n}));
            } else {
                println!("revoked {n} token(s) of {user}");
            }
        }
        TokenCommand::List => {
            let tokens = relay.tokens().await?;
            if json {
                print_json(&tokens);
            } else {
                print!("{}", token_table(&tokens).render(g.style()));
            }
        }
    }
    Ok(())
}

fn token_table(tokens: &[TokenRecord]) -> Table {
    let mut table = Table::new(vec!["ID", "USER", "STATE"]);
    for t in tokens {
        let (state, color) = match t.revoked_ms {
            Some(_) => ("revoked", Color::Red),
            None => ("active", Color::Green),
        };
        table.row(vec![
            (t.id.clone(), Color::Plain),
            (t.user.clone(), Color::Cyan),
            (state.into(), color),
        ]);
    }
    table
}
