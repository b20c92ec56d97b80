//! Validation of the `store:` and `team:` sections (issue 12), one function per rule, with
//! positions like every other key.
//!
//! ```yaml
//! store:
//!   url: sqlite:.relay/relay.db      # default; or redis://HOST:PORT/DB (password: RELAY_STORE_URL)
//!   session_ttl: 7d                  # how long an idle session is kept (s, m, h, d, w)
//! team:
//!   - user: ann
//!     role: team_lead                # reader, developer, team_lead or admin
//!   - user: bob
//!     role: developer
//!     max_environments: 1            # overrides the role's quota
//! ```

use std::collections::HashMap;
use std::path::Path;

use marked_yaml::Spanned;

use super::diagnostics::Diagnostic;
use super::raw::{RawMember, RawStore};
use super::types::StoreConfig;
use crate::store::{DEFAULT_SESSION_TTL, StoreUrl};
use crate::team::{Role, TeamMember};

/// The validated `store:` section (defaults when absent).
pub(super) fn check_store(
    raw: Option<&Spanned<RawStore>>,
    root: &Path,
    diags: &mut Vec<Diagnostic>,
) -> StoreConfig {
    let mut config = StoreConfig {
        url: None,
        session_ttl: DEFAULT_SESSION_TTL,
    };
    let Some(raw) = raw else { return config };
    if let Some(url) = &raw.url {
        match url.as_str().parse::<StoreUrl>() {
            Ok(parsed) if parsed.has_password() => diags.push(Diagnostic::at(
                url,
                format!(
                    "store.url `{}` holds a password; secrets never live in relay.yaml",
                    parsed.redacted()
                ),
                Some("remove it here and set RELAY_STORE_URL in the environment instead".into()),
            )),
            Ok(parsed) => config.url = Some(parsed.resolve(root)),
            Err(e) => diags.push(Diagnostic::at(
                url,
                format!("store.url: {e}"),
                Some(
                    "write sqlite:PATH (relative to the workspace) or redis://HOST:PORT/DB".into(),
                ),
            )),
        }
    }
    if let Some(ttl) = &raw.session_ttl {
        match crate::words::parse_duration(ttl.as_str()) {
            Ok(d) if d.is_zero() => diags.push(Diagnostic::at(
                ttl,
                "store.session_ttl must be longer than zero".to_owned(),
                Some("e.g. 7d (the default) or 12h".into()),
            )),
            Ok(d) => config.session_ttl = d,
            Err(e) => diags.push(Diagnostic::at(ttl, format!("store.session_ttl: {e}"), None)),
        }
    }
    config
}

/// The validated `team:` list: known roles, each user once, a non-empty name.
pub(super) fn check_team(
    raw: &[Spanned<RawMember>],
    diags: &mut Vec<Diagnostic>,
) -> Vec<TeamMember> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut members = Vec::new();
    for entry in raw {
        let user = entry.user.as_str().trim();
        if user.is_empty() || user.chars().any(char::is_whitespace) {
            diags.push(Diagnostic::at(
                &entry.user,
                format!("invalid user name `{}`", entry.user.as_str()),
                Some("use the login name, without spaces (what RELAY_USER says)".into()),
            ));
            continue;
        }
        let line = entry.user.span().start().map(|m| m.line()).unwrap_or(0);
        if let Some(first) = seen.get(user) {
            diags.push(Diagnostic::at(
                &entry.user,
                format!("user `{user}` is listed twice (first on line {first})"),
                Some("list each user once, with one role".into()),
            ));
            continue;
        }
        seen.insert(user.to_owned(), line);
        let role = match entry.role.as_str().parse::<Role>() {
            Ok(role) => role,
            Err(e) => {
                diags.push(Diagnostic::at(
                    &entry.role,
                    e,
                    Some(role_hint(entry.role.as_str())),
                ));
                continue;
            }
        };
        members.push(TeamMember {
            user: user.to_owned(),
            role,
            max_environments: entry.max_environments.as_ref().map(|m| **m),
        });
    }
    members
}

/// "did you mean `team_lead`?" for a near miss.
fn role_hint(written: &str) -> String {
    let normal = written.to_ascii_lowercase().replace(['-', ' '], "_");
    match Role::ALL
        .into_iter()
        .find(|r| r.as_str() == normal || r.as_str().replace('_', "") == normal.replace('_', ""))
    {
        Some(role) => format!("did you mean `{role}`?"),
        None => "roles are reader, developer, team_lead and admin".into(),
    }
}
