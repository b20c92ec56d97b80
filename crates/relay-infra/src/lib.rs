//! # relay-infra
//!
//! [`relay_core::infra::InfraProvider`] implementations:
//!
//! - [`proxmox::ProxmoxProvider`], the default: LXC containers and QEMU VMs on Proxmox VE through
//!   its REST API (token or ticket auth, verified TLS, task polling, retries, per-node limits).
//! - [`local::LocalProvider`], the embedded default that needs no network: an environment is a
//!   directory with the workspace's repositories cloned into it; commands run as local processes
//!   with resource limits; snapshots are archives.
//!
//! [`limits::LimitedProvider`] wraps either with a caller's role limits (issue 12).

#![warn(missing_docs)]

pub mod limits;
pub mod local;
pub mod proxmox;
pub mod select;

pub use limits::LimitedProvider;
pub use local::LocalProvider;

pub use proxmox::{ProxmoxProvider, ProxmoxSettings};
pub use select::{ProviderKind, ProviderRequest, build_provider};
