//! The GraphQL half of the GitHub peer: every query is parsed (graphql-parser) and checked
//! against GitHub's own schema (npm `@octokit/graphql-schema`, `schema.graphql`): each field
//! exists on its type, each argument on its field, inline fragments name existing types, leaf
//! fields have no selection and object fields have one. It is then executed by projection over
//! the JSON the peer serves for each repository; a field the peer does not serve is a violation
//! (the test fails), so the peer's coverage is exactly what Relay asks.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use graphql_parser::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet, Value as GqlValue,
};
use graphql_parser::schema::{self, TypeDefinition};
use serde_json::{Map, Value, json};

/// Where the schema is looked for: `RELAY_GITHUB_GRAPHQL_SCHEMA`, else the setup script's prefix.
pub fn schema_path() -> PathBuf {
    if let Some(path) = std::env::var_os("RELAY_GITHUB_GRAPHQL_SCHEMA") {
        return PathBuf::from(path);
    }
    super::openapi::repo_root()
        .join(".tools/octokit/node_modules/@octokit/graphql-schema/schema.graphql")
}

struct Field {
    args: Vec<String>,
    ty: String,
}

struct TypeInfo {
    /// `object`, `interface`, `union`, `scalar`, `enum`, `input`.
    kind: &'static str,
    fields: HashMap<String, Field>,
}

/// GitHub's GraphQL schema, reduced to what checking a query needs.
pub struct Schema {
    types: HashMap<String, TypeInfo>,
}

static LOADED: OnceLock<Result<Schema, String>> = OnceLock::new();

fn named(ty: &schema::Type<'_, String>) -> String {
    match ty {
        schema::Type::NamedType(n) => n.clone(),
        schema::Type::ListType(inner) | schema::Type::NonNullType(inner) => named(inner),
    }
}

