//! Connection settings of the Proxmox provider, from a builder or from `relay.yaml` plus the
//! `PROXMOX_*` environment variables.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use relay_core::infra::{EnvKind, InfraConfig, InfraError, ResourceProfile};

use super::poll::PollSchedule;

/// A secret string that never shows in `Debug` or `Display` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; only for building the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How Relay authenticates to PVE.
#[derive(Debug, Clone)]
pub enum ProxmoxAuth {
    /// An API token: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`.
    Token {
        /// `user@realm!tokenid`.
        id: String,
        /// The token secret (a UUID).
        secret: Secret,
    },
    /// User and password: a ticket (cookie) plus `CSRFPreventionToken` on writes, renewed before
    /// its two-hour expiry.
    Password {
        /// `user@realm`.
        user: String,
        /// The password.
        password: Secret,
    },
}

/// How the server certificate is verified.
#[derive(Debug, Clone)]
pub enum TlsTrust {
    /// The system's root certificates (for nodes with a publicly trusted certificate).
    System,
    /// A PEM file with the CA (PVE's `/etc/pve/pve-root-ca.pem`).
    CaFile(PathBuf),
    /// The CA as PEM text.
    CaPem(String),
    /// The SHA-256 fingerprint of the server certificate, `AB:CD:...` (colons optional).
    Fingerprint(String),
    /// No verification at all. Only by explicit opt-in; logged as a warning.
    Insecure,
}

/// Everything the Proxmox provider needs. Build with [`ProxmoxSettings::builder`] or
/// [`ProxmoxSettings::from_config_and_env`].
#[derive(Debug, Clone)]
pub struct ProxmoxSettings {
    pub(crate) url: String,
    pub(crate) node: String,
    pub(crate) auth: ProxmoxAuth,
    pub(crate) trust: TlsTrust,
    pub(crate) request_timeout: Duration,
    pub(crate) task_timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) retry_base: Duration,
    pub(crate) retry_max: Duration,
    pub(crate) max_parallel_per_node: usize,
    pub(crate) poll: PollSchedule,
    pub(crate) ticket_renew_after: Duration,
    pub(crate) storage: String,
    pub(crate) bridge: String,
    pub(crate) default_kind: EnvKind,
    pub(crate) lxc_template: Option<String>,
    pub(crate) qemu_template: Option<String>,
    pub(crate) profiles: BTreeMap<String, ResourceProfile>,
    pub(crate) nextid_attempts: u32,
}

impl ProxmoxSettings {
    /// Starts settings for the API at `url` (e.g. `https://pve:8006`) creating guests on `node`.
    /// Credentials are required: call [`ProxmoxSettingsBuilder::token`] or
    /// [`ProxmoxSettingsBuilder::password`].
    pub fn builder(url: impl Into<String>, node: impl Into<String>) -> ProxmoxSettingsBuilder {
        ProxmoxSettingsBuilder {
            url: url.into(),
            node: node.into(),
            auth: None,
            trust: TlsTrust::System,
            request_timeout: Duration::from_secs(30),
            task_timeout: Duration::from_secs(600),
            max_attempts: 6,
            retry_base: Duration::from_millis(200),
            retry_max: Duration::from_secs(5),
            max_parallel_per_node: 4,
            poll: PollSchedule::default(),
            ticket_renew_after: Duration::from_secs(90 * 60),
            storage: "local-lvm".to_string(),
            bridge: "vmbr0".to_string(),
            default_kind: EnvKind::Lxc,
            lxc_template: None,
            qemu_template: None,
            profiles: ResourceProfile::defaults(),
            nextid_attempts: 5,
        }
    }

