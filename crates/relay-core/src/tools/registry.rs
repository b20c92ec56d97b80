use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Permission, Tool, ToolContext, ToolError, ToolSpec, validate};
use crate::approval::{ApprovalAction, Approvals, Approver, denial_hint, denial_reason};
use crate::store::{AuditEntry, AuditOutcome, Store};
use crate::team::{Caller, Role};

/// The result of one tool call as the model receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolOutput {
    /// Whether the tool succeeded.
    pub ok: bool,
    /// The tool's result, or `{"error": ..., "hint": ...}`.
    pub value: Value,
}

impl ToolOutput {
    /// The output as JSON text (what goes into `function_call_output`).
    pub fn to_json_string(&self) -> String {
        self.value.to_string()
    }

    /// A failed output saying `message` (what a caller reports when a call could not finish).
    pub fn error(message: impl Into<String>) -> Self {
        ToolOutput {
            ok: false,
            value: json!({"error": message.into()}),
        }
    }

    fn from_error(err: &ToolError) -> Self {
        let hint = match err {
            ToolError::UnknownTool { .. } => "call one of the available tools",
            ToolError::InvalidArguments { .. } => {
                "fix the arguments to match the tool's parameter schema and call it again"
            }
            ToolError::PermissionDenied { .. } => {
                "tell the user this action is not allowed in this session"
            }
            ToolError::RoleDenied { .. } => {
                "tell the user their role does not allow this and which role would"
            }
            ToolError::LimitReached(_) => "tell the user which limit was reached",
            ToolError::Failed(_) => "tell the user what failed",
            ToolError::TimedOut { .. } => "tell the user it took too long; they can retry",
            ToolError::NotApproved { hint, .. } => hint.as_str(),
        };
        ToolOutput {
            ok: false,
            value: json!({"error": err.to_string(), "hint": hint}),
        }
    }
}

/// A set of tools with the permissions granted to their caller.
///
/// With a [`Caller`] ([`for_caller`](Self::for_caller)) every call is also checked against the
/// caller's role, whichever adapter it comes from (CLI, voice, bindings, server); with an audit
/// store ([`audited`](Self::audited)) every call, denials included, is appended to the audit
/// log with its arguments (secrets redacted), outcome and duration. Tools whose effect is hard
/// to undo ([`ToolSpec::needs_approval`], or [`Tool::needs_approval`] for the call's
/// arguments) run only after a person approved the call through the
/// registry's approver ([`with_approver`](Self::with_approver)); without one they are refused.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<String, Arc<dyn Tool>>,
    granted: BTreeSet<Permission>,
    caller: Option<Caller>,
    audit: Option<Audit>,
    approver: Option<Arc<dyn Approver>>,
    approval_timeout: Option<Duration>,
}

/// Where and under which session calls are audited.
#[derive(Clone)]
struct Audit {
    store: Arc<dyn Store>,
    session: Option<String>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRegistry")
            .field("tools", &self.tools.keys().collect::<Vec<_>>())
            .field("granted", &self.granted)
            .field("caller", &self.caller)
            .field("audited", &self.audit.as_ref().map(|a| a.store.url()))
            .field("approver", &self.approver.is_some())
            .finish()
    }
}

impl ToolRegistry {
    /// An empty registry that grants every permission.
    pub fn new() -> Self {
        ToolRegistry {
            tools: BTreeMap::new(),
            granted: Permission::ALL.into_iter().collect(),
            caller: None,
            audit: None,
            approver: None,
            approval_timeout: None,
        }
    }

