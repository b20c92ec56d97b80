//! The voice gateway of `relay serve` (protocol: docs/serve.md): the web page people talk to
//! Relay from ([`page`]).

pub mod page;
