//! Users' tokens through the facade: created by an admin, shown once, stored as a hash.

use relay_core::store::TokenRecord;
use relay_core::tools::Permission;

use crate::{Error, Relay};

/// A token just created: the secret (shown once, never stored) and its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The token itself; give it to the user now, it cannot be shown again.
    pub token: String,
    /// What the store keeps (the hash, the public id).
    pub record: TokenRecord,
}

impl Relay {
    /// Creates a token for `user` (admins only; with a `team:` section the user must be in it).
    pub async fn create_token(&self, user: &str) -> Result<NewToken, Error> {
        self.require(Permission::Admin, "create tokens")?;
        self.check_member(user)?;
        let store = self.require_store()?;
        let token = relay_store::token::generate();
        let record = TokenRecord {
            id: relay_store::token::public_id(&token),
            user: user.to_owned(),
            hash: relay_store::token::hash(&token),
            created_ms: relay_store::now_ms(),
            revoked_ms: None,
        };
        store.put_token(record.clone()).await?;
        Ok(NewToken { token, record })
    }

    /// Revokes every token of `user` (admins only) and ends their sign-in sessions on every
    /// `relay serve` of this store; returns how many tokens were active.
    pub async fn revoke_tokens(&self, user: &str) -> Result<u32, Error> {
        self.require(Permission::Admin, "revoke tokens")?;
        Ok(self.require_store()?.revoke_tokens(user).await?)
    }

    /// Token records (never the tokens): everyone's for admins, else the caller's own.
    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, Error> {
        let user = (!self.caller().may(Permission::Admin)).then(|| self.caller().user.clone());
        Ok(self.require_store()?.tokens(user).await?)
    }

    fn check_member(&self, user: &str) -> Result<(), Error> {
        let team = self.workspace().map(|w| w.team()).unwrap_or_default();
        if team.is_empty() || team.iter().any(|m| m.user == user) {
            Ok(())
        } else {
            Err(Error::usage(format!(
                "`{user}` is not in the team: section of relay.yaml; add them with a role first"
            )))
        }
    }
}
