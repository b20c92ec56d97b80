//! A parsed API request and the reply shapes PVE uses.

use serde_json::{Value, json};

/// One request below `/api2/json`, with query and body parameters merged as PVE does.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub method: String,
    pub path: String,
    pub segments: Vec<String>,
    pub params: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub cookie_ticket: Option<String>,
    pub csrf: Option<String>,
}

impl ApiRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn params_named(&self, name: &str) -> Vec<String> {
        self.params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("1") | Some("true"))
    }

    /// Rejects parameters outside `allowed` (a trailing `*` allows a numeric suffix) and reports
    /// missing `required` ones, as PVE's schema validation does.
    pub fn validate(&self, allowed: &[&str], required: &[&str]) -> Result<(), Reply> {
        let mut errors = serde_json::Map::new();
        for (key, _) in &self.params {
            let known = allowed
                .iter()
                .chain(required)
                .any(|a| match a.strip_suffix('*') {
                    Some(prefix) => key
                        .strip_prefix(prefix)
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())),
                    None => a == key,
                });
            if !known {
                errors.insert(
                    key.clone(),
                    json!("property is not defined in schema and the schema does not allow additional properties"),
                );
            }
        }
        for name in required {
            if self.param(name).is_none() {
                errors.insert(
                    (*name).to_string(),
                    json!("property is missing and it is not optional"),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Reply::param_errors(Value::Object(errors)))
        }
    }

    /// An integer parameter within bounds, or PVE's parameter error.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, Reply> {
        let Some(raw) = self.param(name) else {
            return Ok(None);
        };
        let value: i64 = raw.parse().map_err(|_| {
            Reply::param_errors(
                json!({ name: format!("type check ('integer') failed - got '{raw}'") }),
            )
        })?;
        if value < min {
            return Err(Reply::param_errors(
                json!({ name: format!("value must have a minimum value of {min}") }),
            ));
        }
        if value > max {
            return Err(Reply::param_errors(
                json!({ name: format!("value must have a maximum value of {max}") }),
            ));
        }
        Ok(Some(value))
    }
}

/// What the server answers: status, optional reason phrase, JSON body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub reason: Option<String>,
    pub body: Value,
}

impl Reply {
    pub fn data(data: Value) -> Self {
        Self {
            status: 200,
            reason: None,
            body: json!({ "data": data }),
        }
    }

    /// An error whose text PVE puts in the HTTP reason phrase.
    pub fn error(status: u16, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: Some(reason.into()),
            body: json!({ "data": null }),
        }
    }

    /// 400 with per-parameter messages in `errors`.
    pub fn param_errors(errors: Value) -> Self {
        Self {
            status: 400,
            reason: Some("Parameter verification failed.".to_string()),
            body: json!({ "data": null, "errors": errors }),
        }
    }
}
