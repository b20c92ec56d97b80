//! Test peers for Relay: fake servers owned by the tests, usable as a library from Rust tests and
//! through the `relay-testkit` binary from other languages' tests.

#![warn(missing_docs)]

pub mod proxmox;