    /// Settings from `relay.yaml`'s `infra:` section with the environment laid over it
    /// (`PROXMOX_URL`, `PROXMOX_NODE`, `PROXMOX_TOKEN_ID`, `PROXMOX_TOKEN_SECRET`, `PROXMOX_USER`,
    /// `PROXMOX_PASSWORD`, `PROXMOX_CA_FILE`, `PROXMOX_FINGERPRINT`, `PROXMOX_INSECURE`).
    ///
    /// `env` looks a variable up (pass `|k| std::env::var(k).ok()`). Everything missing is listed
    /// in one error.
    pub fn from_config_and_env(
        config: Option<&InfraConfig>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InfraError> {
        let px = config.and_then(|c| c.proxmox.clone()).unwrap_or_default();
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let mut missing = Vec::new();
        let mut problems = Vec::new();
        if let Some(config) = config {
            problems.extend(config.problems());
        }

        let url = env("PROXMOX_URL").or(px.url.clone());
        if url.is_none() {
            missing.push(
                "PROXMOX_URL (or infra.proxmox.url), e.g. https://pve.example.com:8006".to_string(),
            );
        }
        let node = env("PROXMOX_NODE").or(px.node.clone());
        if node.is_none() {
            missing.push(
                "PROXMOX_NODE (or infra.proxmox.node), the node to create guests on".to_string(),
            );
        }
        let token_id = env("PROXMOX_TOKEN_ID").or(px.token_id.clone());
        let token_secret = env("PROXMOX_TOKEN_SECRET");
        let user = env("PROXMOX_USER").or(px.user.clone());
        let password = env("PROXMOX_PASSWORD");
        let auth = match (token_id, token_secret, user, password) {
            (Some(id), Some(secret), _, _) => Some(ProxmoxAuth::Token {
                id,
                secret: Secret::new(secret),
            }),
            (_, _, Some(user), Some(password)) => Some(ProxmoxAuth::Password {
                user,
                password: Secret::new(password),
            }),
            (Some(id), None, _, _) => {
                missing.push(format!(
                    "PROXMOX_TOKEN_SECRET, the secret of API token `{id}`"
                ));
                None
            }
            (None, Some(_), _, _) => {
                missing.push("PROXMOX_TOKEN_ID (or infra.proxmox.token_id), the id `user@realm!name` of the token whose secret is in PROXMOX_TOKEN_SECRET".to_string());
                None
            }
            (None, None, Some(user), None) => {
                missing.push(format!("PROXMOX_PASSWORD, the password of `{user}`"));
                None
            }
            (None, None, None, _) => {
                missing.push("credentials: PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET (an API token), or PROXMOX_USER and PROXMOX_PASSWORD".to_string());
                None
            }
        };

        // Only from the environment: relay.yaml's `insecure` is refused (see ProxmoxConfig).
        let insecure = match env("PROXMOX_INSECURE") {
            None => false,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                other => {
                    problems.push(format!(
                        "PROXMOX_INSECURE=`{other}` is not a boolean; use 1 or 0"
                    ));
                    false
                }
            },
        };
        let ca_file = env("PROXMOX_CA_FILE")
            .map(PathBuf::from)
            .or(px.ca_file.clone());
        let fingerprint = env("PROXMOX_FINGERPRINT").or(px.fingerprint.clone());
        let trust = match (ca_file, fingerprint, insecure) {
            (None, None, true) => TlsTrust::Insecure,
            (_, _, true) => {
                // Silently preferring one would hide a mistake either way.
                problems.push(
                    "PROXMOX_INSECURE=1 turns certificate checks off, but a CA file or fingerprint is set too; \
                     unset PROXMOX_INSECURE to verify the node, or unset PROXMOX_CA_FILE / PROXMOX_FINGERPRINT \
                     (and infra.proxmox.ca_file / fingerprint)"
                        .to_string(),
                );
                TlsTrust::System
            }
            (Some(_), Some(_), false) => {
                problems.push(
                    "set either PROXMOX_CA_FILE or PROXMOX_FINGERPRINT, not both".to_string(),
                );
                TlsTrust::System
            }
            (Some(path), None, false) => TlsTrust::CaFile(path),
            (None, Some(fp), false) => TlsTrust::Fingerprint(fp),
            (None, None, false) => TlsTrust::System,
        };

        if !missing.is_empty() || !problems.is_empty() {
            let mut message = String::from("Proxmox is not configured");
            if !missing.is_empty() {
                message.push_str("; missing:");
                for m in &missing {
                    message.push_str(&format!("\n  - {m}"));
                }
            }
            if !problems.is_empty() {
                message.push_str(if missing.is_empty() {
                    "; invalid:"
                } else {
                    "\ninvalid:"
                });
                for p in &problems {
                    message.push_str(&format!("\n  - {p}"));
                }
            }
            message.push_str("\nSet them in the environment (secrets only there) or under `infra: proxmox:` in relay.yaml, or use `--provider local`.");
            return Err(InfraError::Config(message));
        }

        let mut builder =
            ProxmoxSettings::builder(url.unwrap_or_default(), node.unwrap_or_default());
        builder.auth = auth;
        builder.trust = trust;
        if let Some(s) = px.storage {
            builder.storage = s;
        }
        if let Some(b) = px.bridge {
            builder.bridge = b;
        }
        if let Some(k) = px.default_kind {
            builder.default_kind = k;
        }
        builder.lxc_template = px.lxc_template;
        builder.qemu_template = px.qemu_template;
        if let Some(secs) = px.task_timeout_secs {
            builder.task_timeout = Duration::from_secs(secs);
        }
        if let Some(n) = px.max_parallel_per_node {
            builder.max_parallel_per_node = n;
        }
        if let Some(config) = config {
            builder.profiles = config.resolved_profiles();
        }
        builder.build()
    }

