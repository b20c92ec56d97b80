//! A JSON Schema well-formedness check for function tool `parameters`, as the service does it
//! before accepting a tool: the top level is an object schema, and every keyword the check knows
//! has a value of the kind the meta-schema demands (types are the seven JSON Schema type names,
//! `properties` maps names to schemas, `required` lists strings, and so on). Unknown keywords
//! pass, as in JSON Schema.

use serde_json::Value;

const TYPES: &[&str] = &[
    "object", "array", "string", "number", "integer", "boolean", "null",
];

/// Checks `parameters`; `Err` says what is wrong, with the path inside the schema.
pub(super) fn check_parameters(parameters: &Value) -> Result<(), String> {
    let Value::Object(map) = parameters else {
        return Err(format!(
            "schema must be a JSON Schema of 'type: \"object\"', got {parameters}."
        ));
    };
    if let Some(t) = map.get("type")
        && t != "object"
    {
        return Err(format!(
            "schema must be a JSON Schema of 'type: \"object\"', got 'type: {t}'."
        ));
    }
    schema(parameters, "(root)")
}

fn schema(s: &Value, at: &str) -> Result<(), String> {
    let map = match s {
        Value::Bool(_) => return Ok(()),
        Value::Object(m) => m,
        other => return Err(format!("In context={at}, {other} is not a valid schema.")),
    };
    for (key, v) in map {
        let here = format!("{at}.{key}");
        if let Some((valid, expected)) = scalar_rule(key) {
            if !valid(v) {
                return Err(bad(&here, v, expected));
            }
            continue;
        }
        match key.as_str() {
            "type" => {
                let names: Vec<&Value> = match v {
                    Value::Array(a) if !a.is_empty() => a.iter().collect(),
                    Value::String(_) => vec![v],
                    _ => return Err(bad(&here, v, "a type name or a non-empty list of them")),
                };
                for n in names {
                    if !n.as_str().is_some_and(|n| TYPES.contains(&n)) {
                        return Err(bad(
                            &here,
                            n,
                            "one of object, array, string, number, integer, boolean, null",
                        ));
                    }
                }
            }
            "properties" | "patternProperties" | "$defs" | "definitions" => {
                let Value::Object(props) = v else {
                    return Err(bad(&here, v, "an object of schemas"));
                };
                for (name, p) in props {
                    schema(p, &format!("{here}.{name}"))?;
                }
            }
            "items"
            | "additionalProperties"
            | "not"
            | "contains"
            | "propertyNames"
            | "additionalItems"
            | "if"
            | "then"
            | "else" => match v {
                Value::Array(list) if key == "items" => {
                    for (i, p) in list.iter().enumerate() {
                        schema(p, &format!("{here}[{i}]"))?;
                    }
                }
                _ => schema(v, &here)?,
            },
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                let Value::Array(list) = v else {
                    return Err(bad(&here, v, "a non-empty list of schemas"));
                };
                if list.is_empty() {
                    return Err(bad(&here, v, "a non-empty list of schemas"));
                }
                for (i, p) in list.iter().enumerate() {
                    schema(p, &format!("{here}[{i}]"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A check of a keyword's value, and what the value should be.
type Rule = (fn(&Value) -> bool, &'static str);

/// Keywords whose value is a plain kind.
fn scalar_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "required" => (
            |v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            "a list of property names",
        ),
        "enum" => (Value::is_array, "a list"),
        "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties" => {
            (|v| v.as_u64().is_some(), "a non-negative integer")
        }
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
            (Value::is_number, "a number")
        }
        "pattern" | "description" | "title" | "format" | "$ref" => (Value::is_string, "a string"),
        "uniqueItems" => (Value::is_boolean, "a boolean"),
        _ => return None,
    })
}

fn bad(at: &str, v: &Value, expected: &str) -> String {
    format!("In context={at}, {v} is not valid: expected {expected}.")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::check_parameters;

    #[test]
    fn accepts_object_schemas_and_rejects_malformed_ones() {
        let good = json!({"type": "object", "additionalProperties": false,
            "properties": {"repo": {"type": "string", "minLength": 1},
                           "n": {"type": ["integer", "null"], "minimum": 0},
                           "tags": {"type": "array", "items": {"enum": ["a", "b"]}}},
            "required": ["repo"]});
        assert_eq!(check_parameters(&good), Ok(()));
        assert_eq!(check_parameters(&json!({})), Ok(()));
        for bad in [
            json!({"type": "string"}),
            json!([]),
            json!({"type": "object", "properties": {"a": {"type": "strnig"}}}),
            json!({"type": "object", "properties": []}),
            json!({"type": "object", "required": "a"}),
            json!({"type": "object", "properties": {"a": {"minLength": -1}}}),
            json!({"type": "object", "anyOf": []}),
            json!({"type": "object", "properties": {"a": 5}}),
        ] {
            assert!(check_parameters(&bad).is_err(), "{bad}");
        }
    }
}
