//! The `infra:` section of `relay.yaml`.
//!
//! ```yaml
//! infra:
//!   provider: proxmox            # or local; default: proxmox when Proxmox is configured, else local
//!   profiles:                    # merged over the built-in developer and team_lead profiles
//!     developer: { cores: 2, cores_max: 4, memory_mb: 2048, memory_max_mb: 6144,
//!                  root_disk_gb: 20, workspace_disk_gb: 50 }
//!   proxmox:
//!     url: https://pve.example.com:8006
//!     node: pve
//!     token_id: relay@pve!cli    # the secret comes from PROXMOX_TOKEN_SECRET, never from the file
//!     ca_file: /etc/relay/pve-root-ca.pem
//!     storage: local-lvm
//!     lxc_template: local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst
//!     qemu_template: "9000"
//!   local:
//!     root: .relay/envs
//! ```
//!
//! Secrets (token secret, password) are deliberately not fields: they come from the environment
//! (`PROXMOX_TOKEN_SECRET`, `PROXMOX_PASSWORD`) or from the embedding application.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::types::{EnvKind, ResourceProfile};

/// The `infra:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfraConfig {
    /// `proxmox` or `local`.
    pub provider: Option<String>,
    /// Resource profiles by name, merged over the built-in ones.
    #[serde(default)]
    pub profiles: BTreeMap<String, ResourceProfile>,
    /// Proxmox VE settings (no secrets).
    pub proxmox: Option<ProxmoxConfig>,
    /// Local provider settings.
    pub local: Option<LocalConfig>,
}

impl InfraConfig {
    /// The built-in profiles with the configured ones laid over them.
    pub fn resolved_profiles(&self) -> BTreeMap<String, ResourceProfile> {
        let mut profiles = ResourceProfile::defaults();
        profiles.extend(self.profiles.clone());
        profiles
    }

    /// Every problem with the section, one line each (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(p) = &self.provider
            && p != "proxmox"
            && p != "local"
        {
            problems.push(format!(
                "infra.provider: unknown provider `{p}`; use proxmox or local"
            ));
        }
        for (name, profile) in &self.profiles {
            if let Err(e) = profile.validate(name) {
                problems.push(format!("infra.profiles.{name}: {e}"));
            }
        }
        if let Some(px) = &self.proxmox {
            if let Some(url) = &px.url
                && !url.starts_with("https://")
            {
                problems.push(format!(
                    "infra.proxmox.url: `{url}` must start with https:// (PVE serves its API over TLS on port 8006)"
                ));
            }
            if px.insecure {
                problems.push(
                    "infra.proxmox.insecure: turning certificate checks off is not accepted from relay.yaml (a committed file); \
                     set PROXMOX_INSECURE=1 in the environment of this machine, or better trust the node with ca_file or fingerprint"
                        .to_string(),
                );
            }
            if px.fingerprint.is_some() && px.ca_file.is_some() {
                problems
                    .push("infra.proxmox: set either ca_file or fingerprint, not both".to_string());
            }
            if let Some(kind) = px.default_kind
                && kind == EnvKind::Local
            {
                problems.push("infra.proxmox.default_kind: use lxc or qemu".to_string());
            }
        }
        problems
    }
}

/// Proxmox VE settings from `relay.yaml`; environment variables override them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxmoxConfig {
    /// API base, e.g. `https://pve.example.com:8006`.
    pub url: Option<String>,
    /// The node to create guests on.
    pub node: Option<String>,
    /// API token id `user@realm!name` (the secret comes from `PROXMOX_TOKEN_SECRET`).
    pub token_id: Option<String>,
    /// User for ticket login `user@realm` (the password comes from `PROXMOX_PASSWORD`).
    pub user: Option<String>,
    /// PEM file with the CA that signed the node certificate (`/etc/pve/pve-root-ca.pem`).
    pub ca_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the node certificate (`AB:CD:...`), instead of a CA file.
    pub fingerprint: Option<String>,
    /// Not accepted: `insecure: true` here is a configuration error. A committed file must not
    /// turn certificate checks off for everyone; set `PROXMOX_INSECURE=1` in the environment
    /// instead (and no CA file or fingerprint with it).
    #[serde(default)]
    pub insecure: bool,
    /// Storage for disks (default `local-lvm`).
    pub storage: Option<String>,
    /// Network bridge (default `vmbr0`).
    pub bridge: Option<String>,
    /// `lxc` (default) or `qemu`.
    pub default_kind: Option<EnvKind>,
    /// Default LXC template: an ostemplate volume or a template guest id.
    pub lxc_template: Option<String>,
    /// Default QEMU template guest id to clone.
    pub qemu_template: Option<String>,
    /// How long one PVE task may run, in seconds (default 600).
    pub task_timeout_secs: Option<u64>,
    /// Operations at once per node (default 4).
    pub max_parallel_per_node: Option<usize>,
}

/// Local provider settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// Where environments live; relative paths are below the workspace root
    /// (default `.relay/envs`).
    pub root: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_merge_over_defaults_and_are_checked() {
        let config: InfraConfig = serde_json::from_value(serde_json::json!({
            "profiles": {
                "developer": { "cores": 3, "cores_max": 2, "memory_mb": 2048, "memory_max_mb": 4096,
                               "root_disk_gb": 20, "workspace_disk_gb": 0 },
                "tiny": { "cores": 1, "cores_max": 1, "memory_mb": 512, "memory_max_mb": 512,
                          "root_disk_gb": 4, "workspace_disk_gb": 0 }
            },
            "proxmox": { "url": "http://pve:8006", "node": "pve" }
        }))
        .unwrap();
        let profiles = config.resolved_profiles();
        assert_eq!(profiles["team_lead"], ResourceProfile::team_lead());
        assert_eq!(profiles["tiny"].memory_mb, 512);
        let problems = config.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("cores_max (2) is below cores (3)"));
        assert!(problems[1].contains("must start with https://"));
    }

    #[test]
    fn secrets_are_not_accepted_in_the_file() {
        let err = serde_json::from_value::<InfraConfig>(serde_json::json!({
            "proxmox": { "token_secret": "abc" }
        }))
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `token_secret`"),
            "{err}"
        );
    }

    #[test]
    fn relay_yaml_carries_the_infra_section() {
        let dir = tempfile::tempdir().unwrap();
        let text = "repositories:\n  - name: api\ninfra:\n  provider: proxmox\n  proxmox:\n    url: https://pve.example.com:8006\n    node: pve1\n    token_id: relay@pve!cli\n    default_kind: qemu\n    qemu_template: \"9000\"\n  profiles:\n    tiny: { cores: 1, cores_max: 2, memory_mb: 512, memory_max_mb: 1024, root_disk_gb: 8, workspace_disk_gb: 0 }\n  local:\n    root: envs\n";
        let ws = crate::Workspace::parse(text, dir.path(), None).unwrap();
        let infra = ws.infra().unwrap();
        let px = infra.proxmox.as_ref().unwrap();
        assert_eq!(px.node.as_deref(), Some("pve1"));
        assert_eq!(px.default_kind, Some(EnvKind::Qemu));
        assert_eq!(px.qemu_template.as_deref(), Some("9000"));
        assert_eq!(infra.profiles["tiny"].memory_max_mb, 1024);
        assert_eq!(
            infra.local.as_ref().unwrap().root,
            Some(PathBuf::from("envs"))
        );

        let bad = "repositories:\n  - name: api\ninfra:\n  proxmox:\n    token_secret: oops\n";
        let err = crate::Workspace::parse(bad, dir.path(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("token_secret"), "{err}");
    }
}
