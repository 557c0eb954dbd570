//! `search_registered_models` and `search_model_versions`: filters on names, versions, runs,
//! sources and tags, and their orderings, compiled to SQL over MLflow's registry tables with
//! every user value bound as a parameter.
//!
//! Prompts live in the same tables (marked by the `mlflow.prompt.is_prompt` tag); a search
//! leaves them out unless its filter asks for them, as MLflow's store does.

use rusqlite::types::Value as SqlValue;

use crate::engine::error::{Error, ErrorCode, Result};
use crate::engine::search::{Comparison, Value, list_error, parse_conjunction, parse_order_by};

/// The tag that marks a registered model (and its versions) as a prompt.
pub const IS_PROMPT_TAG: &str = "mlflow.prompt.is_prompt";

/// A compiled registry search: a `WHERE` over the table's columns (unqualified) and its order.
#[derive(Debug)]
pub struct RegistryQuery {
    pub where_sql: String,
    pub order_sql: String,
    pub params: Vec<SqlValue>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Models,
    Versions,
}

impl Target {
    fn tag_table(self) -> &'static str {
        match self {
            Target::Models => "registered_model_tags",
            Target::Versions => "model_version_tags",
        }
    }

    fn main_table(self) -> &'static str {
        match self {
            Target::Models => "registered_models",
            Target::Versions => "model_versions",
        }
    }

    fn attributes(self) -> &'static [&'static str] {
        match self {
            Target::Models => &["name"],
            Target::Versions => &["name", "version_number", "run_id", "source_path"],
        }
    }

    fn attributes_text(self) -> &'static str {
        match self {
            Target::Models => "{'name'}",
            // Python prints these sets in hash order; this is their order under
            // PYTHONHASHSEED=0.
            Target::Versions => "{'version_number', 'source_path', 'run_id', 'name'}",
        }
    }

    fn list_keys(self) -> &'static str {
        match self {
            Target::Models => "['name']",
            Target::Versions => "['name', 'run_id']",
        }
    }

    fn search_name(self) -> &'static str {
        match self {
            Target::Models => "registered model search",
            Target::Versions => "model version search",
        }
    }
}

enum Entity {
    Attribute(&'static str),
    Tag(String),
}

fn entity(target: Target, ident: &[String]) -> Result<Entity> {
    let (kind, key) = match ident {
        [key] => ("attribute", key.clone()),
        [kind, rest @ ..] => (kind.as_str(), rest.join(".")),
        [] => return Err(Error::invalid("Empty identifier in filter string")),
    };
    match kind {
        "attribute" => target
            .attributes()
            .iter()
            .find(|a| **a == key)
            .map(|a| Entity::Attribute(a))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Invalid attribute key '{key}' specified. Valid keys are '{}'",
                    target.attributes_text()
                ))
            }),
        "tag" | "tags" => Ok(Entity::Tag(key)),
        other => Err(Error::invalid(format!(
            "Invalid entity type '{other}'. Valid entity types are ('attribute', 'tag', 'tags')"
        ))),
    }
}

/// A filter clause after MLflow's parse step: its entity, upper-cased comparator and value.
struct Clause {
    entity: Entity,
    comparator: String,
    value: Value,
}

fn unquoted_error(text: &str) -> Error {
    Error::invalid(format!(
        "Parameter value is either not quoted or unidentified quote types used for string value \
         {text}. Use either single or double quotes."
    ))
}

/// MLflow's parse-time checks of one clause (the value's type for its entity).
fn parse_clause(target: Target, c: &Comparison) -> Result<Clause> {
    let comparator = c.comparator.to_ascii_uppercase();
    if matches!(comparator.as_str(), "IS NULL" | "IS NOT NULL") {
        return Err(Error::invalid(format!(
            "IS NULL / IS NOT NULL is not supported for {}.",
            target.search_name()
        )));
    }
    let entity = entity(target, &c.ident)?;
    match (&entity, &c.value) {
        (_, Value::Ident(text)) => return Err(unquoted_error(text)),
        (_, Value::Str(_)) => {}
        (Entity::Tag(_), other) => {
            return Err(Error::invalid(format!(
                "Expected a quoted string value for tag (e.g. 'my-value'). Got value {}",
                other.text()
            )));
        }
        (Entity::Attribute(key), Value::List(_) | Value::RawList(_)) => {
            if !matches!(*key, "name" | "run_id") {
                return Err(Error::invalid(format!(
                    "Only {} attributes support comparison with a list of quoted string values.",
                    target.list_keys()
                )));
            }
            if let Value::RawList(raw) = &c.value {
                return Err(list_error(raw));
            }
        }
        (Entity::Attribute(key), Value::Number(n)) if target == Target::Versions => {
            if *key != "version_number" {
                return Err(Error::invalid(
                    "Only the '{'creation_timestamp', 'last_updated_timestamp', \
                     'version_number'}' attributes support comparison with numeric values.",
                ));
            }
            let _ = n;
        }
        (Entity::Attribute(_), other) => {
            return Err(Error::invalid(format!(
                "Expected a quoted string value or a list of quoted string values for \
                 attributes. Got value {}",
                other.text()
            )));
        }
    }
    Ok(Clause {
        entity,
        comparator,
        value: c.value.clone(),
    })
}

