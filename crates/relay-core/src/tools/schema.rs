//! A small JSON-Schema validator for tool arguments.
//!
//! Tool schemas use a deliberate subset of JSON Schema (draft 2020-12 keywords): `type`,
//! `properties`, `required`, `additionalProperties: false`, `enum`, `items`, `minLength`,
//! `maxLength`, `minimum`, `maximum`, `minItems`, `maxItems`. The subset keeps the crate light
//! and lets every problem be reported in words a model can act on.

use serde_json::Value;

/// Validates `value` against `schema`, returning every problem found (empty when valid).
///
/// ```
/// use serde_json::json;
/// let schema = json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]});
/// assert!(relay_core::tools::validate(&schema, &json!({"name": "backend"})).is_empty());
/// assert_eq!(relay_core::tools::validate(&schema, &json!({})), vec!["missing required property `name`".to_string()]);
/// ```
pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(schema, value, "", &mut problems);
    problems
}

fn type_name(v: &Value) -> &'static str {
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

fn matches_type(expected: &str, v: &Value) -> bool {
    match expected {
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => type_name(v) == other,
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("`{path}`: ")
    }
}

fn check(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    if let Some(expected) = schema.get("type") {
        let allowed: Vec<&str> = match expected {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !allowed.is_empty() && !allowed.iter().any(|t| matches_type(t, value)) {
            out.push(format!(
                "{}expected {}, got {}",
                at(path),
                allowed.join(" or "),
                type_name(value)
            ));
            return;
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        let list: Vec<String> = options.iter().map(Value::to_string).collect();
        out.push(format!(
            "{}{} is not one of {}",
            at(path),
            value,
            list.join(", ")
        ));
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(required)) = schema.get("required") {
                for name in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(name) {
                        out.push(format!("{}missing required property `{name}`", at(path)));
                    }
                }
            }
            for (key, v) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match props.and_then(|p| p.get(key)) {
                    Some(s) => check(s, v, &child, out),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        let known: Vec<&str> = props
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        out.push(format!(
                            "{}unknown property `{key}` (allowed: {})",
                            at(path),
                            known.join(", ")
                        ));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                out.push(format!("{}needs at least {min} item(s)", at(path)));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && (items.len() as u64) > max
            {
                out.push(format!("{}allows at most {max} item(s)", at(path)));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item_schema, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        Value::String(s) => {
            let len = s.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && len < min
            {
                out.push(format!("{}must be at least {min} character(s)", at(path)));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && len > max
            {
                out.push(format!("{}must be at most {max} character(s)", at(path)));
            }
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                && x < min
            {
                out.push(format!("{}must be >= {min}", at(path)));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                && x > max
            {
                out.push(format!("{}must be <= {max}", at(path)));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "repo": {"type": "string", "minLength": 1},
                "repos": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "mode": {"type": "string", "enum": ["fast", "full"]},
                "depth": {"type": "integer", "minimum": 1, "maximum": 5}
            },
            "required": ["repo"]
        })
    }

    #[test]
    fn accepts_valid_arguments() {
        let v = json!({"repo": "backend", "repos": ["a"], "mode": "fast", "depth": 2});
        assert!(validate(&schema(), &v).is_empty());
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let v = json!({"repos": ["a", 3], "mode": "slow", "depth": 9, "extra": true});
        let problems = validate(&schema(), &v);
        assert!(
            problems.contains(&"missing required property `repo`".to_string()),
            "{problems:?}"
        );
        assert!(problems.contains(&"`repos[1]`: expected string, got integer".to_string()));
        assert!(
            problems.contains(&"`mode`: \"slow\" is not one of \"fast\", \"full\"".to_string())
        );
        assert!(problems.contains(&"`depth`: must be <= 5".to_string()));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("unknown property `extra`"))
        );
    }

    #[test]
    fn rejects_wrong_top_level_type() {
        assert_eq!(
            validate(&schema(), &json!([1])),
            vec!["expected object, got array".to_string()]
        );
    }
}
