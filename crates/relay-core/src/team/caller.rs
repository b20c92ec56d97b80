use serde::{Deserialize, Serialize};

use super::{Role, RoleLimits, TeamMember};
use crate::tools::Permission;

/// Who is asking: a user, their role and limits, and how they were identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The user name.
    pub user: String,
    /// Their role.
    pub role: Role,
    /// Their resource limits.
    pub limits: RoleLimits,
}

impl Caller {
    /// A team member as a caller.
    pub fn member(member: &TeamMember) -> Self {
        Caller {
            user: member.user.clone(),
            role: member.role,
            limits: member.limits(),
        }
    }

    /// `user` with `role` and the role's default limits.
    pub fn new(user: impl Into<String>, role: Role) -> Self {
        Caller {
            user: user.into(),
            role,
            limits: role.limits(),
        }
    }

    /// Whether the caller may use `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.grants(permission)
    }

    /// `Ok` when the caller may use `permission`; else the sentence saying who may.
    pub fn require(&self, permission: Permission, what: &str) -> Result<(), String> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(denial(&self.user, self.role, permission, what))
        }
    }
}

/// "ann (developer) may not <what>: it needs the `team` permission, which the team_lead role
/// has".
pub(crate) fn denial(user: &str, role: Role, permission: Permission, what: &str) -> String {
    let needed = Role::least_granting(permission);
    format!(
        "{user} ({role}) may not {what}: it needs the `{permission}` permission, which the {needed} role has; ask an admin to change your role in relay.yaml's team: section"
    )
}
