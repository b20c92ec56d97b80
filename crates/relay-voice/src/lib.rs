//! relay-voice
