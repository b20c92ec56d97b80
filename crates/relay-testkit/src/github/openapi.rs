//! GitHub's own OpenAPI description of api.github.com (npm `@octokit/openapi`, installed by
//! `scripts/setup/github.sh`), used to check every request the peer receives and every response
//! it sends: the operation exists (path and method), path and query parameters are declared and
//! valid, the JSON body matches the operation's schema; a response's status is declared and its
//! body matches.
//!
//! The schema checks implement OpenAPI 3.0.3's Schema Object: `$ref`, `type`, `nullable`,
//! `properties`, `required`, `additionalProperties`, `items`, `enum`, `oneOf` (exactly one),
//! `anyOf`, `allOf`, `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`.
//! `format` and `pattern` are not checked.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Where the description is looked for: `RELAY_GITHUB_OPENAPI`, else the setup script's prefix.
pub fn description_path() -> PathBuf {
    if let Some(path) = std::env::var_os("RELAY_GITHUB_OPENAPI") {
        return PathBuf::from(path);
    }
    repo_root().join(".tools/octokit/node_modules/@octokit/openapi/generated/api.github.com.json")
}

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// An operation's method, path template segments and path key.
type Route = (String, Vec<String>, String);

/// The loaded description (read once per process).
pub struct OpenApi {
    doc: Value,
    /// Every operation.
    routes: Vec<Route>,
}

static LOADED: OnceLock<Result<OpenApi, String>> = OnceLock::new();

