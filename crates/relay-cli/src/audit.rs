//! Every command that changes something is checked against the caller and written to the audit
//! log: the store is opened (and the user identified) before the command runs, so an unreachable
//! store or a user outside the team stops it; the outcome is appended when it ends.

use std::time::Instant;

use relay::Relay;
use relay::core::store::AuditOutcome;
use serde_json::json;

use crate::context::Global;
use crate::error::{CliError, CliResult};

/// An audited command in progress.
pub struct Audited {
    relay: Relay,
    command: String,
    args: serde_json::Value,
    started: Instant,
}

impl Audited {
    /// Opens the store and identifies the caller for `command` (e.g. `relay commit`). Without
    /// a workspace and without `--store`/`RELAY_STORE_URL` there is no store to write to:
    /// `None`, and the command itself reports what it is missing.
    pub async fn start(g: &Global, command: &str) -> Result<Option<Self>, CliError> {
        let explicit = g.store.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !explicit && g.workspace().is_err() {
            return Ok(None);
        }
        let relay = g.remember().await?;
        Ok(Some(Audited {
            relay,
            command: command.to_owned(),
            args: json!({ "argv": argv() }),
            started: Instant::now(),
        }))
    }

    /// Appends the outcome; a failure to record is reported (the command's own result wins).
    pub async fn finish(self, result: &CliResult) {
        let (outcome, detail) = match result {
            Ok(()) => (AuditOutcome::Ok, None),
            Err(e) if e.code == crate::error::EXIT_DENIED => {
                (AuditOutcome::Denied, Some(e.message.clone()))
            }
            Err(e) => (
                AuditOutcome::Failed,
                Some(e.message.clone()).filter(|m| !m.is_empty()),
            ),
        };
        if let Err(e) = self
            .relay
            .record_command(&self.command, self.args, outcome, detail, self.started)
            .await
        {
            eprintln!(
                "warning: the audit log could not record `{}`: {e}",
                self.command
            );
        }
    }
}

/// Before a command runs: an audited command opens the store and identifies the caller
/// ([`Audited::start`]); any other command given a token (`--token`, `RELAY_TOKEN`) still has it
/// checked, so a wrong or revoked token never passes silently.
pub async fn begin(g: &Global, command: &crate::Command) -> Result<Option<Audited>, CliError> {
    match audited_as(command) {
        Some(name) => Audited::start(g, name).await,
        None => {
            if g.token.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                g.relay().workspace_if_found().build().await?;
            }
            Ok(None)
        }
    }
}

/// The name a command is audited under, or `None` for commands that change nothing (their tool
/// calls, in chat and voice, are audited by the registry).
pub fn audited_as(command: &crate::Command) -> Option<&'static str> {
    use crate::Command as C;
    Some(match command {
        C::Sync(_) => "relay sync",
        C::Branch(_) => "relay branch",
        C::Commit(_) => "relay commit",
        C::Push(_) => "relay push",
        C::Run(_) => "relay run",
        C::Env(_) => "relay env",
        C::Team(args) => args.audited_as()?,
        C::Jobs(args) => args.audited_as()?,
        C::Pr(args) => args.audited_as()?,
        _ => return None,
    })
}

/// The command line after the program name, with the value of any secret-looking option
/// (`--token X`, `--password=X`) replaced by `***`.
fn argv() -> Vec<String> {
    let mut out = Vec::new();
    let mut hide_next = false;
    for arg in std::env::args().skip(1) {
        if hide_next {
            out.push("***".to_owned());
            hide_next = false;
            continue;
        }
        if let Some(flag) = arg.strip_prefix("--") {
            let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
            if relay::core::redact::is_secret_key(name) {
                if value.is_empty() {
                    hide_next = true;
                    out.push(arg);
                } else {
                    out.push(format!("--{name}=***"));
                }
                continue;
            }
        }
        out.push(relay::core::redact::redact_url_credentials(&arg));
    }
    out
}
