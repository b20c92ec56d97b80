//! `mcp_servers:`: other MCP servers whose tools join Relay's registry, checked one rule per
//! function like the rest of the file.
//!
//! ```yaml
//! mcp_servers:
//!   - name: tickets                    # tools become tickets__<tool>
//!     command: [python3, tickets.py]   # a stdio server: program and arguments
//!   - name: docs
//!     url: https://docs.example.com/mcp   # a Streamable HTTP server
//!     headers_from_env:                # header -> environment variable holding its value
//!       Authorization: DOCS_MCP_AUTHORIZATION
//!     permission: read                 # what a caller needs to use its tools (default read)
//! ```

use std::collections::{HashMap, HashSet};

use marked_yaml::Spanned;
use serde::{Deserialize, Serialize};

use super::diagnostics::Diagnostic;
use crate::tools::Permission;

/// How Relay reaches an MCP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpTransportSpec {
    /// A process speaking MCP on its stdin and stdout, started in the workspace root.
    Stdio {
        /// The program.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A Streamable HTTP endpoint.
    Http {
        /// The endpoint's URL.
        url: String,
        /// Headers to send: (header name, environment variable holding the value). Values are
        /// read when connecting and never logged.
        headers_from_env: Vec<(String, String)>,
    },
}

/// One entry of `mcp_servers:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServerSpec {
    /// The server's name: its tools are `<name>__<tool>` in the registry.
    pub name: String,
    /// How to reach it.
    pub transport: McpTransportSpec,
    /// The permission a caller needs to use its tools.
    pub permission: Permission,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMcpServer {
    name: Spanned<String>,
    command: Option<Spanned<Vec<Spanned<String>>>>,
    url: Option<Spanned<String>>,
    #[serde(default)]
    headers_from_env: HashMap<Spanned<String>, Spanned<String>>,
    permission: Option<Spanned<String>>,
}

/// Checks every entry; returns the valid ones (all of them when `diags` gained nothing).
pub(super) fn check_mcp_servers(
    entries: &[Spanned<RawMcpServer>],
    diags: &mut Vec<Diagnostic>,
) -> Vec<McpServerSpec> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .filter_map(|entry| {
            let named = check_name(entry, &mut seen, diags);
            let transport = check_transport(entry, diags);
            let permission = check_permission(entry, diags);
            Some(McpServerSpec {
                name: named?,
                transport: transport?,
                permission: permission?,
            })
        })
        .collect()
}

/// A name usable as a tool-name prefix, used once.
fn check_name(
    entry: &Spanned<RawMcpServer>,
    seen: &mut HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let name = entry.name.as_str();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.contains("__");
    if !valid {
        diags.push(Diagnostic::at(
            &entry.name,
            format!("invalid MCP server name `{name}`"),
            Some(
                "use letters, digits, `-` and `_` (no `__`): its tools are named \
                 `<name>__<tool>`"
                    .into(),
            ),
        ));
        return None;
    }
    if !seen.insert(name.to_string()) {
        diags.push(Diagnostic::at(
            &entry.name,
            format!("MCP server `{name}` is defined twice"),
            Some("give each server its own name".into()),
        ));
        return None;
    }
    Some(name.to_string())
}

