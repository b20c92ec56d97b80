//! The Proxmox VE provider: the PVE REST API (`/api2/json`) over reqwest with rustls.
//!
//! Layers, bottom up: `poll` (the adaptive polling model), [`settings`] (what to connect to and
//! how), `tls` (verification), [`ProxmoxClient`] (auth, retries, errors, per-node limits),
//! [`task`] (UPIDs and waiting for tasks), typed guest calls, and [`ProxmoxProvider`] (the
//! [`relay_core::infra::InfraProvider`]).

mod confirm;
mod guest;
mod http;
mod poll;
mod provider;
mod retry;
pub mod settings;
pub mod task;
mod tls;
mod upid;

pub use guest::{ClusterGuest, GuestKind, GuestStatus};
pub use http::ProxmoxClient;
pub use provider::{ProxmoxProvider, RELAY_TAG};
pub use settings::{ProxmoxAuth, ProxmoxSettings, ProxmoxSettingsBuilder, Secret, TlsTrust};
pub use task::{PollSchedule, TaskExit, TaskResult};
pub use upid::{Upid, UpidError};
