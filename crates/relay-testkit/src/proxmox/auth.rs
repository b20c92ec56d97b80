//! Authentication as PVE does it: API tokens, tickets with CSRF tokens on writes, expiry.

use std::time::Instant;

use serde_json::json;

use super::request::{ApiRequest, Reply};
use super::state::{State, Ticket};

/// Who made a request.
pub(crate) struct Identity {
    pub user: String,
    pub kind: &'static str,
}

/// Checks the token or ticket of a request; writes by ticket also need the CSRF token.
pub(crate) fn authenticate(state: &State, req: &ApiRequest) -> Result<Identity, Reply> {
    if let Some(header) = &req.authorization {
        let Some(value) = header.strip_prefix("PVEAPIToken=") else {
            return Err(Reply::error(401, "invalid authorization header"));
        };
        let Some((full_id, secret)) = value.split_once('=') else {
            return Err(Reply::error(401, "invalid token value!"));
        };
        let Some((user, token_name)) = full_id.split_once('!') else {
            return Err(Reply::error(401, "invalid token value!"));
        };
        return match state.tokens.get(full_id) {
            None => Err(Reply::error(
                401,
                format!("no such token '{token_name}' for user '{user}'"),
            )),
            Some(expected) if expected != secret => Err(Reply::error(401, "invalid token value!")),
            Some(_) => Ok(Identity {
                user: full_id.to_string(),
                kind: "token",
            }),
        };
    }
    if let Some(ticket) = &req.cookie_ticket {
        let Some(session) = valid_ticket(state, ticket) else {
            return Err(Reply::error(401, "permission denied - invalid PVE ticket"));
        };
        if req.method != "GET" && req.csrf.as_deref() != Some(session.csrf.as_str()) {
            return Err(Reply::error(401, "Permission denied - invalid csrf token"));
        }
        return Ok(Identity {
            user: session.user.clone(),
            kind: "ticket",
        });
    }
    Err(Reply::error(401, "No ticket"))
}

fn valid_ticket<'a>(state: &'a State, ticket: &str) -> Option<&'a Ticket> {
    state
        .tickets
        .get(ticket)
        .filter(|t| t.issued.elapsed() < state.ticket_lifetime)
}

/// `POST /access/ticket`: log in with a password, or renew with a still valid ticket.
pub(crate) fn create_ticket(state: &mut State, req: &ApiRequest) -> Reply {
    if let Err(reply) = req.validate(
        &["realm", "otp", "path", "privs"],
        &["username", "password"],
    ) {
        return reply;
    }
    let username = req.param("username").unwrap_or_default().to_string();
    let password = req.param("password").unwrap_or_default();
    let renewing = valid_ticket(state, password).is_some_and(|t| t.user == username);
    let password_ok = state.users.get(&username).is_some_and(|p| p == password);
    if !renewing && !password_ok {
        return Reply::error(401, "authentication failure");
    }
    state.tickets_issued += 1;
    let n = state.tickets_issued;
    let stamp = format!("{:08X}", 0x6000_0000u32 + n);
    let ticket = format!("PVE:{username}:{stamp}::c2lnbmF0dXJl{n:04}+/sig==");
    let csrf = format!("{stamp}:Y3NyZnRva2Vu{n:04}");
    state.tickets.insert(
        ticket.clone(),
        Ticket {
            user: username.clone(),
            csrf: csrf.clone(),
            issued: Instant::now(),
        },
    );
    Reply::data(json!({
        "username": username,
        "ticket": ticket,
        "CSRFPreventionToken": csrf,
        "cap": { "vms": { "VM.Allocate": 1 } },
    }))
}
