//! Test peers for Relay: protocol-faithful fake servers owned by the tests, bound to loopback.
//!
//! Each peer is usable as a library (start it inside a Rust test) and through the `relay-testkit`
//! binary, so Python, Node and Kotlin tests can start the same peer:
//! - [`anthropic`]: the Anthropic Messages API (streaming SSE) that the real `claude` CLI talks to;
//! - [`realtime`]: the OpenAI Realtime GA WebSocket protocol;
//! - [`proxmox`]: the Proxmox VE API over TLS;
//! - [`github`]: GitHub's REST and GraphQL API, checked against GitHub's own descriptions.
//!
//! [`git`] makes real repositories and workspaces for tests; [`webhooks`] gives GitHub's webhook
//! payloads (schemas and examples from `@octokit/openapi-webhooks`) and signs them as GitHub does;
//! [`fuzz`] has the input generators the parsers' property tests share;
//! [`redis`] runs a real `redis-server` for the store tests.

pub mod anthropic;
pub mod claude_cli;
pub mod fuzz;
pub mod gateway_client;
pub mod git;
pub mod github;
mod http;
pub mod memory;
pub mod proxmox;
pub mod realtime;
pub mod redis;
pub mod webhooks;
