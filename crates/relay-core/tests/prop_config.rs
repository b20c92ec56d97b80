//! Property tests of `relay.yaml` loading: arbitrary text, generated configurations with wrong
//! types, unknown keys, bad names and paths, and real configurations cut or corrupted load or
//! fail with diagnostics that point into the text, never a panic.

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use relay_core::config::{ConfigError, Workspace};
use relay_testkit::fuzz;
use serde_json::{Map, Value, json};

/// The README's example and variants: what users write.
const SAMPLES: &[&str] = &[
    "repositories:\n  - name: backend\n    url: git@github.com:acme/backend.git\n    path: repos/backend\n    dependencies: [shared-api, database-migrations]\n    sync_strategy: main_branch\n    auto_sync: true\n  - name: shared-api\n  - name: database-migrations\n    dependencies: [shared-api]\ndependency_graph:\n  shared-api: []\nsync_rules:\n  - trigger: \"shared-api:main\"\n    action: update_dependents\n    notify: [backend]\n",
    "repositories:\n  - name: a\n  - name: b\n    dependencies: [a]\ninfra:\n  provider: proxmox\n  proxmox:\n    url: https://pve.example:8006\n    node: pve\n",
    "repositories: []\n",
    "# only a comment\n",
];

fn root() -> PathBuf {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    ROOT.get_or_init(|| tempfile::tempdir().unwrap())
        .path()
        .to_path_buf()
}

/// Loads `text`; on failure checks every diagnostic points into the text and says something.
fn load(text: &str) -> Result<(), TestCaseError> {
    match Workspace::parse(text, root(), None) {
        Ok(ws) => {
            let _ = ws.repos().len();
        }
        Err(ConfigError::Invalid { diagnostics, .. }) => {
            prop_assert!(!diagnostics.is_empty());
            // Lines as YAML counts them: `\r\n`, `\r` and `\n` end a line.
            let lines = text.replace("\r\n", "\n").split(['\r', '\n']).count();
            for d in diagnostics {
                prop_assert!(!d.message.is_empty());
                prop_assert!(d.line <= lines, "line {} of {lines}: {}", d.line, d.message);
            }
        }
        Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
    }
    Ok(())
}

fn name() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::sample::select(vec!["api", "web", "db", "shared-api", "web"]).prop_map(Value::from),
        1 => prop::sample::select(vec!["", "bad name", "a/b", "..", ".", "-x", "UPPER", "é"]).prop_map(Value::from),
        1 => fuzz::json(),
    ]
}

fn repo() -> impl Strategy<Value = Value> {
    (
        name(),
        prop::option::of(prop_oneof![
            prop::sample::select(vec![
                "repos/x",
                "/abs/x",
                "../out",
                "",
                "a/../../b",
                "x\ny",
                "."
            ])
            .prop_map(Value::from),
            fuzz::json(),
        ]),
        prop::option::of(prop::collection::vec(name(), 0..4)),
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["main_branch", "feature_branch", "bogus"])
                .prop_map(Value::from),
            fuzz::json(),
        ]),
        prop::option::of(prop_oneof![
            any::<bool>().prop_map(Value::from),
            fuzz::json()
        ]),
        prop::option::of((fuzz::text(), fuzz::json())),
    )
        .prop_map(|(name, path, deps, strategy, auto_sync, extra)| {
            let mut m = Map::new();
            m.insert("name".into(), name);
            if let Some(p) = path {
                m.insert("path".into(), p);
            }
            if let Some(d) = deps {
                m.insert("dependencies".into(), Value::Array(d));
            }
            if let Some(s) = strategy {
                m.insert("sync_strategy".into(), s);
            }
            if let Some(a) = auto_sync {
                m.insert("auto_sync".into(), a);
            }
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

fn config() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(repo(), 0..5),
        prop::option::of(prop::collection::vec(
            (name(), prop::collection::vec(name(), 0..3)),
            0..3,
        )),
        prop::option::of(fuzz::json()),
        prop::option::of(fuzz::json()),
    )
        .prop_map(|(repos, graph, rules, infra)| {
            let mut m = Map::new();
            m.insert("repositories".into(), Value::Array(repos));
            if let Some(g) = graph {
                let g: Map<String, Value> = g
                    .into_iter()
                    .map(|(k, v)| (k.as_str().unwrap_or("x").to_string(), Value::Array(v)))
                    .collect();
                m.insert("dependency_graph".into(), Value::Object(g));
            }
            if let Some(r) = rules {
                m.insert("sync_rules".into(), r);
            }
            if let Some(i) = infra {
                m.insert("infra".into(), json!({"proxmox": i}));
            }
            Value::Object(m)
        })
}

