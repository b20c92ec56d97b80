//! A fake Anthropic Messages API that the real `claude` CLI talks to via `ANTHROPIC_BASE_URL`.
//!
//! Each test owns one server and scripts the model's turns in order: text replies, `tool_use`
//! replies (the CLI then really runs the tool), HTTP errors (401, 529, ...), and hangs (the stream
//! starts and then goes silent). Every request is recorded so tests can assert on what the CLI sent
//! (the prompt, tool results, the appended system prompt).
//!
//! ```no_run
//! # async fn demo() {
//! use relay_testkit::anthropic::{FakeAnthropic, Script, Turn};
//! let server = FakeAnthropic::start(Script::new(vec![Turn::text("hello")])).await.unwrap();
//! // spawn `claude` with ANTHROPIC_BASE_URL = server.url()
//! # }
//! ```

mod http;
mod script;
mod server;
mod sse;

pub use script::{Script, ScriptedToolUse, Turn, TurnUsage};
pub use server::{FakeAnthropic, RecordedRequest};