fn is_querying_prompts(clauses: &[Clause]) -> bool {
    clauses
        .iter()
        .find_map(|c| match (&c.entity, &c.value) {
            (Entity::Tag(key), Value::Str(v)) if key == IS_PROMPT_TAG => Some(
                (c.comparator == "=" && v.eq_ignore_ascii_case("true"))
                    || (c.comparator == "!=" && v.eq_ignore_ascii_case("false")),
            ),
            _ => None,
        })
        .unwrap_or(false)
}

/// `column <comparator> ?` for text, as SQLAlchemy renders it on SQLite (LIKE is
/// case-sensitive through the connection's `case_sensitive_like`; ILIKE lower-cases both sides).
fn text_predicate(
    column: &str,
    comparator: &str,
    value: &Value,
    params: &mut Vec<SqlValue>,
) -> String {
    match (comparator, value) {
        ("IN" | "NOT IN", Value::List(items)) => {
            params.extend(items.iter().map(|i| SqlValue::Text(i.clone())));
            let marks = vec!["?"; items.len()].join(", ");
            if comparator == "IN" {
                format!("{column} IN ({marks})")
            } else {
                format!("({column} NOT IN ({marks}))")
            }
        }
        (_, value) => {
            let text = match value {
                Value::Str(s) | Value::Number(s) => s.clone(),
                other => other.text(),
            };
            params.push(SqlValue::Text(text));
            match comparator {
                "ILIKE" => format!("lower({column}) LIKE lower(?)"),
                op => format!("{column} {op} ?"),
            }
        }
    }
}

fn numeric_value(key: &str, value: &Value) -> Result<i64> {
    let bad = |shown: String| {
        Error::invalid(format!(
            "Invalid value for numeric attribute '{key}': {shown}"
        ))
    };
    match value {
        Value::Number(n) => {
            if n.contains(['.', 'e', 'E']) {
                let shown = n
                    .parse::<f64>()
                    .map_or_else(|_| n.clone(), |f| format!("{f:?}"));
                return Err(bad(shown));
            }
            n.parse::<i64>().map_err(|_| bad(n.clone()))
        }
        Value::Str(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| bad(crate::engine::validate::py_repr(s))),
        other => Err(bad(other.text())),
    }
}

/// MLflow's store-time checks of one clause, and its SQL.
fn compile_clause(target: Target, clause: &Clause, params: &mut Vec<SqlValue>) -> Result<String> {
    let comparator = clause.comparator.as_str();
    match &clause.entity {
        Entity::Attribute("version_number") => {
            if !matches!(comparator, "=" | "!=" | "<" | "<=" | ">" | ">=") {
                return Err(Error::invalid(format!(
                    "Invalid comparator for attribute version_number: {comparator}"
                )));
            }
            params.push(SqlValue::Integer(numeric_value(
                "version_number",
                &clause.value,
            )?));
            Ok(format!("model_versions.version {comparator} ?"))
        }
        Entity::Attribute(key) => {
            let allowed = matches!(comparator, "=" | "!=" | "LIKE" | "ILIKE" | "IN" | "NOT IN")
                && (!matches!(comparator, "IN" | "NOT IN") || matches!(*key, "name" | "run_id"));
            if !allowed {
                return Err(Error::invalid(format!(
                    "Invalid comparator for attribute: {comparator}"
                )));
            }
            let column = if *key == "source_path" { "source" } else { key };
            let column = format!("{}.{column}", target.main_table());
            Ok(text_predicate(&column, comparator, &clause.value, params))
        }
        Entity::Tag(key) => {
            if !matches!(comparator, "=" | "!=" | "LIKE" | "ILIKE") {
                return Err(Error::invalid(format!(
                    "Invalid comparator for tag: {comparator}"
                )));
            }
            let mut tag_params = Vec::new();
            let predicate = text_predicate("t.value", comparator, &clause.value, &mut tag_params);
            params.push(SqlValue::Text(key.clone()));
            params.extend(tag_params);
            Ok(predicate)
        }
    }
}

