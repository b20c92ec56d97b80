//! relay-infra
