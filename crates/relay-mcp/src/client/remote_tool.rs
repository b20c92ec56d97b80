//! [`RemoteTool`]: one tool of another MCP server as a Relay [`Tool`].

use std::sync::Arc;

use async_trait::async_trait;
use rmcp::model::{CallToolResult, Tool as McpTool};
use serde_json::Value;

use relay_core::tools::{Tool, ToolContext, ToolError, ToolSpec};

use super::PREFIX_SEPARATOR;
use super::connection::Connection;

/// A tool of another MCP server, named `<server>__<tool>`, needing the permission configured
/// for its server. Its result is the server's structured content, else its text (parsed as
/// JSON when it is JSON); an error result is a [`ToolError::Failed`] with the server's text.
pub struct RemoteTool {
    connection: Arc<Connection>,
    remote_name: String,
    spec: ToolSpec,
}

impl RemoteTool {
    pub(crate) fn new(connection: Arc<Connection>, tool: McpTool) -> Self {
        let server = connection.name().to_string();
        let spec = ToolSpec::new(
            format!("{server}{PREFIX_SEPARATOR}{}", tool.name),
            tool.description
                .as_deref()
                .map(str::to_string)
                .unwrap_or_else(|| format!("`{}` of the MCP server `{server}`.", tool.name)),
            Value::Object((*tool.input_schema).clone()),
            connection.spec().permission,
        );
        RemoteTool {
            connection,
            remote_name: tool.name.to_string(),
            spec,
        }
    }

    /// The tool's name on its own server.
    pub fn remote_name(&self) -> &str {
        &self.remote_name
    }
}

impl std::fmt::Debug for RemoteTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteTool")
            .field("name", &self.spec.name)
            .finish()
    }
}

#[async_trait]
impl Tool for RemoteTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    async fn call(&self, args: Value, _ctx: ToolContext) -> Result<Value, ToolError> {
        let arguments = match args {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let result = self
            .connection
            .call(&self.remote_name, arguments)
            .await
            .map_err(|e| ToolError::Failed(e.to_string()))?;
        let value = value_of(&result);
        if result.is_error == Some(true) {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            return Err(ToolError::Failed(format!(
                "`{}` on the MCP server `{}` failed: {text}",
                self.remote_name,
                self.connection.name()
            )));
        }
        Ok(value)
    }
}

fn value_of(result: &CallToolResult) -> Value {
    if let Some(structured) = &result.structured_content {
        return structured.clone();
    }
    let text: Vec<&str> = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect();
    let text = text.join("\n");
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}