    /// Calls of tools that [need approval](ToolSpec::needs_approval) ask `approver` first, on
    /// behalf of the registry's caller and audited under its session; a denial (or no answer
    /// within the timeout) becomes the call's output and nothing runs. The coding agent started
    /// by `run_agent_task` puts its permission questions to the same approver. Without an
    /// approver such calls are refused with a hint.
    pub fn with_approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = Some(approver);
        self
    }

    /// How long an approval request waits before it is denied (default
    /// [`DEFAULT_APPROVAL_TIMEOUT`](crate::approval::DEFAULT_APPROVAL_TIMEOUT), 60 s).
    pub fn approval_timeout(mut self, timeout: Duration) -> Self {
        self.approval_timeout = Some(timeout);
        self
    }

    /// The approver, when one was set.
    pub fn approver(&self) -> Option<&Arc<dyn Approver>> {
        self.approver.as_ref()
    }

    /// The approver scoped to this registry's caller, session, audit log and timeout; `None`
    /// without an approver.
    pub fn approvals(&self) -> Option<Approvals> {
        let approver = self.approver.clone()?;
        let mut approvals = Approvals::new(approver);
        if let Some(caller) = &self.caller {
            approvals = approvals.requested_by(caller.clone());
        }
        if let Some(audit) = &self.audit {
            approvals = approvals
                .session(audit.session.clone())
                .audited(audit.store.clone());
        }
        if let Some(timeout) = self.approval_timeout {
            approvals = approvals.timeout(timeout);
        }
        Some(approvals)
    }

    /// Calls come from `caller`: a tool whose permission their role lacks is refused, naming
    /// the role that would be allowed; audit entries name them.
    pub fn for_caller(mut self, caller: Caller) -> Self {
        self.caller = Some(caller);
        self
    }

    /// The caller, when one was set.
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    /// Appends every call to the audit log of `store`, under `session` when given.
    pub fn audited(mut self, store: Arc<dyn Store>, session: Option<String>) -> Self {
        self.audit = Some(Audit { store, session });
        self
    }

    /// Restricts the registry to `permissions`.
    pub fn with_permissions(mut self, permissions: impl IntoIterator<Item = Permission>) -> Self {
        self.granted = permissions.into_iter().collect();
        self
    }

    /// Whether callers of this registry were granted `permission`.
    pub fn grants(&self, permission: Permission) -> bool {
        self.granted.contains(&permission)
    }

    /// Adds (or replaces) a tool.
    pub fn register(&mut self, tool: Arc<dyn Tool>) -> &mut Self {
        self.tools.insert(tool.spec().name, tool);
        self
    }

    /// Builder-style [`register`](Self::register).
    pub fn with(mut self, tool: Arc<dyn Tool>) -> Self {
        self.register(tool);
        self
    }

    /// Adds (or replaces) each of `tools`: how a tool family (see the `relay-tools` crate) or an
    /// application's own set joins the registry.
    pub fn with_tools(mut self, tools: impl IntoIterator<Item = Arc<dyn Tool>>) -> Self {
        for tool in tools {
            self.register(tool);
        }
        self
    }

    /// Specs of every registered tool, sorted by name.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.values().map(|t| t.spec()).collect()
    }

    /// The spec of `name`.
    pub fn spec(&self, name: &str) -> Option<ToolSpec> {
        self.tools.get(name).map(|t| t.spec())
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether no tool is registered.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Parses and validates `arguments` (JSON text) for tool `name`.
    pub fn check(&self, name: &str, arguments: &str) -> Result<(Arc<dyn Tool>, Value), ToolError> {
        let tool = self.tools.get(name).ok_or_else(|| ToolError::UnknownTool {
            name: name.to_string(),
            available: self.tools.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        let spec = tool.spec();
        if let Some(caller) = &self.caller
            && !caller.may(spec.permission)
        {
            return Err(ToolError::RoleDenied {
                tool: spec.name,
                needed: spec.permission,
                user: caller.user.clone(),
                role: caller.role,
                needed_role: Role::least_granting(spec.permission),
            });
        }
        if !self.granted.contains(&spec.permission) {
            return Err(ToolError::PermissionDenied {
                tool: spec.name,
                needed: spec.permission,
            });
        }
        let text = if arguments.trim().is_empty() {
            "{}"
        } else {
            arguments
        };
        let args: Value = serde_json::from_str(text).map_err(|e| ToolError::InvalidArguments {
            tool: name.to_string(),
            problems: vec![format!("arguments are not valid JSON ({e})")],
        })?;
        let problems = validate(&spec.parameters, &args);
        if !problems.is_empty() {
            return Err(ToolError::InvalidArguments {
                tool: name.to_string(),
                problems,
            });
        }
        Ok((tool.clone(), args))
    }

    /// Validates and runs a tool call, applying the tool's timeout. Never fails: every problem
    /// becomes a [`ToolOutput`] with `ok: false` that tells the model what to do. Audited when
    /// the registry is (see [`audited`](Self::audited)).
    pub async fn invoke(&self, name: &str, arguments: &str, ctx: ToolContext) -> ToolOutput {
        let started = Instant::now();
        let at_ms = crate::event::now_ms();
        let result = self.run(name, arguments, ctx).await;
        if let Some(audit) = &self.audit {
            self.record(audit, name, arguments, &result, at_ms, started)
                .await;
        }
        match result {
            Ok(value) => ToolOutput { ok: true, value },
            Err(e) => ToolOutput::from_error(&e),
        }
    }

    async fn run(
        &self,
        name: &str,
        arguments: &str,
        mut ctx: ToolContext,
    ) -> Result<Value, ToolError> {
        let (tool, args) = self.check(name, arguments)?;
        if ctx.approvals.is_none() {
            ctx.approvals = self.approvals();
        }
        let spec = tool.spec();
        if tool.needs_approval(&args) {
            self.approve(&*tool, &spec, &args, ctx.approvals.as_ref())
                .await?;
        }
        match spec.timeout {
            Some(limit) => match tokio::time::timeout(limit, tool.call(args, ctx)).await {
                Ok(r) => r,
                Err(_) => Err(ToolError::TimedOut {
                    tool: name.to_string(),
                    seconds: limit.as_secs().max(1),
                }),
            },
            None => tool.call(args, ctx).await,
        }
    }

    /// Asks for approval of a call; `Err` (nothing runs) unless a person allowed it.
    async fn approve(
        &self,
        tool: &dyn Tool,
        spec: &ToolSpec,
        args: &Value,
        approvals: Option<&Approvals>,
    ) -> Result<(), ToolError> {
        let Some(approvals) = approvals else {
            return Err(ToolError::NotApproved {
                tool: spec.name.clone(),
                reason: "it needs a person's approval and nobody can be asked here".into(),
                hint: "tell the user this needs their approval: they can do it themselves (e.g. \
                       with the relay command), or talk to Relay where approvals can be \
                       answered (relay voice or relay chat in a terminal, --approve allow, \
                       an approval callback)"
                    .into(),
            });
        };
        let action = ApprovalAction::Tool {
            name: spec.name.clone(),
            arguments: crate::redact::redact_json(args.clone()),
        };
        let request = approvals.request(tool.approval_question(args), action);
        let answer = approvals.approve(request).await;
        if answer.allows() {
            Ok(())
        } else {
            Err(ToolError::NotApproved {
                tool: spec.name.clone(),
                reason: denial_reason(&answer),
                hint: denial_hint(&answer).into(),
            })
        }
    }

    /// Appends the audit entry of one call. A store that fails is logged, never hidden.
    async fn record(
        &self,
        audit: &Audit,
        name: &str,
        arguments: &str,
        result: &Result<Value, ToolError>,
        at_ms: u64,
        started: Instant,
    ) {
        let (outcome, detail) = match result {
            Ok(_) => (AuditOutcome::Ok, None),
            Err(
                e @ (ToolError::RoleDenied { .. }
                | ToolError::PermissionDenied { .. }
                | ToolError::LimitReached(_)
                | ToolError::NotApproved { .. }),
            ) => (AuditOutcome::Denied, Some(e.to_string())),
            Err(e) => (AuditOutcome::Failed, Some(e.to_string())),
        };
        let args = serde_json::from_str(arguments)
            .unwrap_or_else(|_| Value::String(arguments.chars().take(2000).collect()));
        let (user, role) = match &self.caller {
            Some(c) => (c.user.clone(), c.role.as_str().to_owned()),
            None => ("unknown".to_owned(), String::new()),
        };
        let entry = AuditEntry {
            at_ms,
            user,
            role,
            session: audit.session.clone(),
            kind: "tool".into(),
            action: name.to_owned(),
            args: crate::redact::redact_json(args),
            outcome,
            detail: detail.map(|d| crate::redact::redact_url_credentials(&d)),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        if let Err(e) = audit.store.append_audit(entry).await {
            tracing::error!(tool = name, error = %e, "the audit log could not record a tool call");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use std::time::Duration;

    struct Echo;
    #[async_trait]
    impl Tool for Echo {
        fn spec(&self) -> ToolSpec {
            ToolSpec::new(
                "echo",
                "Echoes its text.",
                json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"], "additionalProperties": false}),
                Permission::Read,
            )
        }
        async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
            Ok(json!({"echo": args["text"]}))
        }
    }

    struct Slow;
    #[async_trait]
    impl Tool for Slow {
        fn spec(&self) -> ToolSpec {
            ToolSpec::new(
                "slow",
                "Sleeps.",
                json!({"type": "object"}),
                Permission::WriteRepos,
            )
            .long_running()
            .timeout(Duration::from_millis(50))
        }
        async fn call(&self, _args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(json!({}))
        }
    }

    fn registry() -> ToolRegistry {
        ToolRegistry::new()
            .with(Arc::new(Echo))
            .with(Arc::new(Slow))
    }

    #[tokio::test]
    async fn valid_call_returns_the_tools_value() {
        let out = registry()
            .invoke("echo", r#"{"text":"hi"}"#, ToolContext::default())
            .await;
        assert_eq!(
            out,
            ToolOutput {
                ok: true,
                value: json!({"echo": "hi"})
            }
        );
    }

    #[tokio::test]
    async fn bad_json_and_schema_violations_are_readable_outputs() {
        let out = registry()
            .invoke("echo", "{not json", ToolContext::default())
            .await;
        assert!(!out.ok);
        assert!(
            out.value["error"]
                .as_str()
                .unwrap()
                .contains("not valid JSON"),
            "{out:?}"
        );
        let out = registry()
            .invoke("echo", r#"{"text": 3}"#, ToolContext::default())
            .await;
        assert_eq!(
            out.value["error"],
            json!("invalid arguments for `echo`: `text`: expected string, got integer")
        );
    }

    #[tokio::test]
    async fn unknown_tool_lists_the_available_ones() {
        let out = registry()
            .invoke("nope", "{}", ToolContext::default())
            .await;
        assert_eq!(
            out.value["error"],
            json!("unknown tool `nope`; available tools: echo, slow")
        );
    }

    #[tokio::test]
    async fn permission_and_timeout_are_enforced() {
        let r = registry().with_permissions([Permission::Read]);
        let out = r.invoke("slow", "{}", ToolContext::default()).await;
        assert!(
            out.value["error"]
                .as_str()
                .unwrap()
                .contains("`write_repos` permission"),
            "{out:?}"
        );
        let out = registry().invoke("slow", "", ToolContext::default()).await;
        assert!(
            out.value["error"]
                .as_str()
                .unwrap()
                .contains("did not finish"),
            "{out:?}"
        );
    }
}
