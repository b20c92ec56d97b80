//! Cluster-wide guest views: `GET /cluster/resources` and `GET /cluster/nextid`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::super::request::{ApiRequest, Reply};
use super::super::state::{Guest, GuestKind, State};
use super::common::{GIB, config_u64};

/// `GET /cluster/resources`.
pub(crate) fn cluster_resources(state: &State, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(&["type"], &[]) {
        return r;
    }
    let kind = req.param("type");
    let mut out = Vec::new();
    if kind.is_none() || kind == Some("node") {
        for node in &state.nodes {
            out.push(json!({ "id": format!("node/{node}"), "type": "node", "node": node, "status": "online" }));
        }
    }
    if kind.is_none() || kind == Some("vm") {
        for g in state.guests.values() {
            let memory_mb = config_u64(&g.config, "memory", 512);
            let cores = config_u64(&g.config, "cores", 1);
            let mut entry = json!({
                "id": format!("{}/{}", g.kind.as_str(), g.vmid),
                "type": g.kind.as_str(),
                "vmid": g.vmid,
                "node": g.node,
                "name": g.name(),
                "status": if g.running { "running" } else { "stopped" },
                "template": g.template as u8,
                "maxcpu": cores,
                "maxmem": memory_mb * 1024 * 1024,
                "maxdisk": 20 * GIB,
                "uptime": g.started_at.map(|s| s.elapsed().as_secs()).unwrap_or(0),
            });
            if let Some(tags) = g.config.get("tags") {
                entry["tags"] = tags.clone();
            }
            if let Some(lock) = &g.lock {
                entry["lock"] = json!(lock.name);
            }
            out.push(entry);
        }
    }
    Reply::data(Value::Array(out))
}

/// `GET /cluster/nextid`; a scripted race lets "another client" take the id right after.
pub(crate) fn next_id(state: &mut State, req: &ApiRequest) -> Reply {
    if let Err(r) = req.validate(&["vmid"], &[]) {
        return r;
    }
    if let Some(raw) = req.param("vmid") {
        let vmid = match req.int("vmid", 100, 999_999_999) {
            Ok(v) => v.unwrap_or_default() as u32,
            Err(r) => return r,
        };
        if state.guests.contains_key(&vmid) {
            return Reply::param_errors(json!({ "vmid": format!("VM {raw} already exists") }));
        }
        return Reply::data(json!(vmid.to_string()));
    }
    let id = (100u32..)
        .find(|id| !state.guests.contains_key(id))
        .unwrap_or(100);
    if state.id_races > 0 {
        state.id_races -= 1;
        let node = state.nodes[0].clone();
        let mut config = BTreeMap::new();
        config.insert("hostname".to_string(), json!(format!("parallel-{id}")));
        state
            .guests
            .insert(id, Guest::new(id, GuestKind::Lxc, node, config));
    }
    Reply::data(json!(id.to_string()))
}