fn compile_filter(target: Target, filter: &str) -> Result<(String, Vec<SqlValue>)> {
    let comparisons = if filter.trim().is_empty() {
        Vec::new()
    } else {
        parse_conjunction(filter)?
    };
    let clauses: Vec<Clause> = comparisons
        .iter()
        .map(|c| parse_clause(target, c))
        .collect::<Result<_>>()?;
    let prompts = is_querying_prompts(&clauses);
    let main = target.main_table();
    let tags = target.tag_table();
    let same_entity = match target {
        Target::Models => format!("t.workspace = {main}.workspace AND t.name = {main}.name"),
        Target::Versions => format!(
            "t.workspace = {main}.workspace AND t.name = {main}.name AND t.version = {main}.version"
        ),
    };
    let mut wheres = vec![format!("{main}.workspace = 'default'")];
    let mut params = Vec::new();
    for clause in &clauses {
        if !prompts && matches!(&clause.entity, Entity::Tag(k) if k == IS_PROMPT_TAG) {
            // MLflow checks these clauses, then replaces them by leaving prompts out.
            compile_clause(target, clause, &mut Vec::new())?;
            continue;
        }
        let predicate = compile_clause(target, clause, &mut params)?;
        if matches!(clause.entity, Entity::Tag(_)) {
            wheres.push(format!(
                "EXISTS (SELECT 1 FROM {tags} t WHERE {same_entity} AND t.key = ? AND {predicate})"
            ));
        } else {
            wheres.push(predicate);
        }
    }
    if !prompts {
        // Prompts carry the tag on the registered model (and on each of its versions).
        wheres.push(format!(
            "NOT EXISTS (SELECT 1 FROM {tags} p WHERE p.workspace = {main}.workspace AND \
             p.name = {main}.name AND p.key = '{IS_PROMPT_TAG}' AND p.value = 'true')"
        ));
    }
    Ok((wheres.join(" AND "), params))
}

fn duplicate_order_by(order_by: &[String]) -> Error {
    let listed: Vec<String> = order_by
        .iter()
        .map(|o| crate::engine::validate::py_repr(o))
        .collect();
    Error::with_code(
        ErrorCode::InternalError,
        format!(
            "`order_by` contains duplicate fields: [{}]",
            listed.join(", ")
        ),
    )
}

/// `search_registered_models`: the filter and `order_by` (`name`, `timestamp`,
/// `last_updated_timestamp`), with `name ASC` as the final tie-breaker.
pub fn compile_registered_models(filter: &str, order_by: &[String]) -> Result<RegistryQuery> {
    let (where_sql, params) = compile_filter(Target::Models, filter)?;
    let mut order = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for clause in order_by {
        let (key, ascending) = parse_order_by(clause)?;
        let column = match key.trim() {
            "name" => "name",
            "timestamp" | "last_updated_timestamp" => "last_updated_time",
            other => {
                return Err(Error::invalid(format!(
                    "Invalid order by key '{other}' specified. Valid keys are \
                     '{{'name', 'timestamp'}}'"
                )));
            }
        };
        if seen.contains(&column) {
            return Err(duplicate_order_by(order_by));
        }
        seen.push(column);
        order.push(format!(
            "registered_models.{column} {}",
            if ascending { "ASC" } else { "DESC" }
        ));
    }
    if !seen.contains(&"name") {
        order.push("registered_models.name ASC".to_owned());
    }
    Ok(RegistryQuery {
        where_sql,
        order_sql: order.join(", "),
        params,
    })
}

