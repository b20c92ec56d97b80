//! Relay's tool types as MCP's: a [`ToolSpec`] as an MCP tool, a [`ToolOutput`] as a tool result.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, MetaObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use relay_core::tools::{Permission, ToolOutput, ToolSpec};

/// `_meta` key: the permission a tool needs (`read`, `write_repos`, ...).
pub(crate) const META_PERMISSION: &str = "dev.relay/permission";
/// `_meta` key: whether this server was granted that permission.
pub(crate) const META_GRANTED: &str = "dev.relay/granted";
/// `_meta` key: whether the tool runs long (and reports progress).
pub(crate) const META_LONG_RUNNING: &str = "dev.relay/longRunning";

/// The MCP tool for `spec`: its name, description and JSON Schema as they are, its permission
/// (and whether it is granted here) in `_meta`, and `readOnlyHint` for read tools.
pub(crate) fn tool(spec: &ToolSpec, granted: bool) -> Tool {
    let schema = match &spec.parameters {
        Value::Object(map) => map.clone(),
        // A registry tool always has an object schema; anything else is served as "any object".
        _ => json!({"type": "object"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    let mut meta = serde_json::Map::new();
    meta.insert(META_PERMISSION.into(), json!(spec.permission.as_str()));
    meta.insert(META_GRANTED.into(), json!(granted));
    meta.insert(META_LONG_RUNNING.into(), json!(spec.long_running));
    let mut annotations = ToolAnnotations::new();
    annotations.read_only_hint = Some(spec.permission == Permission::Read);
    if spec.permission != Permission::Read {
        annotations.destructive_hint = Some(matches!(
            spec.permission,
            Permission::WriteRepos | Permission::RunAgent | Permission::ManageInfra
        ));
    }
    Tool::new(
        spec.name.clone(),
        spec.description.clone(),
        Arc::new(schema),
    )
    .with_annotations(annotations)
    .with_meta(MetaObject(meta))
}

/// The MCP result for `output`: its JSON text (exactly what the voice model receives, so an
/// error keeps its `{"error", "hint"}`), with `isError` when the call failed, and the value as
/// structured content when it is an object.
pub(crate) fn result(output: &ToolOutput) -> CallToolResult {
    let text = vec![ContentBlock::text(output.to_json_string())];
    let mut result = if output.ok {
        CallToolResult::success(text)
    } else {
        CallToolResult::error(text)
    };
    if output.value.is_object() {
        result.structured_content = Some(output.value.clone());
    }
    result
}
