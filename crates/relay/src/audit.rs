//! The audit log through the facade: recording commands, reading entries, verifying the chain.

use std::time::Instant;

use relay_core::store::{AuditEntry, AuditFilter, AuditOutcome, AuditRecord};
use relay_core::tools::Permission;
use serde_json::Value;

use crate::{Error, Relay};

pub use relay_store::chain::Verdict as AuditVerdict;

impl Relay {
    /// Appends a command (`relay commit`, ...) to the audit log as the caller: arguments with
    /// secrets redacted, outcome, how long since `started`. Nothing happens without a store.
    pub async fn record_command(
        &self,
        command: &str,
        args: Value,
        outcome: AuditOutcome,
        detail: Option<String>,
        started: Instant,
    ) -> Result<(), Error> {
        let Some(store) = self.store() else {
            return Ok(());
        };
        let caller = self.caller();
        let entry = AuditEntry {
            at_ms: relay_store::now_ms().saturating_sub(started.elapsed().as_millis() as u64),
            user: caller.user.clone(),
            role: caller.role.as_str().to_owned(),
            session: None,
            kind: "command".into(),
            action: command.to_owned(),
            args: relay_core::redact::redact_json(args),
            outcome,
            detail: detail.map(|d| relay_core::redact::redact_url_credentials(&d)),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        store.append_audit(entry).await?;
        Ok(())
    }

    /// Audit records matching `filter`, oldest first. Reading another user's entries (or
    /// everyone's) needs the `team` permission; a caller without it sees their own.
    pub async fn audit(&self, mut filter: AuditFilter) -> Result<Vec<AuditRecord>, Error> {
        let store = self.require_store()?;
        let own = filter.user.as_deref() == Some(self.caller().user.as_str());
        if !own && !self.caller().may(Permission::Team) {
            if filter.user.is_some() {
                self.require(Permission::Team, "read another user's audit entries")?;
            }
            filter.user = Some(self.caller().user.clone());
        }
        Ok(store.audit(filter).await?)
    }

    /// Checks the whole audit chain: intact, or the first entry changed, removed or moved.
    /// Needs the `team` permission.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, Error> {
        self.require(Permission::Team, "verify the audit log")?;
        let store = self.require_store()?;
        let records = store.audit(AuditFilter::default()).await?;
        let head = store.audit_head().await?;
        Ok(relay_store::chain::verify(&records, head))
    }
}
