//! relay-core

pub mod tools;
pub mod voice;