/// `value` as block-style YAML (JSON is YAML too; users write blocks).
fn block_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                out.push_str(&format!("{pad}{}:", serde_json::to_string(k).unwrap()));
                match v {
                    Value::Object(o) if !o.is_empty() => {
                        out.push('\n');
                        block_yaml(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        block_yaml(v, indent + 2, out);
                    }
                    scalar => out.push_str(&format!(" {scalar}\n")),
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for v in a {
                out.push_str(&format!("{pad}-\n"));
                block_yaml(v, indent + 2, out);
            }
        }
        scalar => out.push_str(&format!("{pad}{scalar}\n")),
    }
}

proptest! {
    #![proptest_config(fuzz::config(16000))]

    #[test]
    fn arbitrary_text_never_panics(text in fuzz::text()) {
        load(&text)?;
    }

    #[test]
    fn generated_configurations_load_or_explain(cfg in config(), block in any::<bool>()) {
        let text = if block {
            let mut s = String::new();
            block_yaml(&cfg, 0, &mut s);
            s
        } else {
            cfg.to_string()
        };
        load(&text)?;
    }

    #[test]
    fn corrupted_real_configurations_never_panic(
        bytes in fuzz::mutated(SAMPLES.iter().map(|s| s.as_bytes().to_vec()).collect())
    ) {
        load(&String::from_utf8_lossy(&bytes))?;
    }
}

#[test]
fn the_samples_load_or_say_what_is_missing() {
    for s in &SAMPLES[..2] {
        Workspace::parse(s, root(), None).unwrap_or_else(|e| panic!("{s}\n{e}"));
    }
    let e = Workspace::parse(SAMPLES[2], root(), None).unwrap_err();
    assert!(e.to_string().contains("no repositories are defined"), "{e}");
    let e = Workspace::parse(SAMPLES[3], root(), None).unwrap_err();
    assert!(e.to_string().contains("the file is empty"), "{e}");
}

fn first_diagnostic(text: &str) -> relay_core::config::Diagnostic {
    match Workspace::parse(text, root(), None) {
        Err(ConfigError::Invalid { diagnostics, .. }) => diagnostics[0].clone(),
        other => panic!("{text:?} should be invalid: {other:?}"),
    }
}

/// Found by `corrupted_real_configurations_never_panic`: after a lone carriage return (a line
/// break to YAML) the scanner reported its error one line past the end of the file.
#[test]
fn a_yaml_error_at_the_end_points_into_the_file() {
    let d = first_diagnostic("repositories:\n  - name: backend\n    url: \rit@github.com:acm");
    assert!(d.message.contains("invalid YAML"), "{d:?}");
    assert_eq!((d.line, d.column), (4, 18));
}

/// Found by `corrupted_real_configurations_never_panic`: a value missing at the very end of
/// the file was reported on the line after it.
#[test]
fn a_value_missing_at_the_end_points_at_the_end_of_its_line() {
    let d = first_diagnostic("repositories:\n  - name:");
    assert!(d.message.contains("invalid repository name"), "{d:?}");
    assert_eq!((d.line, d.column), (2, 10));
}