/// `search_model_versions`: the filter (deleted versions never match) and `order_by` over
/// `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp`; the default order is
/// newest update first, then name, then highest version.
pub fn compile_model_versions(filter: &str, order_by: &[String]) -> Result<RegistryQuery> {
    let (mut where_sql, params) = compile_filter(Target::Versions, filter)?;
    where_sql.push_str(" AND model_versions.current_stage != 'Deleted_Internal'");
    let defaults = [
        "last_updated_timestamp DESC".to_owned(),
        "name ASC".to_owned(),
        "version_number DESC".to_owned(),
    ];
    let order_by = if order_by.is_empty() {
        &defaults[..]
    } else {
        order_by
    };
    let mut order = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for clause in order_by {
        let (key, ascending) = parse_order_by(clause)?;
        let key = key.trim();
        let (kind, name) = match key.split_once('.') {
            Some((kind, rest)) => (kind, rest.trim_matches('`').trim_matches('"')),
            None => ("attribute", key.trim_matches('`').trim_matches('"')),
        };
        if !matches!(kind, "attribute" | "attributes" | "tag" | "tags") {
            return Err(Error::invalid(format!(
                "Invalid entity type '{kind}'. Valid entity types are ('attribute', \
                 'attributes', 'tag', 'tags')"
            )));
        }
        let column = match (kind, name) {
            ("attribute" | "attributes", "name") => "name",
            ("attribute" | "attributes", "version_number") => "version",
            ("attribute" | "attributes", "creation_timestamp") => "creation_time",
            ("attribute" | "attributes", "last_updated_timestamp") => "last_updated_time",
            ("attribute" | "attributes", other) => {
                return Err(Error::invalid(format!(
                    "Invalid attribute key '{other}' specified. Valid keys are '{{'name', \
                     'version_number', 'creation_timestamp', 'last_updated_timestamp'}}'"
                )));
            }
            (_, other) => {
                return Err(Error::invalid(format!(
                    "Invalid order by key '{other}' specified. Valid keys are {{'name', \
                     'version_number', 'creation_timestamp', 'last_updated_timestamp'}}"
                )));
            }
        };
        if seen.contains(&column) {
            return Err(duplicate_order_by(order_by));
        }
        seen.push(column);
        order.push(format!(
            "model_versions.{column} {}",
            if ascending { "ASC" } else { "DESC" }
        ));
    }
    if !seen.contains(&"name") {
        order.push("model_versions.name ASC".to_owned());
    }
    if !seen.contains(&"version") {
        order.push("model_versions.version DESC".to_owned());
    }
    Ok(RegistryQuery {
        where_sql,
        order_sql: order.join(", "),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_filters_bind_every_value() {
        let q = compile_registered_models(
            "name LIKE '%a%' AND tags.`team x` = 'ml' AND name ILIKE 'A%'",
            &[],
        )
        .unwrap();
        assert_eq!(q.params.len(), 4);
        assert!(!q.where_sql.contains("ml'"));
        assert!(
            q.where_sql
                .contains("lower(registered_models.name) LIKE lower(?)")
        );
        assert_eq!(q.order_sql, "registered_models.name ASC");
    }

    #[test]
    fn model_filter_errors_are_mlflows() {
        let err = |f: &str| compile_registered_models(f, &[]).unwrap_err().to_string();
        assert_eq!(err("name > 'a'"), "Invalid comparator for attribute: >");
        assert_eq!(
            err("description = 'a'"),
            "Invalid attribute key 'description' specified. Valid keys are '{'name'}'"
        );
        assert_eq!(
            err("tags.k IS NULL"),
            "IS NULL / IS NOT NULL is not supported for registered model search."
        );
        assert_eq!(err("tags.k > 'a'"), "Invalid comparator for tag: >");
        assert!(err("name = abc").starts_with("Parameter value is either not quoted"));
    }

    #[test]
    fn prompt_filters_switch_the_prompt_exclusion() {
        let plain = compile_registered_models("", &[]).unwrap();
        assert!(plain.where_sql.contains("NOT EXISTS"));
        let prompts =
            compile_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'", &[]).unwrap();
        assert!(!prompts.where_sql.contains("NOT EXISTS"));
        let excluded =
            compile_registered_models("tags.`mlflow.prompt.is_prompt` != 'true'", &[]).unwrap();
        assert!(excluded.params.is_empty());
    }

    #[test]
    fn version_filters_and_orders() {
        let q = compile_model_versions(
            "name = 'm' AND version_number >= 2 AND run_id IN ('a', 'b')",
            &[],
        )
        .unwrap();
        assert_eq!(q.params.len(), 4);
        assert_eq!(
            q.order_sql,
            "model_versions.last_updated_time DESC, model_versions.name ASC, \
             model_versions.version DESC"
        );
        let err = |f: &str| compile_model_versions(f, &[]).unwrap_err().to_string();
        assert_eq!(
            err("version_number LIKE '1'"),
            "Invalid comparator for attribute version_number: LIKE"
        );
        assert_eq!(
            err("version_number = 1.5"),
            "Invalid value for numeric attribute 'version_number': 1.5"
        );
        assert_eq!(
            err("source_path IN ('a')"),
            "Only ['name', 'run_id'] attributes support comparison with a list of quoted string \
             values."
        );
        let dup = compile_model_versions("", &["name".into(), "name DESC".into()])
            .unwrap_err()
            .to_string();
        assert_eq!(
            dup,
            "`order_by` contains duplicate fields: ['name', 'name DESC']"
        );
    }
}
