//! The configuration as written: `relay.yaml` deserialized with marked-yaml, every value
//! [`Spanned`] so that validation can point at it. YAML syntax errors, duplicate keys and unknown
//! keys are reported here.

use std::collections::HashMap;

use marked_yaml::{LoaderOptions, Spanned};
use serde::Deserialize;

use super::diagnostics::Diagnostic;
use super::mcp::RawMcpServer;
use crate::infra::InfraConfig;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) repositories: Vec<Spanned<RawRepo>>,
    #[serde(default)]
    pub(super) dependency_graph: HashMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    pub(super) sync_rules: Vec<Spanned<RawSyncRule>>,
    /// The `infra:` section (issue 5), checked by `InfraConfig`'s own serde rules.
    #[serde(default)]
    pub(super) infra: Option<InfraConfig>,
    /// Other MCP servers whose tools join the registry (see `mcp.rs`).
    #[serde(default)]
    pub(super) mcp_servers: Vec<Spanned<RawMcpServer>>,
    /// The `store:` section (issue 12).
    #[serde(default)]
    pub(super) store: Option<Spanned<RawStore>>,
    /// The `team:` section (issue 12): users and their roles.
    #[serde(default)]
    pub(super) team: Vec<Spanned<RawMember>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) url: Option<Spanned<String>>,
    pub(super) session_ttl: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMember {
    pub(super) user: Spanned<String>,
    pub(super) role: Spanned<String>,
    pub(super) max_environments: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRepo {
    pub(super) name: Spanned<String>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) path: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) dependencies: Vec<Spanned<String>>,
    pub(super) sync_strategy: Option<Spanned<String>>,
    pub(super) auto_sync: Option<Spanned<bool>>,
    /// `OWNER/NAME` on GitHub, when the `url` does not say it (or says another).
    pub(super) github: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSyncRule {
    pub(super) trigger: Spanned<String>,
    pub(super) action: Spanned<String>,
    #[serde(default)]
    pub(super) notify: Vec<Spanned<String>>,
}

/// Parses the text into the raw configuration, or the first problem found.
pub(super) fn parse_raw(text: &str) -> Result<RawConfig, Diagnostic> {
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(Diagnostic {
            line: 1,
            column: 1,
            message: "the file is empty".into(),
            help: Some(
                "list your repositories under `repositories:` (run `relay demo` to see an example)"
                    .into(),
            ),
        });
    }
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    let node = marked_yaml::parse_yaml_with_options(0, text, options).map_err(load_error)?;
    marked_yaml::from_node(&node).map_err(|e| {
        let mut position = e.start_mark().map(|m| (m.line(), m.column()));
        let help = match &*e {
            marked_yaml::Error::UnknownFieldError(field, ..) => {
                // The deserializer does not always know where the key was: find it in the tree.
                position = position.or_else(|| find_key(&node, field));
                Some("remove the key or fix its spelling; keys are case-sensitive".to_owned())
            }
            _ => None,
        };
        let (line, column) = position.unwrap_or((0, 0));
        Diagnostic {
            line,
            column,
            message: e.to_string(),
            help,
        }
    })
}

/// Position of the first mapping key called `key`, depth first.
fn find_key(node: &marked_yaml::Node, key: &str) -> Option<(usize, usize)> {
    match node {
        marked_yaml::Node::Mapping(map) => map.iter().find_map(|(k, v)| {
            if k.as_str() == key {
                k.span().start().map(|m| (m.line(), m.column()))
            } else {
                find_key(v, key)
            }
        }),
        marked_yaml::Node::Sequence(seq) => seq.iter().find_map(|n| find_key(n, key)),
        marked_yaml::Node::Scalar(_) => None,
    }
}

/// A YAML loading failure (syntax, duplicate key, anchors...) as a diagnostic.
fn load_error(e: marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError::*;
    let marker = match &e {
        TopLevelMustBeMapping(m)
        | TopLevelMustBeSequence(m)
        | UnexpectedAnchor(m)
        | MappingKeyMustBeScalar(m)
        | UnexpectedTag(m)
        | ScanError(m, _) => Some(*m),
        DuplicateKey(inner) => inner.key.span().start().copied(),
    };
    let (line, column) = marker.map(|m| (m.line(), m.column())).unwrap_or((0, 0));
    let help = match &e {
        TopLevelMustBeMapping(_) => {
            Some("the file must be a mapping with a `repositories:` key".to_owned())
        }
        UnexpectedAnchor(_) => {
            Some("YAML anchors and aliases are not supported; write the values out".to_owned())
        }
        DuplicateKey(_) => Some("each key may appear once; merge the two entries".to_owned()),
        _ => None,
    };
    // The loader's own text starts with the position, which we print separately.
    let message = e.to_string();
    let message = message
        .split_once(": ")
        .filter(|(pos, _)| pos.chars().all(|c| c.is_ascii_digit() || c == ':'))
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or(message);
    Diagnostic {
        line,
        column,
        message: format!("invalid YAML: {message}"),
        help,
    }
}