impl OpenApi {
    /// The description, loaded once; an error says how to install it.
    pub fn get() -> Result<&'static OpenApi, String> {
        LOADED
            .get_or_init(|| {
                let path = description_path();
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "GitHub's OpenAPI description is missing at {} ({e}): run `bash scripts/setup/github.sh` \
                         (npm @octokit/openapi) or set RELAY_GITHUB_OPENAPI to api.github.com.json",
                        path.display()
                    )
                })?;
                let doc: Value = serde_json::from_str(&text)
                    .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
                Ok(OpenApi::new(doc))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn new(doc: Value) -> Self {
        let mut routes = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (key, item) in paths {
                let segments: Vec<String> = key.split('/').map(str::to_owned).collect();
                if let Some(item) = item.as_object() {
                    for method in ["get", "post", "put", "patch", "delete"] {
                        if item.contains_key(method) {
                            routes.push((method.to_owned(), segments.clone(), key.clone()));
                        }
                    }
                }
            }
        }
        Self { doc, routes }
    }

    /// Follows `$ref`s to the value they name.
    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..16 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) {
                    Some(target) => value = target,
                    None => return &Value::Null,
                },
                None => return value,
            }
        }
        value
    }

    /// The operation for `method` and `path` (decoded segments), with its path parameters.
    /// Literal segments win over templates, as GitHub routes them.
    pub fn operation(&self, method: &str, segments: &[String]) -> Option<Operation<'_>> {
        let method = method.to_ascii_lowercase();
        let mut best: Option<(usize, &Route)> = None;
        for route in &self.routes {
            if route.0 != method || route.1.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let matches = route.1.iter().zip(segments).all(|(t, s)| {
                if t.starts_with('{') && t.ends_with('}') {
                    !s.is_empty()
                } else {
                    literal += 1;
                    t == s
                }
            });
            if matches && best.is_none_or(|(l, _)| literal > l) {
                best = Some((literal, route));
            }
        }
        let (_, (method, template, key)) = best?;
        let params = template
            .iter()
            .zip(segments)
            .filter(|(t, _)| t.starts_with('{'))
            .map(|(t, s)| {
                (
                    t.trim_matches(|c| c == '{' || c == '}').to_owned(),
                    s.clone(),
                )
            })
            .collect();
        let item = self.doc.pointer(&format!("/paths/{}", escape(key)))?;
        Some(Operation {
            api: self,
            key: key.clone(),
            item,
            op: item.get(method.as_str())?,
            path_params: params,
        })
    }

    /// Checks `value` against `schema`; each problem names where in the value it is.
    pub fn check(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.check_at(schema, value, "$", &mut problems, 0);
        problems
    }

    fn check_at(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>, depth: u32) {
        if depth > 64 {
            return;
        }
        let schema = self.resolve(schema);
        let Some(s) = schema.as_object() else { return };
        if value.is_null() {
            let nullable = s.get("nullable").and_then(Value::as_bool) == Some(true)
                || s.get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.contains(&Value::Null));
            let typed = s.contains_key("type");
            let composed = ["oneOf", "anyOf", "allOf"]
                .iter()
                .any(|k| s.contains_key(*k));
            if nullable || (!typed && !composed) {
                return;
            }
            if !typed {
                // A composition: null passes when a branch allows it.
                let branches: Vec<&Value> = ["oneOf", "anyOf"]
                    .iter()
                    .filter_map(|k| s.get(*k).and_then(Value::as_array))
                    .flatten()
                    .collect();
                if branches.iter().any(|b| self.check(b, value).is_empty()) {
                    return;
                }
            }
            out.push(format!("{at}: null where the schema does not allow it"));
            return;
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check_at(sub, value, at, out, depth + 1);
            }
        }
        if let Some(any) = s.get("anyOf").and_then(Value::as_array)
            && !any.iter().any(|sub| self.check(sub, value).is_empty())
        {
            out.push(format!("{at}: matches none of anyOf"));
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let matching = one
                .iter()
                .filter(|sub| self.check(sub, value).is_empty())
                .count();
            if matching != 1 {
                out.push(format!(
                    "{at}: matches {matching} of oneOf (exactly 1 wanted)"
                ));
            }
        }
        if let Some(allowed) = s.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            out.push(format!(
                "{at}: {value} is not one of {}",
                Value::Array(allowed.clone())
            ));
        }
        let Some(ty) = s.get("type").and_then(Value::as_str) else {
            if s.contains_key("properties") && value.is_object() {
                self.check_object(s, value, at, out, depth);
            }
            return;
        };
        let ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: expected {ty}, got {}", kind(value)));
            return;
        }
        match value {
            Value::Object(_) => self.check_object(s, value, at, out, depth),
            Value::Array(items) => {
                let n = items.len() as u64;
                if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                    && n < min
                {
                    out.push(format!("{at}: {n} items, at least {min} wanted"));
                }
                if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                    && n > max
                {
                    out.push(format!("{at}: {n} items, at most {max} allowed"));
                }
                if let Some(item_schema) = s.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check_at(item_schema, item, &format!("{at}[{i}]"), out, depth + 1);
                    }
                }
            }
            Value::String(text) => {
                let n = text.chars().count() as u64;
                if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                    && n < min
                {
                    out.push(format!("{at}: shorter than {min}"));
                }
                if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                    && n > max
                {
                    out.push(format!("{at}: longer than {max}"));
                }
            }
            Value::Number(num) => {
                let x = num.as_f64().unwrap_or(0.0);
                if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                    && x < min
                {
                    out.push(format!("{at}: {x} below the minimum {min}"));
                }
                if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                    && x > max
                {
                    out.push(format!("{at}: {x} above the maximum {max}"));
                }
            }
            _ => {}
        }
    }

    fn check_object(
        &self,
        s: &Map<String, Value>,
        value: &Value,
        at: &str,
        out: &mut Vec<String>,
        depth: u32,
    ) {
        let Some(object) = value.as_object() else {
            return;
        };
        let properties = s.get("properties").and_then(Value::as_object);
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    out.push(format!("{at}: required property `{name}` is missing"));
                }
            }
        }
        for (name, v) in object {
            let here = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(prop) => self.check_at(prop, v, &here, out, depth + 1),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        out.push(format!("{at}: property `{name}` is not allowed"));
                    }
                    Some(extra @ Value::Object(_)) => {
                        self.check_at(extra, v, &here, out, depth + 1);
                    }
                    _ => {}
                },
            }
        }
    }

    /// A minimal value that `schema` accepts: required properties only, empty lists, the first
    /// enum value, `null` where allowed. Responses are built from it, then filled with the
    /// peer's data, then checked.
    pub fn example(&self, schema: &Value) -> Value {
        self.example_at(schema, 0)
    }

    fn example_at(&self, schema: &Value, depth: u32) -> Value {
        let schema = self.resolve(schema);
        let Some(s) = schema.as_object() else {
            return Value::Null;
        };
        if depth > 24 {
            return Value::Null;
        }
        if s.get("nullable").and_then(Value::as_bool) == Some(true) && depth > 0 {
            return Value::Null;
        }
        if let Some(first) = s
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for sub in all {
                if let Value::Object(part) = self.example_at(sub, depth + 1) {
                    merged.extend(part);
                }
            }
            return Value::Object(merged);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|b| b.first()) {
                return self.example_at(first, depth + 1);
            }
        }
        match s.get("type").and_then(Value::as_str) {
            Some("array") => {
                let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                let item = s.get("items").cloned().unwrap_or(Value::Null);
                Value::Array(
                    (0..min)
                        .map(|_| self.example_at(&item, depth + 1))
                        .collect(),
                )
            }
            Some("string") => Value::String(
                match s.get("format").and_then(Value::as_str) {
                    Some("date-time") => "2026-01-01T00:00:00Z",
                    Some("uri") => "https://github.com/",
                    Some("email") => "octocat@example.com",
                    _ => "x",
                }
                .to_owned(),
            ),
            Some("integer") => Value::from(s.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
            Some("number") => Value::from(1.0),
            Some("boolean") => Value::Bool(false),
            _ => {
                let mut object = Map::new();
                let properties = s.get("properties").and_then(Value::as_object);
                if let (Some(required), Some(properties)) =
                    (s.get("required").and_then(Value::as_array), properties)
                {
                    for name in required.iter().filter_map(Value::as_str) {
                        let prop = properties.get(name).cloned().unwrap_or(Value::Null);
                        object.insert(name.to_owned(), self.example_at(&prop, depth + 1));
                    }
                }
                Value::Object(object)
            }
        }
    }
}

