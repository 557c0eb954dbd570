//! `search_experiments`: filters on `name`, `experiment_id`, `creation_time`,
//! `last_update_time` and `tags.<key>`; ordering by those attributes.

use rusqlite::types::Value as SqlValue;

use crate::engine::error::{Error, Result};
use crate::engine::model::ViewType;
use crate::engine::search::{
    Comparison, Query, Value, list_error, parse_conjunction, parse_order_by,
};
use crate::engine::validate::parse_experiment_id;

const ATTRIBUTES: [&str; 4] = ["name", "experiment_id", "creation_time", "last_update_time"];
const VALID_KEYS: &str = "{'name', 'experiment_id', 'creation_time', 'last_update_time'}";

enum Entity {
    Attribute(&'static str),
    Tag(String),
}

fn entity(ident: &[String]) -> Result<Entity> {
    let (kind, key) = match ident {
        [key] => ("attribute", key.clone()),
        [kind, rest @ ..] => (kind.as_str(), rest.join(".")),
        [] => return Err(Error::invalid("Empty identifier in filter string")),
    };
    match kind {
        "attribute" | "attributes" => ATTRIBUTES
            .iter()
            .find(|a| **a == key)
            .map(|a| Entity::Attribute(a))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Invalid attribute key '{key}' specified. Valid keys are '{VALID_KEYS}'"
                ))
            }),
        "tag" | "tags" => Ok(Entity::Tag(key)),
        other => Err(Error::invalid(format!(
            "Invalid entity type '{other}'. Valid entity types are ('attribute', 'attributes', \
             'tag', 'tags')"
        ))),
    }
}

/// The SQL operator for a comparator on text; ILIKE compares lower-cased text.
fn text_predicate(column: &str, comparator: &str) -> Result<String> {
    Ok(match comparator {
        "=" | "!=" => format!("{column} {comparator} ?"),
        "LIKE" => format!("{column} LIKE ?"),
        "ILIKE" => format!("lower({column}) LIKE lower(?)"),
        other => {
            return Err(Error::invalid(format!(
                "Invalid comparator for string attribute: {other}"
            )));
        }
    })
}

fn string_value(comparison: &Comparison) -> Result<String> {
    match &comparison.value {
        Value::Str(s) => Ok(s.clone()),
        Value::Number(n) => Err(Error::invalid(format!(
            "Expected a quoted string value for {} (e.g. 'my-value'). Got value {n}",
            comparison.ident.join(".")
        ))),
        _ => Err(Error::invalid(format!(
            "Invalid value for '{}': expected a quoted string",
            comparison.ident.join(".")
        ))),
    }
}

fn compile_comparison(c: &Comparison, params: &mut Vec<SqlValue>) -> Result<String> {
    let comparator = c.comparator.to_ascii_uppercase();
    match entity(&c.ident)? {
        Entity::Attribute("experiment_id") => match (comparator.as_str(), &c.value) {
            ("=" | "!=", Value::Str(v) | Value::Number(v)) => {
                params.push(SqlValue::Integer(parse_experiment_id(v)?));
                Ok(format!("experiment_id {comparator} ?"))
            }
            ("IN" | "NOT IN", Value::List(items)) => {
                for item in items {
                    params.push(SqlValue::Integer(parse_experiment_id(item)?));
                }
                let marks = vec!["?"; items.len()].join(", ");
                Ok(format!("experiment_id {comparator} ({marks})"))
            }
            ("IN" | "NOT IN", Value::RawList(raw)) => Err(list_error(raw)),
            _ => Err(Error::invalid(format!(
                "Invalid comparator for experiment_id: {comparator}"
            ))),
        },
        Entity::Attribute(key @ ("creation_time" | "last_update_time")) => {
            if !matches!(comparator.as_str(), "=" | "!=" | "<" | "<=" | ">" | ">=") {
                return Err(Error::invalid(format!(
                    "Invalid comparator for numeric attribute: {comparator}"
                )));
            }
            let Value::Number(n) = &c.value else {
                return Err(Error::invalid(format!(
                    "Expected numeric value type for numeric attribute: {key}. Found '{}'",
                    string_value(c).unwrap_or_default()
                )));
            };
            let n: i64 = n.parse().map_err(|_| {
                Error::invalid(format!(
                    "Invalid value for numeric attribute '{key}': '{n}'"
                ))
            })?;
            params.push(SqlValue::Integer(n));
            Ok(format!("{key} {comparator} ?"))
        }
        Entity::Attribute(key) => {
            if matches!(comparator.as_str(), "IN" | "NOT IN") {
                return Err(Error::invalid(
                    "Only ['experiment_id'] attributes support comparison with a list of quoted \
                     string values.",
                ));
            }
            let sql = text_predicate(key, &comparator)?;
            params.push(SqlValue::Text(string_value(c)?));
            Ok(sql)
        }
        Entity::Tag(key) => {
            const TAG: &str = "SELECT 1 FROM experiment_tags t \
                 WHERE t.experiment_id = experiments.experiment_id AND t.key = ?";
            params.push(SqlValue::Text(key));
            match comparator.as_str() {
                "IS NULL" => Ok(format!("NOT EXISTS ({TAG})")),
                "IS NOT NULL" => Ok(format!("EXISTS ({TAG})")),
                _ => {
                    let predicate = text_predicate("t.value", &comparator).map_err(|_| {
                        Error::invalid(format!("Invalid comparator '{comparator}' for tags"))
                    })?;
                    params.push(SqlValue::Text(string_value(c)?));
                    Ok(format!("EXISTS ({TAG} AND {predicate})"))
                }
            }
        }
    }
}

