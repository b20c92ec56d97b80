//! The JSON Schema of GitHub's webhook description: resolving `$ref`, building the smallest valid
//! instance, and validating (`type`, `enum`, `properties`, `required`, `additionalProperties`,
//! `items`, `allOf`, `anyOf`, `oneOf`, `minimum`, `maximum`, `maxLength`).

use serde_json::{Map, Value};

/// `schema` with `$ref`s followed (within the document).
pub(super) fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..64 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return schema;
        };
        let pointer = reference.strip_prefix('#').unwrap_or(reference);
        schema = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("unresolvable $ref {reference}"));
    }
    panic!("$ref chain too long");
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The smallest instance of `schema`; with `nulls`, `null` wherever the schema allows it.
pub(super) fn instance(doc: &Value, schema: &Value, depth: usize, nulls: bool) -> Value {
    let schema = resolve(doc, schema);
    if nulls && depth > 0 && allows_null(doc, schema) {
        return Value::Null;
    }
    filled(doc, schema, depth, nulls)
}

/// An instance of `schema` that is not `null` itself.
fn filled(doc: &Value, schema: &Value, depth: usize, nulls: bool) -> Value {
    let schema = resolve(doc, schema);
    assert!(depth < 48, "schema recursion too deep");
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(o) = instance(doc, part, depth + 1, nulls) {
                merged.extend(o);
            }
        }
        // A property one part allows to be null and another does not must not be null: it
        // gets what every part that describes it asks for.
        let described = |name: &str| -> Vec<&Value> {
            all.iter()
                .filter_map(|part| {
                    resolve(doc, part)
                        .get("properties")
                        .and_then(|p| p.get(name))
                })
                .collect()
        };
        let names: Vec<String> = merged.keys().cloned().collect();
        for name in names {
            if !merged[&name].is_null()
                || described(&name)
                    .iter()
                    .all(|p| allows_null(doc, resolve(doc, p)))
            {
                continue;
            }
            let mut value = Value::Null;
            for property in described(&name) {
                match (&mut value, filled(doc, property, depth + 1, nulls)) {
                    (Value::Object(have), Value::Object(more)) => {
                        for (k, v) in more {
                            have.entry(k).or_insert(v);
                        }
                    }
                    (have @ Value::Null, v) => *have = v,
                    _ => {}
                }
            }
            merged.insert(name, value);
        }
        if let Value::Object(own) = object(doc, schema, depth, nulls) {
            merged.extend(own);
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let pick = alternatives
                .iter()
                .find(|a| types(resolve(doc, a)) != ["null"])
                .unwrap_or(&alternatives[0]);
            return instance(doc, pick, depth + 1, nulls);
        }
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return first.clone();
    }
    let ty = types(schema).into_iter().find(|t| *t != "null").unwrap_or(
        if schema.get("properties").is_some() {
            "object"
        } else {
            "null"
        },
    );
    let example = schema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .or_else(|| schema.get("example"));
    match ty {
        "object" => object(doc, schema, depth, nulls),
        "array" => Value::Array(Vec::new()),
        "string" => match (example, schema.get("format").and_then(Value::as_str)) {
            (Some(Value::String(s)), _) => Value::String(s.clone()),
            (_, Some("date-time")) => "2026-01-02T03:04:05Z".into(),
            (_, Some("uri" | "uri-template")) => "https://github.com/example".into(),
            (_, Some("email")) => "octocat@github.com".into(),
            _ => "x".into(),
        },
        "integer" => match example {
            Some(v @ Value::Number(_)) if v.is_i64() || v.is_u64() => v.clone(),
            _ => schema.get("minimum").cloned().unwrap_or(Value::from(1)),
        },
        "number" => Value::from(1.0),
        "boolean" => Value::Bool(false),
        _ => Value::Null,
    }
}

/// Whether `schema` (resolved) accepts `null`: by its type, its enum, or one of its alternatives.
fn allows_null(doc: &Value, schema: &Value) -> bool {
    let types = types(schema);
    if !types.is_empty() && !types.contains(&"null") {
        return false;
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        return e.contains(&Value::Null);
    }
    // Every keyword must accept null: `type: [null, string]` with `oneOf: [string, integer]`
    // does not.
    let alternatives: Vec<&Vec<Value>> = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .collect();
    if !alternatives.is_empty() {
        return alternatives
            .iter()
            .all(|alts| alts.iter().any(|a| allows_null(doc, resolve(doc, a))));
    }
    types.contains(&"null")
}

fn object(doc: &Value, schema: &Value, depth: usize, nulls: bool) -> Value {
    let mut out = Map::new();
    let properties = schema.get("properties").and_then(Value::as_object);
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let value = properties
            .and_then(|p| p.get(name))
            .map_or(Value::Null, |p| instance(doc, p, depth + 1, nulls));
        out.insert(name.to_owned(), value);
    }
    Value::Object(out)
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Appends every way `value` breaks `schema` to `out`, each prefixed with its JSON path.
pub(super) fn check(doc: &Value, schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    let at = if path.is_empty() { "(root)" } else { path };
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check(doc, part, value, path, out);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let fits = alternatives.iter().any(|a| {
                let mut problems = Vec::new();
                check(doc, a, value, path, &mut problems);
                problems.is_empty()
            });
            if !fits {
                out.push(format!("{at}: matches none of the {key} alternatives"));
                return;
            }
        }
    }
    let allowed = types(schema);
    let actual = type_of(value);
    if !allowed.is_empty()
        && !allowed
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"))
    {
        out.push(format!(
            "{at}: expected {}, got {actual}",
            allowed.join(" or ")
        ));
        return;
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        out.push(format!(
            "{at}: {value} is not one of {}",
            Value::Array(options.clone())
        ));
    }
    match value {
        Value::Object(object) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    out.push(format!("{at}: missing required property `{name}`"));
                }
            }
            for (name, v) in object {
                let child = format!("{path}/{name}");
                match properties.and_then(|p| p.get(name)) {
                    Some(p) => check(doc, p, v, &child, out),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            out.push(format!("{at}: property `{name}` is not allowed"));
                        }
                        Some(extra @ Value::Object(_)) => check(doc, extra, v, &child, out),
                        _ => {}
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check(doc, item, v, &format!("{path}/{i}"), out);
                }
            }
        }
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(0.0);
            if schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n < m)
            {
                out.push(format!("{at}: {n} is below the minimum"));
            }
            if schema
                .get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n > m)
            {
                out.push(format!("{at}: {n} is above the maximum"));
            }
        }
        Value::String(s)
            if schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| s.chars().count() as u64 > m) =>
        {
            out.push(format!("{at}: longer than maxLength"));
        }
        _ => {}
    }
}
