use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::ToolContext;

/// What a tool is allowed to do; a registry only runs tools whose permission it was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Reads state: status, impact analysis.
    Read,
    /// Changes the session only (e.g. the primary project).
    Session,
    /// Changes repositories: sync, branches, commits.
    WriteRepos,
    /// Runs a coding agent that edits code and runs commands.
    RunAgent,
    /// Creates or changes development environments.
    ManageInfra,
    /// Sees and acts on the whole team's work: everyone's jobs, sessions and audit entries
    /// (the plan's container_manage, repository_admin and advanced_tools; team leads).
    Team,
    /// Administers Relay: users' tokens, configuration (the plan's voice_configure; admins).
    Admin,
}

impl Permission {
    /// Every permission, from the least to the most powerful.
    pub const ALL: [Permission; 7] = [
        Permission::Read,
        Permission::Session,
        Permission::WriteRepos,
        Permission::RunAgent,
        Permission::ManageInfra,
        Permission::Team,
        Permission::Admin,
    ];

    /// The permission's name as configured and serialized (`write_repos`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Session => "session",
            Permission::WriteRepos => "write_repos",
            Permission::RunAgent => "run_agent",
            Permission::ManageInfra => "manage_infra",
            Permission::Team => "team",
            Permission::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Permission {
    type Err = String;
    /// Parses a configured name; the error lists the names there are.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "unknown permission `{name}`; use read, session, write_repos, run_agent, \
                     manage_infra, team or admin"
                )
            })
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The description of a tool that a model sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Unique name, snake case.
    pub name: String,
    /// What it does and when to use it, written for the model.
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
    /// Permission needed to run it.
    pub permission: Permission,
    /// Long tools get a spoken acknowledgement and periodic progress.
    pub long_running: bool,
    /// Optional limit; the call fails with a clear message when exceeded.
    #[serde(with = "opt_duration_ms")]
    pub timeout: Option<Duration>,
    /// Its effect is hard to undo (destroying an environment, merging): a person must approve
    /// each call first (see [`ToolRegistry::with_approver`](super::ToolRegistry::with_approver)).
    /// A tool may also decide per call ([`Tool::needs_approval`]): then this flag says whether
    /// every call asks.
    #[serde(default)]
    pub needs_approval: bool,
}

impl ToolSpec {
    /// A quick tool needing `permission`.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        permission: Permission,
    ) -> Self {
        ToolSpec {
            name: name.into(),
            description: description.into(),
            parameters,
            permission,
            long_running: false,
            timeout: None,
            needs_approval: false,
        }
    }

    /// Marks the tool as long running.
    pub fn long_running(mut self) -> Self {
        self.long_running = true;
        self
    }

    /// Sets a timeout.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// Marks the tool's effect as hard to undo: every call waits for a person's approval.
    pub fn needs_approval(mut self) -> Self {
        self.needs_approval = true;
        self
    }
}

/// Why a tool call failed. Rendered into the output the model receives.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ToolError {
    /// No tool has that name.
    #[error("unknown tool `{name}`; available tools: {available}")]
    UnknownTool {
        /// Requested name.
        name: String,
        /// Comma-separated names.
        available: String,
    },
    /// Arguments were not valid JSON or did not match the schema.
    #[error("invalid arguments for `{tool}`: {}", problems.join("; "))]
    InvalidArguments {
        /// Tool name.
        tool: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// The registry was not granted the tool's permission.
    #[error("`{tool}` needs the `{needed}` permission, which this session was not granted")]
    PermissionDenied {
        /// Tool name.
        tool: String,
        /// Permission required.
        needed: Permission,
    },
    /// The caller's role does not grant the tool's permission.
    #[error(
        "`{tool}` needs the `{needed}` permission: {user} is a {role}; the {needed_role} role has it"
    )]
    RoleDenied {
        /// Tool name.
        tool: String,
        /// Permission required.
        needed: Permission,
        /// Who asked.
        user: String,
        /// Their role.
        role: crate::team::Role,
        /// The least powerful role that would be allowed.
        needed_role: crate::team::Role,
    },
    /// A resource limit of the caller was reached (environment profile, quota).
    #[error("{0}")]
    LimitReached(String),
    /// The tool ran and failed.
    #[error("{0}")]
    Failed(String),
    /// The tool needs a person's approval and did not get it: they said no, nobody answered,
    /// or nobody could be asked. Nothing ran.
    #[error("`{tool}` was not run: {reason}")]
    NotApproved {
        /// Tool name.
        tool: String,
        /// Why ("the user said no", "nobody answered within 60 s").
        reason: String,
        /// What the model should do about it.
        hint: String,
    },
    /// The tool exceeded its timeout.
    #[error("`{tool}` did not finish within {seconds} s and was stopped")]
    TimedOut {
        /// Tool name.
        tool: String,
        /// The limit.
        seconds: u64,
    },
}

/// Something the model can ask Relay to do.
#[async_trait]
pub trait Tool: Send + Sync {
    /// The tool's description.
    fn spec(&self) -> ToolSpec;

    /// The question a person is asked before a call of a tool that
    /// [needs approval](ToolSpec::needs_approval), phrased from the call's `args`:
    /// "Destroy the environment backend-dev? Allow it?". The default names the tool and its
    /// arguments.
    fn approval_question(&self, args: &Value) -> String {
        default_approval_question(&self.spec().name, args)
    }

    /// Whether this call, with these already validated `args`, waits for a person's approval.
    /// The default is the spec's [`needs_approval`](ToolSpec::needs_approval) flag; a tool whose
    /// risk depends on its arguments (`commit_changes` with `push: true`) decides per call. A
    /// tool that can ask for some calls should say so in its description.
    fn needs_approval(&self, args: &Value) -> bool {
        let _ = args;
        self.spec().needs_approval
    }

    /// Runs the tool with already validated `args`.
    async fn call(&self, args: Value, ctx: ToolContext) -> Result<Value, ToolError>;
}

/// "Run env_down (name: backend-dev)? Allow it?": a tool's name with its arguments, short.
pub fn default_approval_question(tool: &str, args: &Value) -> String {
    let shown: Vec<String> = args
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut text = if shown.is_empty() {
        format!("Run {tool}")
    } else {
        format!("Run {tool} ({})", shown.join(", "))
    };
    if text.chars().count() > 200 {
        text = format!("{}…)", text.chars().take(200).collect::<String>());
    }
    format!("{text}? Allow it?")
}

mod opt_duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}
