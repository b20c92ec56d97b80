//! Who is asking: users, their roles, what each role may do and use.
//!
//! `team:` in `relay.yaml` lists users with a [`Role`]. A role maps to the plan's permissions
//! ([`Role::plan_permissions`]: container access/manage, repository read/write/admin, voice
//! command/configure, basic/advanced tools), to the tool registry's [`Permission`]s
//! ([`Role::permissions`]) and to resource limits ([`RoleLimits`]). A [`Caller`] is a user with
//! their role, as every adapter (CLI, voice, bindings, server) presents them to the registry.
//!
//! Without a `team:` section there is one implicit user, the OS user, who is an admin: a
//! single developer is never blocked.

mod caller;

use serde::{Deserialize, Serialize};

use crate::tools::Permission;

pub use caller::Caller;

/// A role from the plan, from the least to the most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads repositories, their status and graph, and talks to Relay; changes nothing (no
    /// writes, no coding agent, no environments).
    Reader,
    /// Works in repositories and their own environments.
    Developer,
    /// Also sees and acts on the team's work; larger environments.
    TeamLead,
    /// Everything, including users, tokens and configuration.
    Admin,
}

impl Role {
    /// Every role, least powerful first.
    pub const ALL: [Role; 4] = [Role::Reader, Role::Developer, Role::TeamLead, Role::Admin];

    /// `reader`, `developer`, `team_lead` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Developer => "developer",
            Role::TeamLead => "team_lead",
            Role::Admin => "admin",
        }
    }

    /// The plan's permissions of the role (documentation and the `relay team` listing).
    pub fn plan_permissions(self) -> &'static [&'static str] {
        match self {
            Role::Reader => &["repository_read", "voice_command"],
            Role::Developer => &[
                "container_access",
                "repository_read",
                "repository_write",
                "voice_command",
                "basic_tools",
            ],
            Role::TeamLead => &[
                "container_access",
                "container_manage",
                "repository_read",
                "repository_write",
                "repository_admin",
                "voice_command",
                "basic_tools",
                "advanced_tools",
            ],
            Role::Admin => &[
                "container_access",
                "container_manage",
                "repository_read",
                "repository_write",
                "repository_admin",
                "voice_command",
                "voice_configure",
                "basic_tools",
                "advanced_tools",
            ],
        }
    }

    /// The tool registry's permissions the role grants.
    ///
    /// | plan permission | registry permission |
    /// |---|---|
    /// | repository_read, basic_tools | `read` |
    /// | voice_command | `session` |
    /// | repository_write | `write_repos` |
    /// | basic_tools (the coding agent in one's own work) | `run_agent` |
    /// | container_access (own environments, within limits) | `manage_infra` |
    /// | container_manage, repository_admin, advanced_tools | `team` |
    /// | voice_configure (users, tokens, configuration) | `admin` |
    pub fn permissions(self) -> Vec<Permission> {
        let mut granted = vec![Permission::Read, Permission::Session];
        if self >= Role::Developer {
            granted.extend([
                Permission::WriteRepos,
                Permission::RunAgent,
                Permission::ManageInfra,
            ]);
        }
        if self >= Role::TeamLead {
            granted.push(Permission::Team);
        }
        if self >= Role::Admin {
            granted.push(Permission::Admin);
        }
        granted
    }

    /// Whether the role grants `permission`.
    pub fn grants(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// The least powerful role granting `permission`.
    pub fn least_granting(permission: Permission) -> Role {
        Role::ALL
            .into_iter()
            .find(|r| r.grants(permission))
            .unwrap_or(Role::Admin)
    }

    /// The role's default resource limits.
    pub fn limits(self) -> RoleLimits {
        match self {
            Role::Reader => RoleLimits {
                profiles: vec!["developer".into()],
                max_environments: Some(0),
            },
            Role::Developer => RoleLimits {
                profiles: vec!["developer".into()],
                max_environments: Some(2),
            },
            Role::TeamLead => RoleLimits {
                profiles: vec!["developer".into(), "team_lead".into()],
                max_environments: Some(5),
            },
            Role::Admin => RoleLimits {
                profiles: Vec::new(),
                max_environments: None,
            },
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}`; use reader, developer, team_lead or admin"))
    }
}

/// What a role (or one user) may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleLimits {
    /// The environment profiles they may create; empty: any.
    pub profiles: Vec<String>,
    /// How many environments they may own at once; `None`: no limit.
    pub max_environments: Option<u32>,
}

impl RoleLimits {
    /// Whether an environment with `profile` may be created.
    pub fn allows_profile(&self, profile: &str) -> bool {
        self.profiles.is_empty() || self.profiles.iter().any(|p| p == profile)
    }
}

/// A user of the team, as `relay.yaml` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    /// The user name (what `RELAY_USER` or a token names).
    pub user: String,
    /// Their role.
    pub role: Role,
    /// Overrides the role's environment quota.
    pub max_environments: Option<u32>,
}

impl TeamMember {
    /// The member's limits: the role's, with their own quota when set.
    pub fn limits(&self) -> RoleLimits {
        let mut limits = self.role.limits();
        if self.max_environments.is_some() {
            limits.max_environments = self.max_environments;
        }
        limits
    }
}