    /// The API base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The node guests are created on.
    pub fn node(&self) -> &str {
        &self.node
    }
}

/// Builds [`ProxmoxSettings`].
#[derive(Debug, Clone)]
pub struct ProxmoxSettingsBuilder {
    url: String,
    node: String,
    auth: Option<ProxmoxAuth>,
    trust: TlsTrust,
    request_timeout: Duration,
    task_timeout: Duration,
    max_attempts: u32,
    retry_base: Duration,
    retry_max: Duration,
    max_parallel_per_node: usize,
    poll: PollSchedule,
    ticket_renew_after: Duration,
    storage: String,
    bridge: String,
    default_kind: EnvKind,
    lxc_template: Option<String>,
    qemu_template: Option<String>,
    profiles: BTreeMap<String, ResourceProfile>,
    nextid_attempts: u32,
}

impl ProxmoxSettingsBuilder {
    /// Authenticates with an API token `user@realm!tokenid` and its secret.
    pub fn token(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.auth = Some(ProxmoxAuth::Token {
            id: id.into(),
            secret: Secret::new(secret),
        });
        self
    }

    /// Authenticates with a user `user@realm` and password (tickets).
    pub fn password(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(ProxmoxAuth::Password {
            user: user.into(),
            password: Secret::new(password),
        });
        self
    }

    /// Sets how the server certificate is verified (default: system roots).
    pub fn trust(mut self, trust: TlsTrust) -> Self {
        self.trust = trust;
        self
    }

    /// Timeout of one HTTP request (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long one PVE task may run (default 600 s).
    pub fn task_timeout(mut self, timeout: Duration) -> Self {
        self.task_timeout = timeout;
        self
    }

    /// Retries of transient failures: attempts in all, first delay, longest delay
    /// (default 6, 200 ms, 5 s; the delay doubles with jitter).
    pub fn retries(mut self, max_attempts: u32, base: Duration, max: Duration) -> Self {
        self.max_attempts = max_attempts.max(1);
        self.retry_base = base;
        self.retry_max = max;
        self
    }

    /// Operations at once per node (default 4).
    pub fn max_parallel_per_node(mut self, n: usize) -> Self {
        self.max_parallel_per_node = n.max(1);
        self
    }

    /// How task status is polled.
    pub fn poll_schedule(mut self, poll: PollSchedule) -> Self {
        self.poll = poll;
        self
    }

