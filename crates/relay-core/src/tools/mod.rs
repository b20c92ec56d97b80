//! The tool registry: what a voice model (or the CLI, or a binding) can ask Relay to do.
//!
//! Each [`Tool`] is described once by a [`ToolSpec`] (name, description, JSON-Schema parameters,
//! required [`Permission`], whether it runs long) and dispatched through [`ToolRegistry::invoke`],
//! which validates the arguments first: bad arguments come back as a [`ToolOutput`] the model can
//! read and correct, never as a panic.
//!
//! The tool families themselves (repository, agent and environment tools) live in the
//! `relay-tools` crate; this module holds only what every tool and every caller shares.

mod context;
mod job;
mod registry;
mod schema;
mod spec;
#[cfg(feature = "test-util")]
pub mod test_util;
mod updates;

pub use context::{PrimaryProject, SessionContext, ToolContext, ToolProgressSink};
pub use job::follow_job;
pub use registry::{ToolOutput, ToolRegistry};
pub use schema::validate;
pub use spec::{Permission, Tool, ToolError, ToolSpec, default_approval_question};
pub use updates::ToolUpdate;
