//! Short text replies for tool outputs.

use relay_core::tools::ToolOutput;
use serde_json::Value;

/// A reply a person can read (and a speech engine could say).
pub fn reply(tool: &str, output: &ToolOutput) -> String {
    let v = &output.value;
    if !output.ok {
        return format!(
            "{tool} failed: {}",
            v["error"].as_str().unwrap_or("unknown error")
        );
    }
    let mut lines = Vec::new();
    if let Some(summary) = v["summary"].as_str() {
        lines.push(summary.to_string());
    }
    if let Some(repos) = v["repositories"].as_array() {
        for r in repos {
            if let Some(line) = r["line"].as_str() {
                lines.push(format!("- {line}"));
            } else if let Some(name) = r["name"].as_str() {
                let what = r["action"].as_str().unwrap_or("done").replace('_', " ");
                let why = r["reason"]
                    .as_str()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                lines.push(format!("- {name}: {what}{why}"));
            }
        }
    }
    if let Some(line) = v["line"].as_str() {
        lines.push(line.to_string());
    }
    for env in v["environments"].as_array().into_iter().flatten() {
        if let Some(line) = env["line"].as_str() {
            lines.push(format!("- {line}"));
        }
    }
    if tool == "env_exec" {
        for stream in ["stdout", "stderr"] {
            if let Some(text) = v[stream].as_str().filter(|t| !t.trim().is_empty()) {
                lines.push(format!("{stream}:\n{}", text.trim_end()));
            }
        }
    }
    if let Some(p) = v["primary_project"].as_str()
        && tool == "switch_project"
    {
        let related: Vec<&str> = v["related"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        lines.push(format!(
            "Primary project is now {p}; related: {}.",
            if related.is_empty() {
                "none".into()
            } else {
                related.join(", ")
            }
        ));
    }
    if tool == "impact_analysis" {
        let list = |k: &str| -> String {
            let names: Vec<&str> = v[k]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if names.is_empty() {
                "nothing".into()
            } else {
                names.join(", ")
            }
        };
        lines.push(format!(
            "Changing {} affects {} (directly: {}).",
            list("changed"),
            list("all_dependents"),
            list("direct_dependents")
        ));
    }
    if lines.is_empty() {
        return v.to_string();
    }
    lines.join("\n")
}