    /// Age at which a login ticket is renewed (default 90 minutes; PVE tickets last two hours).
    pub fn ticket_renew_after(mut self, age: Duration) -> Self {
        self.ticket_renew_after = age;
        self
    }

    /// Storage for disks (default `local-lvm`).
    pub fn storage(mut self, storage: impl Into<String>) -> Self {
        self.storage = storage.into();
        self
    }

    /// Network bridge (default `vmbr0`).
    pub fn bridge(mut self, bridge: impl Into<String>) -> Self {
        self.bridge = bridge.into();
        self
    }

    /// Kind used when a spec names none (default LXC).
    pub fn default_kind(mut self, kind: EnvKind) -> Self {
        self.default_kind = kind;
        self
    }

    /// Default LXC template (ostemplate volume or template guest id).
    pub fn lxc_template(mut self, template: impl Into<String>) -> Self {
        self.lxc_template = Some(template.into());
        self
    }

    /// Default QEMU template guest id.
    pub fn qemu_template(mut self, template: impl Into<String>) -> Self {
        self.qemu_template = Some(template.into());
        self
    }

    /// Adds or replaces a resource profile.
    pub fn profile(mut self, name: impl Into<String>, profile: ResourceProfile) -> Self {
        self.profiles.insert(name.into(), profile);
        self
    }

    /// How many fresh ids to try when parallel creates take them (default 5).
    pub fn nextid_attempts(mut self, n: u32) -> Self {
        self.nextid_attempts = n.max(1);
        self
    }

