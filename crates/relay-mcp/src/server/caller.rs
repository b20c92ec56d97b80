//! Who a call over Streamable HTTP comes from: the [`Caller`] an auth layer in front of the
//! endpoint put into the HTTP request's extensions (`relay serve`'s does, from the user's token
//! or sign-in). A call then runs through the registry as that caller: their role is checked on
//! top of the server's granted permissions (which stay the ceiling) and the audit log names
//! them. Without one (stdio, or no auth layer) the registry's own caller applies.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::service::RequestContext;

use relay_core::team::Caller;
use relay_core::tools::{Permission, ToolRegistry};

/// The caller the HTTP request carrying `context` was authenticated as, if any.
pub(crate) fn of(context: &RequestContext<RoleServer>) -> Option<&Caller> {
    context
        .extensions
        .get::<axum::http::request::Parts>()?
        .extensions
        .get::<Caller>()
}

/// `registry` as the request's caller, or unchanged without one.
pub(crate) fn registry(
    registry: &Arc<ToolRegistry>,
    context: &RequestContext<RoleServer>,
) -> Arc<ToolRegistry> {
    match of(context) {
        Some(caller) => Arc::new((**registry).clone().for_caller(caller.clone())),
        None => registry.clone(),
    }
}

/// Whether a call needing `permission` may run for the request's caller under `registry`.
pub(crate) fn grants(
    registry: &ToolRegistry,
    context: &RequestContext<RoleServer>,
    permission: Permission,
) -> bool {
    let caller = of(context).or(registry.caller());
    registry.grants(permission) && caller.is_none_or(|c| c.may(permission))
}
