//! relay-repos
