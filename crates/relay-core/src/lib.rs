//! relay-core

pub mod agent;