/// Exactly one of `command` (non-empty) and `url` (http or https); headers only with `url`.
fn check_transport(
    entry: &Spanned<RawMcpServer>,
    diags: &mut Vec<Diagnostic>,
) -> Option<McpTransportSpec> {
    let name = entry.name.as_str();
    match (&entry.command, &entry.url) {
        (Some(_), Some(url)) => {
            diags.push(Diagnostic::at(
                url,
                format!("MCP server `{name}` has both `command` and `url`"),
                Some("use `command` for a stdio server or `url` for an HTTP one".into()),
            ));
            None
        }
        (None, None) => {
            diags.push(Diagnostic::at(
                entry,
                format!("MCP server `{name}` has neither `command` nor `url`"),
                Some(
                    "add `command: [program, args...]` for a stdio server or `url: https://...` \
                     for an HTTP one"
                        .into(),
                ),
            ));
            None
        }
        (Some(command), None) => {
            if let Some((header, _)) = entry.headers_from_env.iter().next() {
                diags.push(Diagnostic::at(
                    header,
                    format!("MCP server `{name}`: `headers_from_env` needs a `url`"),
                    Some("a stdio server takes no HTTP headers; remove them".into()),
                ));
                return None;
            }
            let Some((program, args)) = command.split_first() else {
                diags.push(Diagnostic::at(
                    command,
                    format!("MCP server `{name}` has an empty `command`"),
                    Some("write the program and its arguments: `[python3, server.py]`".into()),
                ));
                return None;
            };
            Some(McpTransportSpec::Stdio {
                program: program.as_str().to_string(),
                args: args.iter().map(|a| a.as_str().to_string()).collect(),
            })
        }
        (None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                diags.push(Diagnostic::at(
                    url,
                    format!("MCP server `{name}`: `{}` is not an HTTP URL", url.as_str()),
                    Some("write the endpoint as http://host:port/path or https://...".into()),
                ));
                return None;
            }
            let mut headers = Vec::new();
            let mut written: Vec<_> = entry.headers_from_env.iter().collect();
            written.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
            for (header, var) in written {
                let env_ok = !var.is_empty()
                    && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !var.starts_with(|c: char| c.is_ascii_digit());
                if !env_ok {
                    diags.push(Diagnostic::at(
                        var,
                        format!(
                            "MCP server `{name}`: `{}` is not an environment variable name",
                            var.as_str()
                        ),
                        Some(
                            "name the variable holding the header's value (e.g. \
                             DOCS_MCP_TOKEN), never the value itself"
                                .into(),
                        ),
                    ));
                    return None;
                }
                headers.push((header.as_str().to_string(), var.as_str().to_string()));
            }
            Some(McpTransportSpec::Http {
                url: url.as_str().to_string(),
                headers_from_env: headers,
            })
        }
    }
}

fn check_permission(
    entry: &Spanned<RawMcpServer>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Permission> {
    match &entry.permission {
        None => Some(Permission::Read),
        Some(p) => match p.as_str().parse::<Permission>() {
            Ok(permission) => Some(permission),
            Err(message) => {
                diags.push(Diagnostic::at(p, message, None));
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workspace;

    const REPOS: &str = "repositories:\n  - name: a\n";

    fn errors(text: &str) -> String {
        Workspace::parse(&format!("{REPOS}{text}"), "/ws", None)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn stdio_and_http_servers_load_in_order() {
        let ws = Workspace::parse(
            &format!(
                "{REPOS}mcp_servers:\n  - name: tickets\n    command: [python3, t.py, -v]\n  \
                 - name: docs\n    url: https://docs.example.com/mcp\n    headers_from_env:\n      \
                 X-Team: TEAM\n      Authorization: DOCS_AUTH\n    permission: write_repos\n"
            ),
            "/ws",
            None,
        )
        .unwrap();
        assert_eq!(
            ws.mcp_servers(),
            [
                McpServerSpec {
                    name: "tickets".into(),
                    transport: McpTransportSpec::Stdio {
                        program: "python3".into(),
                        args: vec!["t.py".into(), "-v".into()],
                    },
                    permission: Permission::Read,
                },
                McpServerSpec {
                    name: "docs".into(),
                    transport: McpTransportSpec::Http {
                        url: "https://docs.example.com/mcp".into(),
                        headers_from_env: vec![
                            ("Authorization".into(), "DOCS_AUTH".into()),
                            ("X-Team".into(), "TEAM".into()),
                        ],
                    },
                    permission: Permission::WriteRepos,
                },
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = errors(
            "mcp_servers:\n  - name: a__b\n    command: [x]\n  - name: both\n    command: [x]\n    \
             url: http://h/mcp\n  - name: none\n  - name: ftp\n    url: ftp://h\n  - name: empty\n    \
             command: []\n  - name: hdr\n    url: http://h/mcp\n    headers_from_env:\n      \
             Authorization: Bearer xyz\n  - name: perm\n    command: [x]\n    permission: root\n  \
             - name: perm\n    command: [x]\n",
        );
        for expected in [
            "relay.yaml:4:11: invalid MCP server name `a__b`",
            "relay.yaml:8:10: MCP server `both` has both `command` and `url`",
            "relay.yaml:9:9: MCP server `none` has neither `command` nor `url`",
            "relay.yaml:11:10: MCP server `ftp`: `ftp://h` is not an HTTP URL",
            "relay.yaml:13:14: MCP server `empty` has an empty `command`",
            "MCP server `hdr`: `Bearer xyz` is not an environment variable name",
            "relay.yaml:20:17: unknown permission `root`",
            "relay.yaml:21:11: MCP server `perm` is defined twice",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = errors("mcp_servers:\n  - name: t\n    comand: [x]\n");
        assert!(text.contains("comand"), "{text}");
    }
}
