//! relay-testkit
