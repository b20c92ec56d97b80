use thiserror::Error;

/// Why a store operation failed. Messages name the store by its redacted URL.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The URL is not `sqlite:PATH` or `redis://HOST:PORT/DB`.
    #[error("invalid store URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong and what to write instead.
        reason: String,
    },
    /// The store could not be reached or opened.
    #[error("cannot open the store at {url}: {reason}")]
    Unavailable {
        /// The URL, password redacted.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The store was written by a newer Relay.
    #[error(
        "the store at {url} has schema version {found}, newer than this Relay knows ({known}); upgrade Relay"
    )]
    NewerSchema {
        /// The URL, password redacted.
        url: String,
        /// Version found.
        found: u32,
        /// Newest version this build knows.
        known: u32,
    },
    /// A read or write failed after the store was opened.
    #[error("store operation failed on {url}: {reason}")]
    Backend {
        /// The URL, password redacted.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Stored data could not be decoded.
    #[error("corrupt record in the store at {url}: {reason}")]
    Corrupt {
        /// The URL, password redacted.
        url: String,
        /// What could not be read.
        reason: String,
    },
}

impl StoreError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::InvalidUrl { .. } => "store_invalid_url",
            StoreError::Unavailable { .. } => "store_unavailable",
            StoreError::NewerSchema { .. } => "store_newer_schema",
            StoreError::Backend { .. } => "store_backend",
            StoreError::Corrupt { .. } => "store_corrupt",
        }
    }

    /// Whether the error is the caller's to fix (a bad URL, a newer schema).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StoreError::InvalidUrl { .. } | StoreError::NewerSchema { .. }
        )
    }
}