/// One operation of the description.
pub struct Operation<'a> {
    api: &'a OpenApi,
    /// The path template, e.g. `/repos/{owner}/{repo}/pulls`.
    pub key: String,
    item: &'a Value,
    op: &'a Value,
    path_params: Vec<(String, String)>,
}

impl Operation<'_> {
    /// The operation's id, e.g. `pulls/create`.
    pub fn id(&self) -> &str {
        self.op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("?")
    }

    fn parameters(&self) -> Vec<&Value> {
        let mut out: Vec<&Value> = Vec::new();
        for list in [self.item.get("parameters"), self.op.get("parameters")] {
            for p in list.and_then(Value::as_array).into_iter().flatten() {
                out.push(self.api.resolve(p));
            }
        }
        out
    }

    /// Problems with the request's path and query parameters and JSON body.
    pub fn check_request(&self, query: &[(String, String)], body: Option<&Value>) -> Vec<String> {
        let mut problems = Vec::new();
        let params = self.parameters();
        for (name, raw) in &self.path_params {
            if let Some(p) = params.iter().find(|p| {
                p.get("in").and_then(Value::as_str) == Some("path")
                    && p.get("name").and_then(Value::as_str) == Some(name)
            }) {
                self.check_param(p, raw, &mut problems);
            }
        }
        for p in &params {
            if p.get("in").and_then(Value::as_str) == Some("query")
                && p.get("required").and_then(Value::as_bool) == Some(true)
            {
                let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                if !query.iter().any(|(k, _)| k == name) {
                    problems.push(format!("required query parameter `{name}` is missing"));
                }
            }
        }
        for (name, raw) in query {
            let declared = params.iter().find(|p| {
                p.get("in").and_then(Value::as_str) == Some("query")
                    && p.get("name").and_then(Value::as_str) == Some(name.as_str())
            });
            match declared {
                Some(p) => self.check_param(p, raw, &mut problems),
                None => problems.push(format!(
                    "query parameter `{name}` is not declared by {}",
                    self.id()
                )),
            }
        }
        let request_body = self.op.get("requestBody").map(|b| self.api.resolve(b));
        match (request_body, body) {
            (None, Some(_)) => problems.push(format!("{} takes no request body", self.id())),
            (Some(declared), None) => {
                if declared.get("required").and_then(Value::as_bool) == Some(true) {
                    problems.push(format!("{} requires a JSON body", self.id()));
                }
            }
            (Some(declared), Some(body)) => {
                match declared.pointer("/content/application~1json/schema") {
                    Some(schema) => problems.extend(
                        self.api
                            .check(schema, body)
                            .into_iter()
                            .map(|p| format!("request body {p}")),
                    ),
                    None => problems.push(format!("{} takes no JSON body", self.id())),
                }
            }
            (None, None) => {}
        }
        problems
    }

    fn check_param(&self, param: &Value, raw: &str, problems: &mut Vec<String>) {
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        let Some(schema) = param.get("schema") else {
            return;
        };
        let resolved = self.api.resolve(schema);
        let value = match resolved.get("type").and_then(Value::as_str) {
            Some("integer") => match raw.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    problems.push(format!("parameter `{name}`: `{raw}` is not an integer"));
                    return;
                }
            },
            Some("boolean") => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    problems.push(format!("parameter `{name}`: `{raw}` is not true or false"));
                    return;
                }
            },
            Some("array") => Value::Array(
                raw.split(',')
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            ),
            _ => Value::String(raw.to_owned()),
        };
        problems.extend(
            self.api
                .check(schema, &value)
                .into_iter()
                .map(|p| format!("parameter `{name}` {p}")),
        );
    }

    /// The JSON schema of the response for `status`: `Err` when the status is not declared,
    /// `Ok(None)` when it is declared without a JSON body.
    pub fn response_schema(&self, status: u16) -> Result<Option<&Value>, String> {
        let responses = self.op.get("responses");
        let declared = responses
            .and_then(|r| r.get(status.to_string()))
            .or_else(|| responses.and_then(|r| r.get("default")));
        let Some(declared) = declared else {
            return Err(format!(
                "{} does not declare a {status} response",
                self.id()
            ));
        };
        let declared = self.api.resolve(declared);
        Ok(declared.pointer("/content/application~1json/schema"))
    }

    /// Problems with a response the peer is about to send.
    pub fn check_response(&self, status: u16, body: &Value) -> Vec<String> {
        match self.response_schema(status) {
            // GitHub answers any operation with these when the token, the repository or the
            // rate limit says so, whether or not the operation declares them: GitHub's
            // `basic-error` body.
            Err(_) if matches!(status, 401 | 403 | 404 | 429) => self
                .api
                .check(
                    &serde_json::json!({"$ref": "#/components/schemas/basic-error"}),
                    body,
                )
                .into_iter()
                .map(|p| format!("response {status} {p}"))
                .collect(),
            Err(e) => vec![e],
            Ok(None) if body.is_null() => Vec::new(),
            Ok(None) => vec![format!("{} declares no body for {status}", self.id())],
            Ok(Some(schema)) => self
                .api
                .check(schema, body)
                .into_iter()
                .map(|p| format!("response {status} {p}"))
                .collect(),
        }
    }

    /// A minimal valid body for `status`.
    pub fn example_response(&self, status: u16) -> Value {
        match self.response_schema(status) {
            Ok(Some(schema)) => self.api.example(schema),
            _ => Value::Null,
        }
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