impl Schema {
    /// The schema, loaded once; an error says how to install it.
    pub fn get() -> Result<&'static Schema, String> {
        LOADED
            .get_or_init(|| {
                let path = schema_path();
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "GitHub's GraphQL schema is missing at {} ({e}): run `bash scripts/setup/github.sh` \
                         (npm @octokit/graphql-schema) or set RELAY_GITHUB_GRAPHQL_SCHEMA",
                        path.display()
                    )
                })?;
                let doc = schema::parse_schema::<String>(&text)
                    .map_err(|e| format!("{} does not parse: {e}", path.display()))?;
                let mut types = HashMap::new();
                for def in doc.definitions {
                    let schema::Definition::TypeDefinition(def) = def else {
                        continue;
                    };
                    let fields_of = |fields: &[schema::Field<'_, String>]| {
                        fields
                            .iter()
                            .map(|f| {
                                (
                                    f.name.clone(),
                                    Field {
                                        args: f.arguments.iter().map(|a| a.name.clone()).collect(),
                                        ty: named(&f.field_type),
                                    },
                                )
                            })
                            .collect()
                    };
                    let (name, info) = match def {
                        TypeDefinition::Object(o) => (o.name.clone(), TypeInfo { kind: "object", fields: fields_of(&o.fields) }),
                        TypeDefinition::Interface(i) => (i.name.clone(), TypeInfo { kind: "interface", fields: fields_of(&i.fields) }),
                        TypeDefinition::Union(u) => (u.name.clone(), TypeInfo { kind: "union", fields: HashMap::new() }),
                        TypeDefinition::Scalar(s) => (s.name.clone(), TypeInfo { kind: "scalar", fields: HashMap::new() }),
                        TypeDefinition::Enum(e) => (e.name.clone(), TypeInfo { kind: "enum", fields: HashMap::new() }),
                        TypeDefinition::InputObject(i) => (i.name.clone(), TypeInfo { kind: "input", fields: HashMap::new() }),
                    };
                    types.insert(name, info);
                }
                for scalar in ["String", "Int", "Float", "Boolean", "ID"] {
                    types.insert(scalar.to_owned(), TypeInfo { kind: "scalar", fields: HashMap::new() });
                }
                Ok(Schema { types })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Problems with `query` against the schema (empty when it is valid as far as checked).
    pub fn check(&self, doc: &Document<'_, String>) -> Vec<String> {
        let mut problems = Vec::new();
        for def in &doc.definitions {
            match def {
                Definition::Operation(op) => {
                    let (root, set) = match op {
                        OperationDefinition::Query(q) => ("Query", &q.selection_set),
                        OperationDefinition::SelectionSet(s) => ("Query", s),
                        OperationDefinition::Mutation(m) => ("Mutation", &m.selection_set),
                        OperationDefinition::Subscription(s) => {
                            problems.push("subscriptions are not part of GitHub's API".into());
                            ("Subscription", &s.selection_set)
                        }
                    };
                    self.check_set(root, set, root, &mut problems);
                }
                Definition::Fragment(f) => {
                    let graphql_parser::query::TypeCondition::On(on) = &f.type_condition;
                    self.check_set(on, &f.selection_set, on, &mut problems);
                }
            }
        }
        problems
    }

    fn check_set(&self, ty: &str, set: &SelectionSet<'_, String>, at: &str, out: &mut Vec<String>) {
        let Some(info) = self.types.get(ty) else {
            out.push(format!("{at}: unknown type `{ty}`"));
            return;
        };
        for item in &set.items {
            match item {
                Selection::Field(f) => {
                    if f.name == "__typename" {
                        continue;
                    }
                    let here = format!("{at}.{}", f.name);
                    let Some(field) = info.fields.get(&f.name) else {
                        out.push(format!("{here}: type `{ty}` has no field `{}`", f.name));
                        continue;
                    };
                    for (arg, _) in &f.arguments {
                        if !field.args.contains(arg) {
                            out.push(format!(
                                "{here}: field `{}` has no argument `{arg}`",
                                f.name
                            ));
                        }
                    }
                    let leaf = matches!(
                        self.types.get(&field.ty).map(|t| t.kind),
                        Some("scalar" | "enum")
                    );
                    match (leaf, f.selection_set.items.is_empty()) {
                        (true, false) => out.push(format!(
                            "{here}: `{}` is a leaf and takes no selection",
                            field.ty
                        )),
                        (false, true) => out.push(format!(
                            "{here}: `{}` needs a selection of its fields",
                            field.ty
                        )),
                        (false, false) => self.check_set(&field.ty, &f.selection_set, &here, out),
                        (true, true) => {}
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = match &fragment.type_condition {
                        Some(graphql_parser::query::TypeCondition::On(on)) => on.as_str(),
                        None => ty,
                    };
                    self.check_set(on, &fragment.selection_set, &format!("{at}(on {on})"), out);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// The result of executing a query: `data` and GraphQL `errors`; `unserved` lists fields the
/// peer does not serve (violations).
pub(crate) struct Execution {
    pub(crate) data: Value,
    pub(crate) errors: Vec<Value>,
    pub(crate) unserved: Vec<String>,
}

/// What the root fields resolve to.
pub(crate) trait Root {
    /// `viewer`.
    fn viewer(&self) -> Value;
    /// `repository(owner, name)`: `None` when there is no such repository.
    fn repository(&self, owner: &str, name: &str) -> Option<Value>;
}

/// Executes the (already checked) query by projection over what `root` serves.
pub(crate) fn execute(doc: &Document<'_, String>, variables: &Value, root: &dyn Root) -> Execution {
    let mut exec = Execution {
        data: Value::Null,
        errors: Vec::new(),
        unserved: Vec::new(),
    };
    let Some(set) = doc.definitions.iter().find_map(|d| match d {
        Definition::Operation(OperationDefinition::Query(q)) => Some(&q.selection_set),
        Definition::Operation(OperationDefinition::SelectionSet(s)) => Some(s),
        _ => None,
    }) else {
        exec.errors
            .push(json!({"message": "the peer serves queries only"}));
        exec.unserved.push("an operation other than a query".into());
        return exec;
    };
    let mut data = Map::new();
    for item in &set.items {
        let Selection::Field(f) = item else {
            exec.unserved.push("a fragment at the query's root".into());
            continue;
        };
        let alias = f.alias.clone().unwrap_or_else(|| f.name.clone());
        let args = arguments(&f.arguments, variables);
        let value = match f.name.as_str() {
            "viewer" => Some(root.viewer()),
            "repository" => {
                let owner = args
                    .get("owner")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let name = args.get("name").and_then(Value::as_str).unwrap_or_default();
                let repo = root.repository(owner, name);
                if repo.is_none() {
                    exec.errors.push(json!({
                        "type": "NOT_FOUND",
                        "path": [alias],
                        "locations": [{"line": f.position.line, "column": f.position.column}],
                        "message": format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
                    }));
                }
                repo
            }
            other => {
                exec.unserved.push(format!("Query.{other}"));
                None
            }
        };
        let projected = match value {
            Some(v) => project(&v, &f.selection_set, variables, &alias, &mut exec.unserved),
            None => Value::Null,
        };
        data.insert(alias, projected);
    }
    exec.data = Value::Object(data);
    exec
}

fn arguments(args: &[(String, GqlValue<'_, String>)], variables: &Value) -> Map<String, Value> {
    args.iter()
        .map(|(k, v)| (k.clone(), to_json(v, variables)))
        .collect()
}

fn to_json(v: &GqlValue<'_, String>, variables: &Value) -> Value {
    match v {
        GqlValue::Variable(name) => variables.get(name).cloned().unwrap_or(Value::Null),
        GqlValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
        GqlValue::Float(f) => json!(f),
        GqlValue::String(s) => Value::String(s.clone()),
        GqlValue::Boolean(b) => Value::Bool(*b),
        GqlValue::Null => Value::Null,
        GqlValue::Enum(e) => Value::String(e.clone()),
        GqlValue::List(items) => {
            Value::Array(items.iter().map(|i| to_json(i, variables)).collect())
        }
        GqlValue::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_json(v, variables)))
                .collect(),
        ),
    }
}

/// `value` narrowed to `set`.
fn project(
    value: &Value,
    set: &SelectionSet<'_, String>,
    variables: &Value,
    at: &str,
    unserved: &mut Vec<String>,
) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| project(i, set, variables, at, unserved))
                .collect(),
        ),
        Value::Object(object) => {
            let mut out = Map::new();
            select(object, set, variables, at, unserved, &mut out);
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn select(
    object: &Map<String, Value>,
    set: &SelectionSet<'_, String>,
    variables: &Value,
    at: &str,
    unserved: &mut Vec<String>,
    out: &mut Map<String, Value>,
) {
    let typename = object
        .get("__typename")
        .and_then(Value::as_str)
        .unwrap_or("");
    for item in &set.items {
        match item {
            Selection::Field(f) => {
                let alias = f.alias.clone().unwrap_or_else(|| f.name.clone());
                let here = format!("{at}.{}", f.name);
                let Some(value) = object.get(&f.name) else {
                    unserved.push(format!("{here} (on {typename})"));
                    continue;
                };
                let args = arguments(&f.arguments, variables);
                let value = connection_args(value, &args);
                let projected = if f.selection_set.items.is_empty() {
                    value
                } else {
                    project(&value, &f.selection_set, variables, &here, unserved)
                };
                out.insert(alias, projected);
            }
            Selection::InlineFragment(fragment) => {
                let applies = match &fragment.type_condition {
                    Some(graphql_parser::query::TypeCondition::On(on)) => on == typename,
                    None => true,
                };
                if applies {
                    select(
                        object,
                        &fragment.selection_set,
                        variables,
                        at,
                        unserved,
                        out,
                    );
                }
            }
            Selection::FragmentSpread(s) => {
                unserved.push(format!("{at}: fragment spread ...{}", s.fragment_name));
            }
        }
    }
}

/// A connection's arguments: `states` and `filterBy.assignee` filter its nodes, `first` and
/// `last` page them (`orderBy` is the order the peer keeps: most recently updated first).
fn connection_args(value: &Value, args: &Map<String, Value>) -> Value {
    let Some(nodes) = value.get("nodes").and_then(Value::as_array) else {
        return value.clone();
    };
    let mut nodes: Vec<Value> = nodes.clone();
    if let Some(states) = args.get("states").and_then(Value::as_array) {
        nodes.retain(|n| n.get("state").is_some_and(|s| states.contains(s)));
    }
    if let Some(assignee) = args
        .get("filterBy")
        .and_then(|f| f.get("assignee"))
        .and_then(Value::as_str)
    {
        nodes.retain(|n| {
            n.pointer("/assignees/nodes")
                .and_then(Value::as_array)
                .is_some_and(|a| {
                    a.iter()
                        .any(|u| u.get("login").and_then(Value::as_str) == Some(assignee))
                })
        });
    }
    if let Some(first) = args.get("first").and_then(Value::as_u64) {
        nodes.truncate(first as usize);
    }
    if let Some(last) = args.get("last").and_then(Value::as_u64) {
        let skip = nodes.len().saturating_sub(last as usize);
        nodes.drain(..skip);
    }
    let mut out = value.clone();
    out["nodes"] = Value::Array(nodes);
    out
}
