//! GitHub's webhook payloads for tests, from GitHub's own description of them: the npm package
//! `@octokit/openapi-webhooks` (installed by `scripts/setup/webhooks.sh` into
//! `.tools/octokit-webhooks`), which holds the JSON Schema of every webhook and example
//! deliveries.
//!
//! [`OctokitWebhooks::load`] reads the description; [`OctokitWebhooks::example`] gives GitHub's
//! example payloads where it has them, [`OctokitWebhooks::instance`] builds the smallest payload
//! the schema allows (required fields only, with the schema's examples and enum values) for the
//! others; tests then set the fields they care about and [`OctokitWebhooks::validate`] checks the
//! result against the schema. [`sign`] signs a body as GitHub does.

mod schema;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

/// The environment variable naming the installed `@octokit/openapi-webhooks` package directory.
pub const PACKAGE_ENV: &str = "RELAY_OCTOKIT_WEBHOOKS";

/// GitHub's webhook description (api.github.com).
#[derive(Debug)]
pub struct OctokitWebhooks {
    doc: Value,
}

impl OctokitWebhooks {
    /// The description, loaded once per process. Panics (failing the test) with what to run when
    /// the package is not installed.
    pub fn load() -> &'static OctokitWebhooks {
        static DOC: OnceLock<OctokitWebhooks> = OnceLock::new();
        DOC.get_or_init(|| {
            let file = package_dir().join("generated/api.github.com.json");
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
                panic!(
                    "GitHub's webhook schemas are not installed ({}: {e}); run `bash scripts/setup/webhooks.sh` \
                     (npm @octokit/openapi-webhooks) or set {PACKAGE_ENV} to the package directory",
                    file.display()
                )
            });
            let doc = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
            OctokitWebhooks { doc }
        })
    }

    /// The keys of every webhook in the description (`"push"`, `"issues-opened"`, ...).
    pub fn keys(&self) -> Vec<String> {
        self.doc["webhooks"]
            .as_object()
            .map(|w| w.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The `X-GitHub-Event` name of webhook `key` (`"issues-opened"` → `"issues"`): its
    /// `x-github.subcategory`.
    pub fn event_name(&self, key: &str) -> Option<String> {
        let post = &self.doc["webhooks"][key]["post"];
        post["x-github"]["subcategory"].as_str().map(str::to_owned)
    }

    /// The request body schema of webhook `key` (`"push"`, `"check-suite-completed"`, ...: the
    /// keys of the description's `webhooks`).
    pub fn schema(&self, key: &str) -> &Value {
        let body = &self.doc["webhooks"][key]["post"]["requestBody"]["content"]["application/json"];
        assert!(
            body.is_object(),
            "GitHub's description has no webhook `{key}`; see the `webhooks` keys of api.github.com.json"
        );
        &body["schema"]
    }

    /// GitHub's example payload of webhook `key`, if the description has one (it has them for
    /// `ping` and the `check-run-*` webhooks).
    pub fn example(&self, key: &str) -> Option<Value> {
        let examples = &self.doc["webhooks"][key]["post"]["requestBody"]["content"]["application/json"]
            ["examples"];
        let first = examples.as_object()?.values().next()?;
        let resolved = schema::resolve(&self.doc, first);
        resolved.get("value").cloned()
    }

    /// The smallest payload webhook `key`'s schema allows: every required field, filled with the
    /// schema's first example, enum value or a value of its type.
    pub fn instance(&self, key: &str) -> Value {
        schema::instance(&self.doc, self.schema(key), 0, false)
    }

    /// Like [`instance`](Self::instance), with `null` wherever the schema allows it: the
    /// payload a parser must survive when GitHub leaves every nullable field empty.
    pub fn instance_with_nulls(&self, key: &str) -> Value {
        schema::instance(&self.doc, self.schema(key), 0, true)
    }

    /// Every way `payload` breaks webhook `key`'s schema (empty when it conforms).
    pub fn validate(&self, key: &str, payload: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        schema::check(&self.doc, self.schema(key), payload, "", &mut problems);
        problems
    }

    /// Like [`validate`](Self::validate), panicking with every problem.
    pub fn assert_valid(&self, key: &str, payload: &Value) {
        let problems = self.validate(key, payload);
        assert!(
            problems.is_empty(),
            "this `{key}` payload does not match GitHub's schema:\n  {}",
            problems.join("\n  ")
        );
    }
}

/// Sets `value` at the JSON pointer `pointer` (`/repository/full_name`), creating objects on
/// the way.
pub fn set(payload: &mut Value, pointer: &str, value: Value) {
    let mut at = payload;
    for part in pointer.trim_start_matches('/').split('/') {
        if !at.is_object() {
            *at = Value::Object(Default::default());
        }
        at = at
            .as_object_mut()
            .expect("an object")
            .entry(part.to_owned())
            .or_insert(Value::Null);
    }
    *at = value;
}

/// The `X-Hub-Signature-256` GitHub sends for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Where the package is: `RELAY_OCTOKIT_WEBHOOKS`, else `.tools/octokit-webhooks` of this
/// checkout.
fn package_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(PACKAGE_ENV) {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.tools/octokit-webhooks/node_modules/@octokit/openapi-webhooks")
}
