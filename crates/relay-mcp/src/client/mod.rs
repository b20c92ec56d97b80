//! Other MCP servers' tools in a Relay registry.