/// Compiles a search: view type, filter string and order_by list.
pub fn compile(view_type: ViewType, filter: &str, order_by: &[String]) -> Result<Query> {
    let mut params = Vec::new();
    let mut clauses = vec![view_type.lifecycle_sql("lifecycle_stage")];
    if !filter.is_empty() && filter.trim().is_empty() {
        return Err(super::blank_filter_error(filter));
    }
    if !filter.trim().is_empty() {
        for comparison in parse_conjunction(filter)? {
            clauses.push(compile_comparison(&comparison, &mut params)?);
        }
    }
    let defaults = [
        "creation_time DESC".to_owned(),
        "experiment_id ASC".to_owned(),
    ];
    let order_by = if order_by.is_empty() {
        &defaults[..]
    } else {
        order_by
    };
    let mut orders = Vec::new();
    let mut has_id = false;
    for clause in order_by {
        let (key, ascending) = parse_order_by(clause)?;
        let ident: Vec<String> = crate::engine::search::lexer::tokenize(&key)?
            .into_iter()
            .next()
            .and_then(|t| match t {
                crate::engine::search::lexer::Token::Ident(parts) => Some(parts),
                _ => None,
            })
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Invalid order_by clause '{clause}'. Could not be parsed."
                ))
            })?;
        let column = match entity(&ident)? {
            Entity::Attribute(column) => column,
            Entity::Tag(_) => return Err(Error::invalid("Invalid order_by entity: tag")),
        };
        has_id |= column == "experiment_id";
        orders.push(format!(
            "{column} {}",
            if ascending { "ASC" } else { "DESC" }
        ));
    }
    if !has_id {
        orders.push("experiment_id DESC".to_owned());
    }
    Ok(Query {
        where_sql: clauses.join(" AND "),
        order_sql: orders.join(", "),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_order_and_view() {
        let q = compile(ViewType::ActiveOnly, "", &[]).unwrap();
        assert_eq!(q.where_sql, "lifecycle_stage = 'active'");
        assert_eq!(q.order_sql, "creation_time DESC, experiment_id ASC");
    }

    #[test]
    fn user_values_are_bound_never_inlined() {
        let q = compile(
            ViewType::All,
            "name = 'x'' OR 1=1 --' AND tags.k LIKE '%a%'",
            &[],
        );
        // The quote ends the string early, so the rest is not a comparison: refused.
        assert!(q.is_err());
        let q = compile(ViewType::All, "name ILIKE '%Robert''); DROP%'", &[]);
        assert!(q.is_err());
        let q = compile(ViewType::All, "name = \"a'b\" AND tags.`x y` != 'v'", &[]).unwrap();
        assert!(!q.where_sql.contains("a'b"));
        assert_eq!(q.params.len(), 3);
    }

    #[test]
    fn refuses_unknown_keys_and_entities() {
        assert!(
            compile(ViewType::All, "lifecycle_stage = 'active'", &[])
                .unwrap_err()
                .to_string()
                .starts_with("Invalid attribute key 'lifecycle_stage' specified.")
        );
        assert!(compile(ViewType::All, "foo.bar = 'x'", &[]).is_err());
        assert!(compile(ViewType::All, "name IN ('a')", &[]).is_err());
        assert_eq!(
            compile(ViewType::All, "", &["tags.k".into()])
                .unwrap_err()
                .to_string(),
            "Invalid order_by entity: tag"
        );
    }

    #[test]
    fn user_order_gets_an_id_tiebreak() {
        let q = compile(ViewType::All, "", &["name DESC".into()]).unwrap();
        assert_eq!(q.order_sql, "name DESC, experiment_id DESC");
    }
}
