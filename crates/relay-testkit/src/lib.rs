//! Test peers for Relay: real protocol servers owned by the tests, bound to loopback.
//!
//! Each peer is usable as a library (start it inside a Rust test) and through the `relay-testkit`
//! binary, so Python, Node and Kotlin tests can start the same peer.

pub mod anthropic;
pub mod claude_cli;