    /// Checks and returns the settings.
    pub fn build(self) -> Result<ProxmoxSettings, InfraError> {
        let mut problems = Vec::new();
        let url = self.url.trim_end_matches('/').to_string();
        if !url.starts_with("https://") {
            problems.push(format!("the URL `{url}` must start with https://"));
        }
        if self.node.is_empty() {
            problems.push("the node name is empty".to_string());
        }
        let Some(auth) = self.auth else {
            problems.push("no credentials: set an API token or a user and password".to_string());
            return Err(InfraError::Config(format!(
                "invalid Proxmox settings: {}",
                problems.join("; ")
            )));
        };
        if let ProxmoxAuth::Token { id, .. } = &auth
            && !(id.contains('@') && id.contains('!'))
        {
            problems.push(format!(
                "the token id `{id}` must look like user@realm!tokenname"
            ));
        }
        if let ProxmoxAuth::Password { user, .. } = &auth
            && !user.contains('@')
        {
            problems.push(format!(
                "the user `{user}` must include the realm, e.g. {user}@pam"
            ));
        }
        for (name, profile) in &self.profiles {
            if let Err(e) = profile.validate(name) {
                problems.push(e);
            }
        }
        if !problems.is_empty() {
            return Err(InfraError::Config(format!(
                "invalid Proxmox settings: {}",
                problems.join("; ")
            )));
        }
        Ok(ProxmoxSettings {
            url,
            node: self.node,
            auth,
            trust: self.trust,
            request_timeout: self.request_timeout,
            task_timeout: self.task_timeout,
            max_attempts: self.max_attempts,
            retry_base: self.retry_base,
            retry_max: self.retry_max,
            max_parallel_per_node: self.max_parallel_per_node,
            poll: self.poll,
            ticket_renew_after: self.ticket_renew_after,
            storage: self.storage,
            bridge: self.bridge,
            default_kind: self.default_kind,
            lxc_template: self.lxc_template,
            qemu_template: self.qemu_template,
            profiles: self.profiles,
            nextid_attempts: self.nextid_attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn one_message_lists_everything_missing() {
        let err = ProxmoxSettings::from_config_and_env(None, env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("PROXMOX_URL"), "{err}");
        assert!(err.contains("PROXMOX_NODE"), "{err}");
        assert!(
            err.contains("PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET"),
            "{err}"
        );
        assert!(err.contains("PROXMOX_USER and PROXMOX_PASSWORD"), "{err}");
        assert!(err.contains("--provider local"), "{err}");
    }

    #[test]
    fn a_token_id_without_secret_names_the_secret() {
        let err = ProxmoxSettings::from_config_and_env(
            None,
            env(&[
                ("PROXMOX_URL", "https://pve:8006"),
                ("PROXMOX_TOKEN_ID", "relay@pve!cli"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("PROXMOX_NODE"), "{err}");
        assert!(
            err.contains("PROXMOX_TOKEN_SECRET, the secret of API token `relay@pve!cli`"),
            "{err}"
        );
        assert!(!err.contains("PROXMOX_URL ("), "{err}");
    }

    #[test]
    fn environment_overrides_file_and_secrets_stay_out_of_debug() {
        let config: InfraConfig = serde_json::from_value(serde_json::json!({
            "proxmox": { "url": "https://file:8006", "node": "filenode", "token_id": "a@pve!b",
                         "fingerprint": "AA:BB" }
        }))
        .unwrap();
        let settings = ProxmoxSettings::from_config_and_env(
            Some(&config),
            env(&[
                ("PROXMOX_NODE", "envnode"),
                ("PROXMOX_TOKEN_SECRET", "supersecret-uuid"),
            ]),
        )
        .unwrap();
        assert_eq!(settings.url(), "https://file:8006");
        assert_eq!(settings.node(), "envnode");
        assert!(matches!(settings.trust, TlsTrust::Fingerprint(ref f) if f == "AA:BB"));
        let debug = format!("{settings:?}");
        assert!(!debug.contains("supersecret"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn insecure_comes_only_from_the_environment_and_never_with_a_ca_or_fingerprint() {
        let base = [
            ("PROXMOX_URL", "https://pve:8006"),
            ("PROXMOX_NODE", "pve"),
            ("PROXMOX_TOKEN_ID", "relay@pve!cli"),
            ("PROXMOX_TOKEN_SECRET", "s"),
        ];
        // From relay.yaml: refused, with what to do.
        let committed: InfraConfig = serde_json::from_value(serde_json::json!({
            "proxmox": { "insecure": true }
        }))
        .unwrap();
        let err = ProxmoxSettings::from_config_and_env(Some(&committed), env(&base))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("infra.proxmox.insecure: turning certificate checks off is not accepted from relay.yaml"),
            "{err}"
        );
        assert!(err.contains("PROXMOX_INSECURE=1"), "{err}");
        // From the environment: accepted.
        let mut vars = base.to_vec();
        vars.push(("PROXMOX_INSECURE", "1"));
        let settings = ProxmoxSettings::from_config_and_env(None, env(&vars)).unwrap();
        assert!(matches!(settings.trust, TlsTrust::Insecure));
        // With a fingerprint (environment or file) or a CA file: an error, not a silent choice.
        for (extra, file) in [
            (Some(("PROXMOX_FINGERPRINT", "AA:BB")), None),
            (Some(("PROXMOX_CA_FILE", "/etc/pve/pve-root-ca.pem")), None),
            (
                None,
                Some(serde_json::json!({ "proxmox": { "fingerprint": "AA:BB" } })),
            ),
        ] {
            let mut vars = vars.clone();
            vars.extend(extra);
            let config: Option<InfraConfig> = file.map(|f| serde_json::from_value(f).unwrap());
            let err = ProxmoxSettings::from_config_and_env(config.as_ref(), env(&vars))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("PROXMOX_INSECURE=1 turns certificate checks off, but a CA file or fingerprint is set too"),
                "{err}"
            );
        }
    }

    #[test]
    fn invalid_values_are_reported_with_the_missing_ones() {
        let err = ProxmoxSettings::from_config_and_env(
            None,
            env(&[
                ("PROXMOX_URL", "https://pve:8006"),
                ("PROXMOX_INSECURE", "maybe"),
                ("PROXMOX_USER", "root@pam"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("PROXMOX_PASSWORD, the password of `root@pam`"),
            "{err}"
        );
        assert!(
            err.contains("PROXMOX_INSECURE=`maybe` is not a boolean"),
            "{err}"
        );
    }
}
