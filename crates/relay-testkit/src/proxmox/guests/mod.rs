//! Guest endpoints of the fake PVE API, one concern per file: `create` (create and clone),
//! `power` (start/stop and current status), `config`, `disks` (volumes and resize),
//! `snapshots`, `destroy` and `cluster` (resources and next free id). `common` holds the
//! lookups, lock checks and parameter checks they share.

mod cluster;
mod common;
mod config;
mod create;
mod destroy;
mod disks;
mod power;
mod snapshots;

pub(crate) use cluster::{cluster_resources, next_id};
pub(crate) use config::{get_config, put_config};
pub(crate) use create::{clone, create};
pub(crate) use destroy::destroy;
pub(crate) use disks::resize;
pub(crate) use power::{change_status, current_status};
pub(crate) use snapshots::{create_snapshot, delete_snapshot, list_snapshots, rollback_snapshot};
